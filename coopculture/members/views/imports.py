"""Member import pages, under /gestion/<coop_slug>/membres/import/ (namespace "members_import").

Upload → columns → preview (every error by row and column) → apply → result and report.
The coop middleware has resolved the coop, checked the role and opened the scope; every
import is looked up within request.coop (another coop's import is a 404).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coopculture.coops.views.decorators import coop_permission_required
from coopculture.core import csvfiles
from coopculture.members import importing
from coopculture.members.forms_import import MappingForm, SheetForm, UploadForm
from coopculture.members.models import Channel, ImportStatus
from coopculture.members.selectors import access_import

ERRORS_PER_PAGE = 50
STEPS = ("upload", "mapping", "preview", "result")


def _step(current: str) -> dict:
    labels = {
        "upload": _("choose the file"),
        "mapping": _("say what each column holds"),
        "preview": _("check"),
        "result": _("import"),
    }
    return {"number": STEPS.index(current) + 1, "total": len(STEPS), "label": labels[current]}


def _errors_page(request, job):
    paginator = Paginator(job.errors or [], ERRORS_PER_PAGE)
    return paginator.get_page(request.GET.get("page"))


def _redirect(name: str, request, job):
    return redirect(f"members_import:{name}", coop_slug=request.coop.slug, import_id=job.public_id)


@never_cache
@coop_permission_required("members.manage")
def start(request, coop_slug):
    coop = request.coop
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.import_create(
                coop=coop, actor=request.user, upload=form.cleaned_data["file"]
            )
        except importing.ImportFileError as error:
            form.add_error("file", error.message)
        else:
            return _redirect("mapping", request, job)
    return render(
        request,
        "members/imports/start.html",
        {
            "form": form,
            "recent": importing.recent_imports(coop=coop),
            "step": _step("upload"),
            "threshold": importing.BACKGROUND_THRESHOLD,
        },
    )


def _analysing(request, job):
    """The file is read by the worker: this page says so, with a plain link to look again
    (no JavaScript needed); htmx, when it runs, looks every 2 s and reloads the page once
    the analysis is over."""
    if request.htmx and job.status not in importing.BUSY:
        return HttpResponse(headers={"HX-Refresh": "true"})
    return render(
        request,
        "members/imports/analysing.html",
        {
            "job": job,
            "checked_at": timezone.localtime(),
            "step": _step("preview" if job.status == ImportStatus.CHECKING else "mapping"),
        },
    )


@never_cache
@coop_permission_required("members.manage")
def mapping(request, coop_slug, import_id):
    coop = request.coop
    job = access_import(coop=coop, public_id=import_id)
    if job.status in importing.BUSY or request.htmx:
        return _analysing(request, job)
    if job.status not in importing.EDITABLE or not job.file:
        return _redirect("detail", request, job)
    try:
        samples = importing.column_samples(job)
    except importing.ImportFileError as error:
        messages.error(request, error.message)
        return _redirect("detail", request, job)
    targets = (job.mapping or {}).get("targets") or []
    form = MappingForm(
        request.POST or None, coop=coop, headers=job.headers, samples=samples, targets=targets
    )
    if request.method == "POST" and form.is_valid():
        importing.mapping_save(coop=coop, job=job, targets=form.targets())
        importing.check_start(coop=coop, job=job)
        return _redirect("preview", request, job)
    summary = job.summary or {}
    sheets = summary.get("sheets", [])
    return render(
        request,
        "members/imports/mapping.html",
        {
            "job": job,
            "form": form,
            "sheet_form": SheetForm(sheets=sheets, initial={"sheet": job.sheet})
            if len(sheets) > 1
            else None,
            "warnings": summary.get("analysis_warnings", []),
            "source": (job.mapping or {}).get("source", ""),
            "delimiter": importing.DELIMITER_NAMES.get(job.delimiter, job.delimiter),
            "step": _step("mapping"),
        },
    )


@never_cache
@require_POST
@coop_permission_required("members.manage")
def sheet(request, coop_slug, import_id):
    """Read another sheet of the workbook (analysed again by the worker)."""
    coop = request.coop
    job = access_import(coop=coop, public_id=import_id)
    form = SheetForm(request.POST, sheets=(job.summary or {}).get("sheets", []))
    if form.is_valid():
        try:
            importing.import_choose_sheet(coop=coop, job=job, sheet=form.cleaned_data["sheet"])
        except importing.ImportFileError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, _("Choose one of the sheets of the file."))
    return _redirect("mapping", request, job)


@never_cache
@coop_permission_required("members.manage")
def preview(request, coop_slug, import_id):
    coop = request.coop
    job = access_import(coop=coop, public_id=import_id)
    if job.status in importing.BUSY or request.htmx:
        return _analysing(request, job)
    if job.status == ImportStatus.UPLOADED:
        return _redirect("mapping", request, job)
    if job.status != ImportStatus.MAPPED:
        return _redirect("detail", request, job)
    if request.method == "POST":
        if job.errors:
            messages.error(request, _("Correct the errors first: nothing was imported."))
            return _redirect("preview", request, job)
        # The page of the import says how it went (done, refused, or queued).
        importing.import_start(coop=coop, job=job, actor=request.user)
        return _redirect("detail", request, job)
    return render(
        request,
        "members/imports/preview.html",
        {
            "job": job,
            "errors_page": _errors_page(request, job),
            "error_rows": len({e["row"] for e in job.errors if e.get("row")}),
            "background": importing.runs_in_background(job),
            "summary": _preview_summary(job),
            "step": _step("preview"),
        },
    )


def _preview_summary(job) -> dict:
    """The channel each member will get (counts and the first rows), and the warnings."""
    summary = job.summary or {}
    labels = dict(Channel.choices)
    channels = [
        {"label": labels.get(channel, channel), "count": count}
        for channel, count in sorted(
            (summary.get("channels") or {}).items(), key=lambda item: -item[1]
        )
    ]
    sample = [
        {**row, "channel_label": labels.get(row.get("channel"), row.get("channel"))}
        for row in summary.get("sample") or []
    ]
    warnings = [*summary.get("analysis_warnings", []), *summary.get("warnings", [])]
    return {
        "channels": channels,
        "sample": sample,
        "warnings": warnings,
        "warning_count": len(summary.get("analysis_warnings", []))
        + summary.get("warning_count", 0),
    }


@never_cache
@coop_permission_required("members.manage")
def detail(request, coop_slug, import_id):
    job = access_import(coop=request.coop, public_id=import_id)
    if job.status in importing.BUSY or request.htmx:
        return _analysing(request, job)
    processed = None
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        processed = importing.progress_get(job) or 0
    percent = int(100 * processed / job.total_rows) if processed and job.total_rows else 0
    return render(
        request,
        "members/imports/detail.html",
        {
            "job": job,
            "processed": processed,
            "percent": percent,
            "checked_at": timezone.localtime(),
            "errors_page": _errors_page(request, job),
            "has_report": importing.report_exists(job),
            "can_remap": job.status == ImportStatus.FAILED and bool(job.file),
            "step": _step("result"),
        },
    )


def _attachment_name(job, kind: str) -> str:
    return f"{kind}-import-{timezone.localtime(job.created_at):%Y-%m-%d-%H%M}.csv"


@never_cache
@coop_permission_required("members.manage")
def report(request, coop_slug, import_id):
    """The result of each row (reference, created / updated / unchanged), as CSV."""
    job = access_import(coop=request.coop, public_id=import_id)
    if not importing.report_exists(job):
        messages.info(request, _("The report of this import is not available."))
        return _redirect("detail", request, job)
    return FileResponse(
        importing.report_open(job),
        as_attachment=True,
        filename=_attachment_name(job, "rapport"),
        content_type="text/csv; charset=utf-8",
    )


@never_cache
@coop_permission_required("members.manage")
def errors(request, coop_slug, import_id):
    """Every error of the last check, as CSV (row, column, code, problem)."""
    job = access_import(coop=request.coop, public_id=import_id)
    rows = (
        (e.get("row") or "", e.get("column", ""), e.get("code", ""), e.get("message", ""))
        for e in job.errors or []
    )
    # The list is in memory already (at most importing.MAX_KEPT_ERRORS entries): a plain
    # response (a streamed one would need an async iterator under ASGI).
    response = HttpResponse(
        csvfiles.content([_("Row"), _("Column"), _("Code"), _("Problem")], rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_attachment_name(job, "erreurs")}"'
    return response
