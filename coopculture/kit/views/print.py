"""The print kit in the back office, under /gestion/<coop_slug>/kit/ (namespace kit_print).

Every piece with its preview and its PDF, the kit texts, "the whole kit" as a ZIP built in
the background (its progress polled by htmx when JavaScript runs, a refresh link when not)
and the history of the ZIPs. Archives live in private storage: only the download view
below, behind the same permission, reads them.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from coopculture.coops.permissions import request_has_permission
from coopculture.coops.views.decorators import coop_permission_required
from coopculture.core.pdf import pdf_response
from coopculture.kit import print_services, printing, selectors, thumbnails
from coopculture.kit.forms_print import KitTextsForm
from coopculture.kit.models import BuildStatus, KitBuild

SAFE_METHODS = ["GET", "HEAD"]


def _build_context(request, build: KitBuild | None) -> dict:
    percent = 0
    if build is not None and build.pieces_total:
        percent = round(100 * build.pieces_done / build.pieces_total)
    return {
        "build": build,
        "percent": percent,
        "in_progress": build is not None
        and build.status in (BuildStatus.QUEUED, BuildStatus.RUNNING),
    }


@never_cache
@require_safe
@coop_permission_required("kit.use_kit")
def index(request, coop_slug):
    coop = request.coop
    run = printing.KitRun(coop)
    pieces = printing.kit_pieces(coop=coop, modules=run.modules)
    versions = thumbnails.stored_versions(coop=coop, pieces=pieces, run=run)
    missing = tuple(key for key, version in versions.items() if version is None)
    if missing:
        thumbnails.previews_request(coop=coop, missing=missing)
        # A backend that runs tasks at once (tests, a small set-up) has made them by now.
        versions = thumbnails.stored_versions(coop=coop, pieces=pieces, run=run)
    builds = selectors.build_history(coop=coop)
    current = next(iter(builds), None)
    return render(
        request,
        "kit/print/index.html",
        {
            "page_title": _("Print kit"),
            "pieces": [(piece, versions[piece.key]) for piece in pieces],
            "previews_pending": None in versions.values(),
            "texts": run.texts,
            "can_edit_texts": request_has_permission(request, "kit.edit_texts"),
            "builds": builds,
            **_build_context(request, current),
        },
    )


@require_http_methods(["GET", "POST"])
@coop_permission_required("kit.edit_texts")
def texts(request, coop_slug):
    coop = request.coop
    current = printing.kit_texts(coop)
    form = KitTextsForm(
        request.POST if request.method == "POST" else None,
        initial={
            "tagline": current.tagline,
            "message": current.message,
            "welcome_text": current.welcome_text,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            print_services.kit_texts_update(coop=coop, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The kit texts are saved: every piece now shows them."))
            return redirect("kit_print:index", coop_slug=coop.slug)
    return render(request, "kit/print/texts.html", {"form": form, "page_title": _("Kit texts")})


@require_safe
@coop_permission_required("kit.use_kit")
def piece_pdf(request, coop_slug, piece_key):
    coop = request.coop
    run = printing.KitRun(coop)
    piece = printing.get_piece(coop=coop, key=piece_key, modules=run.modules)
    response = pdf_response(printing.render_piece(coop=coop, piece=piece, run=run), piece.filename)
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@coop_permission_required("kit.use_kit")
def piece_preview(request, coop_slug, piece_key):
    """The preview of `?v=<version>` straight from storage (the kit page's links: their
    address changes with what the piece shows, so the browser may keep them); without a
    stored version, the piece as it looks now."""
    coop = request.coop
    png = thumbnails.stored_preview(
        coop=coop, piece_key=piece_key, version=request.GET.get("v", "")
    )
    if png is not None:
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "private, max-age=31536000, immutable"
        response["X-Content-Type-Options"] = "nosniff"
        return response
    run = printing.KitRun(coop)
    piece = printing.get_piece(coop=coop, key=piece_key, modules=run.modules)
    png = thumbnails.piece_thumbnail(coop=coop, piece=piece, run=run)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@coop_permission_required("kit.use_kit")
def build_create(request, coop_slug):
    coop = request.coop
    build = print_services.kit_build_request(coop=coop, actor=request.user)
    if build.status == BuildStatus.DONE:
        messages.success(request, _("The whole kit is ready."))
    else:
        messages.info(request, _("The whole kit is being prepared: this page shows how far it is."))
    return redirect("kit_print:build", coop_slug=coop.slug, build_id=build.public_id)


@never_cache
@coop_permission_required("kit.use_kit")
def build_detail(request, coop_slug, build_id):
    coop = request.coop
    build = selectors.access_build(coop=coop, public_id=build_id)  # 404 first, then 405
    if request.method not in SAFE_METHODS:
        return HttpResponseNotAllowed(SAFE_METHODS)
    context = {"page_title": _("The whole kit"), **_build_context(request, build)}
    if request.headers.get("HX-Request"):
        return render(request, "kit/print/_build_status.html", context)
    return render(request, "kit/print/build.html", context)


@coop_permission_required("kit.use_kit")
def build_download(request, coop_slug, build_id):
    coop = request.coop
    build = selectors.access_build(coop=coop, public_id=build_id)  # 404 first, then 405
    if request.method not in SAFE_METHODS:
        return HttpResponseNotAllowed(SAFE_METHODS)
    if build.status != BuildStatus.DONE or not build.archive:
        raise Http404
    try:
        with print_services.kit_build_open(build) as handle:
            body = handle.read()  # a few MB: read at once, the file is closed at once
    except FileNotFoundError as error:
        raise Http404 from error
    filename = build.archive.name.rsplit("/", 1)[-1]
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Length"] = str(len(body))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
