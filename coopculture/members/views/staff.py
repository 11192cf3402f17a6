"""The members back office, under /gestion/<coop_slug>/membres/ and .../operations/.

The coop middleware has resolved the coop, checked the role and opened the scope. Objects
come from `access_*` selectors (404 outside this coop) *before* anything else is decided,
so another coop's object always answers 404, whatever the method. Writes go through
services, with the coop from the URL.
"""

import copy
import json

from django.apps import apps
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coopculture.coops.permissions import request_has_permission
from coopculture.coops.views.decorators import coop_permission_required
from coopculture.members import listing, personal_data, selectors, services, timeline
from coopculture.members.errors import MemberError
from coopculture.members.forms import (
    ConsentForm,
    DeliveryChangeForm,
    MemberCreateForm,
    MemberFilterForm,
    MemberForm,
    ProgrammeForm,
)
from coopculture.members.models import (
    Channel,
    Member,
    Programme,
    Purpose,
    Stage,
)

PAGE_SIZE = 50
# Short names for the list's "has agreed to" column (the filter shows the full ones).
PURPOSE_SHORT = {
    Purpose.BULLETIN: gettext_lazy("Bulletin"),
    Purpose.COOP_NEWS: gettext_lazy("News"),
    Purpose.SESSIONS: gettext_lazy("Sessions"),
    Purpose.AG_ELECTRONIC: gettext_lazy("GA by email"),
}
READ_METHODS = ("GET", "HEAD")
EXPORT_META_KEYS = ("member", "coop", "exported_at")


def _method_not_allowed(request, allowed=READ_METHODS):
    """Checked after the object lookup: another coop's object is a 404 for every method."""
    if request.method not in allowed:
        return HttpResponseNotAllowed(allowed)
    return None


def _member_url(coop, member, name="member-detail") -> str:
    return reverse(
        f"members_staff:{name}", kwargs={"coop_slug": coop.slug, "member_id": member.public_id}
    )


def _programme_url(coop, programme, name="programme-detail") -> str:
    return reverse(
        f"members_staff:{name}",
        kwargs={"coop_slug": coop.slug, "programme_id": programme.public_id},
    )


def _import_url(coop) -> str:
    """The import pages (another part of the back office)."""
    return reverse("members_import:start", kwargs={"coop_slug": coop.slug})


def _paginate(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def paginate_members(
    request, coop, filters: dict, *, cache_count: bool = True, list_version: int | None = None
):
    """A page of `member_list(filters)` and its table rows, in four queries whatever the
    page: the list version (the count is cached under it: members/listing.py), the page's
    ids (the filters and the sort only), the page's members with their annotations (stage,
    programme), their consents. Selecting the ids first keeps deep pages cheap: annotations
    are computed for 50 members, not for every member skipped by OFFSET."""
    ids = selectors.member_list(coop=coop, filters=filters).values_list("pk", flat=True)
    if cache_count:
        count = listing.cached_count(
            coop=coop,
            filters=filters,
            today=timezone.localdate(),
            queryset=ids,
            list_version=list_version,
        )
    else:
        count = ids.count()
    page = listing.CountedPaginator(ids, PAGE_SIZE, count=count).get_page(request.GET.get("page"))
    members = selectors.member_list(coop=coop, filters={"include_anonymised": True}).filter(
        pk__in=list(page.object_list)
    )
    return page, member_rows(coop, members)


def member_rows(coop, members) -> list[dict]:
    """Table rows for a page of `member_list` results: one more query, whatever the size."""
    members = list(members)
    granted = selectors.consents_granted(coop=coop, member_ids=[m.pk for m in members])
    # One reverse() for the page, not one per row: the ids are UUIDs, safe in a path.
    placeholder = "00000000-0000-0000-0000-000000000000"
    url_pattern = reverse(
        "members_staff:member-detail", kwargs={"coop_slug": coop.slug, "member_id": placeholder}
    )
    purposes = dict(Purpose.choices)
    channels = dict(Channel.choices)
    stages = dict(Stage.choices)
    return [
        {
            "member": member,
            "url": url_pattern.replace(placeholder, str(member.public_id)),
            "name": f"{member.last_name} {member.first_name}",
            "stage": stages.get(member.stage, "") if member.stage else "",
            "programme": member.programme_name or "",
            "channel": channels.get(member.preferred_channel, member.preferred_channel),
            "has_email": bool(member.email),
            "consents": ", ".join(
                str(PURPOSE_SHORT.get(p, purposes[p]))
                for p in selectors.tracked_purposes(coop)
                if granted[member.pk].get(p) is True
            ),
        }
        for member in members
    ]


# --- Members --------------------------------------------------------------------------------


@coop_permission_required("members.view")
def member_list(request, coop_slug):
    if refused := _method_not_allowed(request):
        return refused
    coop = request.coop
    form = MemberFilterForm(
        request.GET or None,
        programmes=selectors.programme_list(coop=coop),
        purposes=selectors.purpose_choices(coop),
    )
    filters = form.filters()
    is_filtered = bool(filters)

    list_version = listing.version(coop.pk)

    def build() -> dict:
        page, rows = paginate_members(request, coop, filters, list_version=list_version)
        html = ""
        if rows:
            html = render_to_string(
                "members/staff/_member_results.html",
                {"page_obj": page, "rows": rows, "is_filtered": is_filtered},
                request=request,
            )
        return {"html": html, "number": page.number, "num_pages": page.paginator.num_pages}

    # The same results for every staff member until the coop's members change (listing).
    results = listing.cached_results(
        coop=coop,
        request=request,
        today=timezone.localdate(),
        build=build,
        list_version=list_version,
    )
    return render(
        request,
        "members/staff/member_list.html",
        {
            "form": form,
            "is_filtered": is_filtered,
            "results_html": mark_safe(results["html"]),  # noqa: S308 (rendered by us, escaped)
            "page_number": results["number"],
            "num_pages": results["num_pages"],
            "import_url": _import_url(coop),
        },
    )


def _save_new_member(request, form) -> Member:
    coop, data = request.coop, form.cleaned_data
    with transaction.atomic():
        member = services.member_create(coop=coop, actor=request.user, data=form.member_data())
        if data.get("profile"):
            services.member_profile_set(
                coop=coop, member=member, kind=data["profile"], start_date=data["profile_start"]
            )
        if programme := form.chosen_programme():
            services.reservation_create(
                coop=coop,
                member=member,
                programme=programme,
                kind=data["contract"],
                signed_on=data["signed_on"],
                lot_number=data.get("lot_number", ""),
            )
    return member


def _add_member_error(form, error: MemberError) -> None:
    form.add_error("external_ref" if error.code == "duplicate_ref" else None, error.message)


@coop_permission_required("members.manage")
def member_create(request, coop_slug):
    coop = request.coop
    form = MemberCreateForm(request.POST or None, programmes=selectors.programme_list(coop=coop))
    if request.method == "POST" and form.is_valid():
        try:
            member = _save_new_member(request, form)
        except MemberError as error:
            _add_member_error(form, error)
        else:
            messages.success(request, _("%(name)s is added to the members.") % {"name": member})
            return redirect(_member_url(coop, member))
    return render(request, "members/staff/member_form.html", {"form": form, "member": None})


@coop_permission_required("members.manage")
def member_edit(request, coop_slug, member_id):
    coop = request.coop
    member = selectors.access_member(coop=coop, public_id=member_id)
    if member.is_anonymised:
        messages.error(request, _("This member's data has been erased."))
        return redirect(_member_url(coop, member))
    # The form works on a copy: `member` stays as stored, for the service and the page.
    form = MemberForm(request.POST or None, instance=copy.copy(member))
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.member_update(
                coop=coop, actor=request.user, member=member, data=form.member_data()
            )
        except MemberError as error:
            _add_member_error(form, error)
        else:
            if changed:
                messages.success(request, _("The member's details are saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect(_member_url(coop, member))
    return render(request, "members/staff/member_form.html", {"form": form, "member": member})


def _detail_context(request, member) -> dict:
    coop = request.coop
    # One query per relation, shared with the timeline's providers.
    timeline.preload(member)
    reservations = sorted(
        member.reservations.all(), key=lambda r: (r.signed_on, r.pk), reverse=True
    )
    stage = selectors.stage_among(reservations, timezone.localdate())
    can_manage = request_has_permission(request, "members.manage") and not member.is_anonymised
    consents = selectors.consents_among(coop, member.consents.all())
    return {
        "member": member,
        "stage_label": Stage(stage).label if stage else "",
        "reservations": reservations,
        "consents": [(Purpose(p).label, record) for p, record in consents.items()],
        "timeline": timeline.member_timeline(coop=coop, member=member),
        "can_manage": can_manage,
        "can_gdpr": request_has_permission(request, "members.gdpr"),
        # The form posts to member-consent, which shows it again on its own page if wrong.
        "consent_form": (
            ConsentForm(prefix="consent", purposes=selectors.purpose_choices(coop))
            if can_manage
            else None
        ),
    }


@coop_permission_required("members.view")
def member_detail(request, coop_slug, member_id):
    member = selectors.access_member(coop=request.coop, public_id=member_id)
    if refused := _method_not_allowed(request):
        return refused
    return render(request, "members/staff/member_detail.html", _detail_context(request, member))


@coop_permission_required("members.manage")
def member_consent(request, coop_slug, member_id):
    """Record a consent given on paper or by phone (GET: the form on its own page)."""
    coop = request.coop
    member = selectors.access_member(coop=coop, public_id=member_id)
    if member.is_anonymised:
        messages.error(request, _("This member's data has been erased."))
        return redirect(_member_url(coop, member))
    form = ConsentForm(
        request.POST or None, prefix="consent", purposes=selectors.purpose_choices(coop)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        before = selectors.member_consents(coop=coop, member=member)[data["purpose"]]
        try:
            record = services.consent_record(
                coop=coop,
                member=member,
                purpose=data["purpose"],
                granted=data["granted"],
                source=data["source"],
                actor=request.user,
                note=data["note"],
            )
        except MemberError as error:
            form.add_error(None, error.message)
        else:
            values = {"purpose": record.get_purpose_display()}
            if before is not None and record.pk == before.pk:
                messages.info(request, _("Nothing changed: %(purpose)s was already so.") % values)
            elif record.granted:
                messages.success(request, _("Recorded: agrees to %(purpose)s.") % values)
            else:
                messages.success(request, _("Recorded: refuses %(purpose)s.") % values)
            return redirect(_member_url(coop, member) + "#consents")
    return render(request, "members/staff/member_consent.html", {"member": member, "form": form})


# --- GDPR: export and erasure ---------------------------------------------------------------


@coop_permission_required("members.gdpr")
def member_export_json(request, coop_slug, member_id):
    """Everything held about the member, machine-readable (a download). Audited."""
    member = selectors.access_member(coop=request.coop, public_id=member_id)
    if refused := _method_not_allowed(request, ("GET",)):
        return refused
    data = services.member_export(coop=request.coop, actor=request.user, member=member)
    response = JsonResponse(
        data,
        json_dumps_params={"ensure_ascii": False, "indent": 2},
        content_type="application/json; charset=utf-8",
    )
    response.headers["Content-Disposition"] = content_disposition_header(
        True, f"cooperateur-{member.public_id}.json"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _display_value(field: models.Field, value, related: dict) -> str:
    if value is None or value == "":
        return "—"
    if field.is_relation:
        target = related.get(field.related_model, {}).get(field.target_field.to_python(value))
        return str(target) if target is not None else str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(value) if isinstance(value, str) else value
        return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    if isinstance(field, models.DateField):
        day = parse_date(value) if isinstance(value, str) else value
        return formats.date_format(day, "DATE_FORMAT")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def export_sections(data: dict) -> list[dict]:
    """The export, for people: sections per model, field labels, readable values.

    Foreign keys (programme, the staff who recorded a consent...) are shown by name,
    with one query per related model.
    """
    sections = []
    for key, rows in data.items():
        if key in EXPORT_META_KEYS:
            continue
        model = apps.get_model(key)
        fields = [
            f
            for f in model._meta.concrete_fields
            if f.name not in ("id", "member") and not (f.is_relation and f.related_model is Member)
        ]
        related: dict = {}
        for field in fields:
            if field.is_relation:
                pks = {
                    field.target_field.to_python(r[field.name]) for r in rows if r.get(field.name)
                }
                if pks:
                    found = field.related_model._base_manager.in_bulk(pks)
                    related.setdefault(field.related_model, {}).update(found)
        records = [
            [
                (capfirst(field.verbose_name), _display_value(field, row.get(field.name), related))
                for field in fields
                if field.name in row
            ]
            for row in rows
        ]
        sections.append(
            {
                "key": key,
                "title": capfirst(model._meta.verbose_name_plural),
                "item": capfirst(model._meta.verbose_name),
                "records": records,
            }
        )
    return sections


@coop_permission_required("members.gdpr")
def member_export(request, coop_slug, member_id):
    """The same export as a page to read or print. Audited (as an export)."""
    member = selectors.access_member(coop=request.coop, public_id=member_id)
    if refused := _method_not_allowed(request, ("GET",)):
        return refused
    data = services.member_export(coop=request.coop, actor=request.user, member=member)
    exported_at = parse_datetime(data["exported_at"])
    return render(
        request,
        "members/staff/member_export.html",
        {"member": member, "sections": export_sections(data), "exported_at": exported_at},
    )


def erasure_impact(member) -> list[dict]:
    """What erasure does, model by model (from the personal data registry)."""
    impact = []
    for entry in personal_data.registered():
        opts = entry.model._meta
        impact.append(
            {
                "is_member": entry.model is Member,
                "title": capfirst(opts.verbose_name_plural),
                "count": entry.rows_of(member).count(),
                "deleted": entry.delete_on_erasure,
                "fields": [str(opts.get_field(name).verbose_name) for name in entry.fields],
            }
        )
    return impact


@coop_permission_required("members.gdpr")
def member_erase(request, coop_slug, member_id):
    """GET: what erasure removes and keeps. POST: anonymise, then back to the list."""
    coop = request.coop
    member = selectors.access_member(coop=coop, public_id=member_id)
    if refused := _method_not_allowed(request, ("GET", "HEAD", "POST")):
        return refused
    if request.method == "POST":
        if member.is_anonymised:
            messages.info(request, _("This member's data had already been erased."))
            return redirect(_member_url(coop, member))
        services.member_anonymise(coop=coop, actor=request.user, member=member, reason="request")
        # No name in the message: it would outlive the erasure in the session.
        messages.success(
            request,
            _("The member's personal data is erased. The coop's figures keep counting them."),
        )
        return redirect("members_staff:member-list", coop_slug=coop.slug)
    impact = [] if member.is_anonymised else erasure_impact(member)
    return render(
        request,
        "members/staff/member_erase.html",
        {
            "member": member,
            "erased": [row for row in impact if row["fields"] or row["deleted"]],
            "kept": [row for row in impact if not row["is_member"] and row["count"]],
        },
    )


# --- Programmes (opérations) ----------------------------------------------------------------


@coop_permission_required("members.view")
def programme_list(request, coop_slug):
    if refused := _method_not_allowed(request):
        return refused
    programmes = (
        Programme.objects.filter(coop=request.coop)
        .annotate(
            member_count=Count(
                "reservations__member",
                filter=Q(reservations__ended_on__isnull=True),
                distinct=True,
            )
        )
        .order_by("name")
    )
    return render(request, "members/staff/programme_list.html", {"programmes": programmes})


def _add_programme_error(form, error: MemberError) -> None:
    form.add_error("name" if error.code == "duplicate_programme" else None, error.message)


@coop_permission_required("members.manage")
def programme_create(request, coop_slug):
    coop = request.coop
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_save(
                coop=coop, actor=request.user, data=form.programme_data()
            )
        except MemberError as error:
            _add_programme_error(form, error)
        else:
            messages.success(request, _("The programme %(name)s is created.") % {"name": programme})
            return redirect(_programme_url(coop, programme))
    return render(request, "members/staff/programme_form.html", {"form": form, "programme": None})


@coop_permission_required("members.manage")
def programme_edit(request, coop_slug, programme_id):
    coop = request.coop
    programme = selectors.access_programme(coop=coop, public_id=programme_id)
    form = ProgrammeForm(request.POST or None, instance=copy.copy(programme))
    if request.method == "POST" and form.is_valid():
        try:
            # The service sets the fields on what it is given: a copy, so that the page
            # still shows the stored programme if it refuses.
            services.programme_save(
                coop=coop,
                actor=request.user,
                data=form.programme_data(),
                programme=copy.copy(programme),
            )
        except MemberError as error:
            _add_programme_error(form, error)
        else:
            messages.success(request, _("The programme is saved."))
            return redirect(_programme_url(coop, programme))
    return render(
        request, "members/staff/programme_form.html", {"form": form, "programme": programme}
    )


@coop_permission_required("members.view")
def programme_detail(request, coop_slug, programme_id):
    coop = request.coop
    programme = selectors.access_programme(coop=coop, public_id=programme_id)
    if refused := _method_not_allowed(request):
        return refused
    # One programme's members: counting them is cheap, no need for the list version.
    page, rows = paginate_members(
        request, coop, {"programme": str(programme.public_id)}, cache_count=False
    )
    can_manage = request_has_permission(request, "members.manage")
    return render(
        request,
        "members/staff/programme_detail.html",
        {
            "programme": programme,
            "page_obj": page,
            "rows": rows,
            "history": selectors.programme_delivery_history(coop=coop, programme=programme),
            "can_manage": can_manage,
            "delivery_form": (
                DeliveryChangeForm(prefix="delivery", initial=_delivery_initial(programme))
                if can_manage
                else None
            ),
        },
    )


def _delivery_initial(programme) -> dict:
    return {"new_date": programme.expected_delivery_on}


@coop_permission_required("members.manage")
def programme_delivery(request, coop_slug, programme_id):
    """Change the expected delivery date, with a reason kept in the history."""
    coop = request.coop
    programme = selectors.access_programme(coop=coop, public_id=programme_id)
    form = DeliveryChangeForm(
        request.POST or None, prefix="delivery", initial=_delivery_initial(programme)
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = services.programme_change_expected_delivery(
                coop=coop,
                actor=request.user,
                programme=programme,
                new_date=form.cleaned_data["new_date"],
                reason=form.cleaned_data["reason"],
            )
        except MemberError as error:
            form.add_error("reason" if error.code == "reason_required" else None, error.message)
        else:
            if change is None:
                messages.info(request, _("This already is the expected delivery date."))
            else:
                messages.success(
                    request,
                    _("The expected delivery date is now %(date)s.")
                    % {"date": formats.date_format(change.new_date, "DATE_FORMAT")},
                )
            return redirect(_programme_url(coop, programme) + "#delivery-history")
    return render(
        request,
        "members/staff/programme_delivery.html",
        {
            "programme": programme,
            "form": form,
            "history": selectors.programme_delivery_history(coop=coop, programme=programme),
        },
    )
