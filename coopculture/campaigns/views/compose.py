"""Writing, checking and approving sends, under /gestion/<coop_slug>/envois/ (c2).

A one-off campaign goes: draft (text, MOOC blocks, recipients, preview, test send to
oneself) -> awaiting approval -> a coop admin approves and sends now or schedules it.
Editors write; only admins (campaigns.approve) approve, whoever wrote the campaign. The
version shown to the approving admin is frozen at approval: what they saw is what leaves.
"""

import copy
import secrets
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

from coopculture.campaigns import (
    approvals,
    automations,
    bulletin,
    letters,
    rendering,
    segments,
    selectors,
    services,
)
from coopculture.campaigns.forms import (
    AutomationSettingForm,
    BulletinNewsForm,
    BulletinSettingsForm,
    CampaignForm,
    MessageForm,
    ScheduleForm,
    SegmentForm,
)
from coopculture.campaigns.models import (
    AutomationKind,
    BulletinNews,
    LetterBatch,
    Message,
    MessageVersion,
    Recipient,
    RecipientState,
    Send,
    SendKind,
    SendStatus,
)
from coopculture.campaigns.selectors import access_send
from coopculture.coops.permissions import request_has_permission
from coopculture.coops.services import audit_log
from coopculture.coops.views.decorators import coop_permission_required
from coopculture.core.pdf import pdf_response
from coopculture.members import selectors as member_selectors

READ = ("GET", "HEAD")
PREVIEW_SAMPLE_SIZE = 20
# The fictitious member of test sends and of the automations' and bulletin's previews
# ("Camille Exemple": only the first name is used in emails).
SAMPLE_FIRST_NAME = gettext_lazy("Camille")


def _refuse(request, allowed=READ):
    if request.method not in allowed:
        return HttpResponseNotAllowed(allowed)
    return None


def _send_url(coop, send, name="send-detail") -> str:
    return reverse(
        f"campaigns_staff:{name}", kwargs={"coop_slug": coop.slug, "send_id": send.public_id}
    )


def _editable(send) -> bool:
    return send.kind == SendKind.CAMPAIGN and send.status == SendStatus.DRAFT


# --- Preview --------------------------------------------------------------------------------


def sample_values(*, coop, version, email: str = "", member=None, send=None):
    """The per-member values of a staff copy (test send, preview): the fictitious sample
    member (SAMPLE_FIRST_NAME, no account), or the `member` staff chose among the
    recipients for a preview; always test links (campaigns_public:test-link), never a
    member's own preferences or unsubscribe link."""
    return rendering.MemberValues(
        idempotency_key="test" + secrets.token_hex(14),
        email=email,
        first_name=member.first_name if member else str(SAMPLE_FIRST_NAME),
        member_public_id=uuid.UUID(int=0),
        variables=selectors.preview_variables(coop=coop, version=version, member=member, send=send),
        test=True,
    )


def render_preview(*, coop, message, member, news=None, send=None) -> dict:
    """The real email of `message` for `member` (HTML inlined as sent, and plain text),
    without saving a version; None: the fictitious sample member. Its links are test
    links. `send`: the send under way it belongs to (its own ledger rows then decide the
    member's items)."""
    parts = rendering.render_version_content(
        coop=coop,
        subject=message.subject,
        preheader=message.preheader,
        body=message.body,
        blocks=message.blocks,
        news=news,
    )
    version = MessageVersion(
        coop=coop,
        message=message,
        number=0,
        subject=parts["subject"],
        html=parts["html"],
        text=parts["text"],
        fragments=parts["fragments"],
        links=parts["links"],
    )
    prepared = rendering.PreparedVersion(version, coop)
    values = sample_values(coop=coop, version=version, member=member, send=send)
    subject, html_body, text_body = prepared.render(values)
    return {"subject": subject, "html": html_body, "text": text_body}


def _sample_members(coop, send):
    members = segments.segment_members(coop=coop, segment=send.segment or {})
    return list(members[:PREVIEW_SAMPLE_SIZE])


def _pick_member(request, samples):
    wanted = request.GET.get("membre")
    for member in samples:
        if wanted and str(member.public_id) == wanted:
            return member
    return samples[0] if samples else None


def _news_for(coop, send):
    if send.kind == SendKind.BULLETIN:
        return bulletin.approved_news_of_month(coop=coop, month=bulletin.month_of(send))
    return None


# --- Pages -----------------------------------------------------------------------------------


@coop_permission_required("campaigns.view")
def send_list(request, coop_slug):
    if refused := _refuse(request):
        return refused
    coop = request.coop
    sends = list(
        Send.objects.filter(coop=coop)
        .exclude(kind=SendKind.TEST)
        .annotate(
            recipients_count=Count("recipients"),
            sent_count=Count("recipients", filter=Q(recipients__state=RecipientState.SENT)),
            letter_count=Count("recipients", filter=Q(recipients__state=RecipientState.LETTER)),
        )
        .order_by("-created_at", "-id")[:100]
    )
    awaiting = [s for s in sends if s.status == SendStatus.AWAITING_APPROVAL]
    return render(
        request,
        "campaigns/staff/send_list.html",
        {
            "coop": coop,
            "sends": sends,
            "awaiting": awaiting,
            "can_compose": request_has_permission(request, "campaigns.compose"),
            "can_approve": request_has_permission(request, "campaigns.approve"),
        },
    )


@coop_permission_required("campaigns.compose")
def campaign_create(request, coop_slug):
    if refused := _refuse(request, ("GET", "HEAD", "POST")):
        return refused
    coop = request.coop
    message = Message(coop=coop, kind=SendKind.CAMPAIGN)
    form = CampaignForm(request.POST or None, coop=coop, instance=message)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            message = form.save(commit=False)
            message.name = form.cleaned_data["name"]
            message.updated_by = request.user
            message.save()
            send = Send.objects.create(
                coop=coop,
                kind=SendKind.CAMPAIGN,
                name=form.cleaned_data["name"],
                message=message,
                purpose=form.cleaned_data["purpose"],
                created_by=request.user,
            )
            audit_log(
                coop=coop,
                actor=request.user,
                action="campaigns.created",
                data={"send": str(send.public_id), "name": send.name},
            )
        messages.success(request, _("Campaign saved. Now choose who receives it."))
        return redirect(_send_url(coop, send, "campaign-segment"))
    return render(
        request,
        "campaigns/staff/campaign_form.html",
        {"coop": coop, "form": form, "send": None, "title": _("New campaign")},
    )


@coop_permission_required("campaigns.compose")
def campaign_edit(request, coop_slug, send_id):
    coop = request.coop
    send = access_send(coop=coop, public_id=send_id)
    if refused := _refuse(request, ("GET", "HEAD", "POST")):
        return refused
    if not _editable(send):
        messages.error(request, _("This send can no longer be changed."))
        return redirect(_send_url(coop, send))
    initial = {"name": send.name, "purpose": send.purpose}
    form = CampaignForm(request.POST or None, coop=coop, instance=send.message, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            message = form.save(commit=False)
            message.name = form.cleaned_data["name"]
            message.updated_by = request.user
            message.save()
            send.name = form.cleaned_data["name"]
            send.purpose = form.cleaned_data["purpose"]
            send.save(update_fields=["name", "purpose"])
        messages.success(request, _("Text saved."))
        return redirect(_send_url(coop, send))
    return render(
        request,
        "campaigns/staff/campaign_form.html",
        {"coop": coop, "form": form, "send": send, "title": _("Change the text")},
    )


@coop_permission_required("campaigns.compose")
def campaign_segment(request, coop_slug, send_id):
    """Choose the recipients; the count (and what each will get) is shown for the filters
    in the form before saving them (the "count" button posts without saving)."""
    coop = request.coop
    send = access_send(coop=coop, public_id=send_id)
    if refused := _refuse(request, ("GET", "HEAD", "POST")):
        return refused
    if not _editable(send):
        messages.error(request, _("This send can no longer be changed."))
        return redirect(_send_url(coop, send))
    programmes = member_selectors.programme_list(coop=coop)
    if request.method == "POST":
        form = SegmentForm(request.POST, coop=coop, programmes=programmes)
    else:
        form = SegmentForm(initial=send.segment or {}, coop=coop, programmes=programmes)
    segment = send.segment or {}
    if form.is_bound and form.is_valid():
        segment = form.segment()
        if request.POST.get("action") != "count":
            send.segment = segment
            send.save(update_fields=["segment"])
            messages.success(request, _("Recipients saved."))
            return redirect(_send_url(coop, send))
    figures = segments.segment_breakdown(coop=coop, segment=segment, purpose=send.purpose)
    return render(
        request,
        "campaigns/staff/campaign_segment.html",
        {
            "coop": coop,
            "send": send,
            "form": form,
            "figures": figures,
            "labels": segments.segment_labels(coop=coop, segment=segment),
        },
    )


@coop_permission_required("campaigns.view")
def send_detail(request, coop_slug, send_id):
    coop = request.coop
    send = access_send(coop=coop, public_id=send_id)
    if refused := _refuse(request):
        return refused
    figures = None
    breakdown = None
    if send.status in {SendStatus.SENDING, SendStatus.DONE, SendStatus.PAUSED}:
        figures = selectors.send_figures(coop=coop, send=send)
    elif send.kind == SendKind.CAMPAIGN:
        breakdown = segments.segment_breakdown(
            coop=coop, segment=send.segment or {}, purpose=send.purpose
        )
    batches = list(LetterBatch.objects.filter(coop=coop, send=send))
    return render(
        request,
        "campaigns/staff/send_detail.html",
        {
            "coop": coop,
            "send": send,
            "figures": figures,
            "breakdown": breakdown,
            "labels": segments.segment_labels(coop=coop, segment=send.segment or {}),
            "batches": batches,
            "editable": _editable(send),
            "can_compose": request_has_permission(request, "campaigns.compose"),
            "can_approve": request_has_permission(request, "campaigns.approve"),
            "too_long_for_letters": len(letters.letter_text(send.message)) > letters.TEXT_LIMIT,
        },
    )


def _send_preview(request, coop, send):
    """(preview, samples, member) of a send: the draft's text, or the frozen version once
    approved, for the sample member chosen (?membre=) among its first recipients."""
    samples = _sample_members(coop, send)
    member = _pick_member(request, samples)
    message = send.message
    if send.version_id and send.status != SendStatus.DRAFT:
        # The frozen version itself, as it leaves (its HTML was rendered once, at freezing).
        prepared = rendering.PreparedVersion(send.version, coop)
        values = sample_values(coop=coop, version=send.version, member=member, send=send)
        subject, html_body, text_body = prepared.render(values)
        return {"subject": subject, "html": html_body, "text": text_body}, samples, member
    preview = render_preview(
        coop=coop, message=message, member=member, news=_news_for(coop, send), send=send
    )
    return preview, samples, member


def _frame_url(request, name, **kwargs) -> str:
    url = reverse(f"campaigns_staff:{name}", kwargs={"coop_slug": request.coop.slug, **kwargs})
    if member := request.GET.get("membre"):
        url += "?" + urlencode({"membre": member})
    return url


# The email's own HTML, shown in an iframe of the staff pages: it needs its inline styles
# (the app's policy forbids them), and nothing else. No script can run: the iframe is
# sandboxed and this policy allows none; only our pages may frame it.
PREVIEW_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", settings.SITE_URL.rstrip("/")],
    "frame-ancestors": [CSP.SELF],
    "form-action": [CSP.NONE],
    "base-uri": [CSP.NONE],
}


def _frame_response(html: str) -> HttpResponse:
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@coop_permission_required("campaigns.view")
def send_preview(request, coop_slug, send_id):
    """The email as a sample member of the recipients would get it: the HTML in a
    sandboxed iframe (its own address, send_preview_frame), and the plain-text part."""
    coop = request.coop
    send = access_send(coop=coop, public_id=send_id)
    if refused := _refuse(request):
        return refused
    preview, samples, member = _send_preview(request, coop, send)
    return render(
        request,
        "campaigns/staff/send_preview.html",
        {
            "coop": coop,
            "send": send,
            "preview": preview,
            "samples": samples,
            "member": member,
            "frame_url": _frame_url(request, "send-preview-frame", send_id=send.public_id),
        },
    )


@coop_permission_required("campaigns.view")
@xframe_options_sameorigin
@csp_override(PREVIEW_CSP)
def send_preview_frame(request, coop_slug, send_id):
    coop = request.coop
    send = access_send(coop=coop, public_id=send_id)
    if refused := _refuse(request):
        return refused
    preview, _samples, _member = _send_preview(request, coop, send)
    return _frame_response(preview["html"])


@coop_permission_required("campaigns.compose")
def campaign_test(request, coop_slug, send_id):
    """Send the email to the signed-in staff member's own address, through the bulk
    mailer, with the version that would be sent. Not in the ledger, not in the figures."""
    coop = request.coop
    send = access_send(coop=coop, public_id=send_id)
    if refused := _refuse(request, ("POST",)):
        return refused
    address = request.user.email
    version = services.version_freeze(
        message=send.message, actor=request.user, news=_news_for(coop, send)
    )
    # The frozen version, with "[Test]" before its subject (a copy, never saved), for the
    # fictitious sample member: no real member's name, items or links reach the team.
    labelled = copy.copy(version)
    labelled.subject = _("[Test] %(subject)s") % {"subject": version.subject}
    prepared = rendering.PreparedVersion(labelled, coop)
    values = sample_values(coop=coop, version=version, email=address, send=send)
    prepared.email(values).send(using=settings.BULK_MAILER)
    audit_log(
        coop=coop,
        actor=request.user,
        action="campaigns.test_sent",
        data={"send": str(send.public_id)},
    )
    messages.success(request, _("Test email sent to %(address)s.") % {"address": address})
    return redirect(_send_url(coop, send))


@coop_permission_required("campaigns.compose")
def campaign_submit(request, coop_slug, send_id):
    """Ask for approval: the text is frozen now into the version the admin reviews."""
    coop = request.coop
    send = access_send(coop=coop, public_id=send_id)
    if refused := _refuse(request, ("POST",)):
        return refused
    if services.campaign_submit(coop=coop, send=send, actor=request.user):
        audit_log(
            coop=coop,
            actor=request.user,
            action="campaigns.submitted",
            data={"send": str(send.public_id), "version": send.version.number},
        )
        messages.success(request, _("Sent for approval. A coop admin will check it."))
    return redirect(_send_url(coop, send))


@coop_permission_required("campaigns.compose")
def campaign_withdraw(request, coop_slug, send_id):
    """Back to draft (by its authors, or an admin sending it back), before it leaves."""
    coop = request.coop
    send = access_send(coop=coop, public_id=send_id)
    if refused := _refuse(request, ("POST",)):
        return refused
    updated = Send.objects.filter(
        pk=send.pk,
        coop=coop,
        kind=SendKind.CAMPAIGN,
        status__in=[SendStatus.AWAITING_APPROVAL, SendStatus.SCHEDULED],
    ).update(
        status=SendStatus.DRAFT, scheduled_at=None, approved_by=None, approved_at=None, version=None
    )
    if updated:
        audit_log(
            coop=coop,
            actor=request.user,
            action="campaigns.back_to_draft",
            data={"send": str(send.public_id)},
        )
        messages.success(request, _("The campaign is a draft again."))
    return redirect(_send_url(coop, send))


@coop_permission_required("campaigns.approve")
def campaign_approve(request, coop_slug, send_id):
    """The admin reviews one frozen version (and the recipients) and approves exactly it:
    the form posts back the version's id and the review hash; if anything changed since
    the page was shown, nothing is approved and the page shows the new state."""
    coop = request.coop
    send = access_send(coop=coop, public_id=send_id)
    if refused := _refuse(request, ("GET", "HEAD", "POST")):
        return refused
    if send.kind != SendKind.CAMPAIGN or send.status != SendStatus.AWAITING_APPROVAL:
        messages.error(request, _("This send is not awaiting approval."))
        return redirect(_send_url(coop, send))
    form = ScheduleForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        scheduled_at = form.cleaned_data.get("scheduled_at")
        try:
            services.campaign_approve(
                coop=coop,
                send=send,
                actor=request.user,
                version_id=request.POST.get("version"),
                review=request.POST.get("review"),
                scheduled_at=scheduled_at,
            )
        except services.ApprovalError as refusal:
            form.add_error(None, refusal.message)
            status = 409
            send = access_send(coop=coop, public_id=send_id)
            if send.status != SendStatus.AWAITING_APPROVAL:
                messages.error(request, refusal.message)
                return redirect(_send_url(coop, send))
        else:
            if scheduled_at:
                messages.success(
                    request,
                    _("Approved. It will leave on %(date)s.")
                    % {"date": timezone.localtime(scheduled_at).strftime("%d/%m/%Y %H:%M")},
                )
            else:
                messages.success(request, _("Approved: sending has started."))
            return redirect(_send_url(coop, send))
    version = services.version_under_review(coop=coop, send=send)
    preview, _samples, member = _send_preview(request, coop, send)
    return render(
        request,
        "campaigns/staff/campaign_approve.html",
        {
            "coop": coop,
            "send": send,
            "form": form,
            "version": version,
            "review": services.review_hash(send=send, version=version),
            "preview": preview,
            "member": member,
            "frame_url": _frame_url(request, "send-preview-frame", send_id=send.public_id),
            "figures": segments.segment_breakdown(
                coop=coop, segment=send.segment or {}, purpose=send.purpose
            ),
            "labels": segments.segment_labels(coop=coop, segment=send.segment or {}),
        },
        status=status,
    )


@coop_permission_required("campaigns.compose")
def letter_download(request, coop_slug, batch_id):
    """The letters of a send, one PDF to print (private storage, never a public URL)."""
    coop = request.coop
    batch = LetterBatch.objects.filter(coop=coop, public_id=batch_id).select_related("send").first()
    if batch is None or not batch.file:
        raise Http404
    if refused := _refuse(request):
        return refused
    send = batch.send
    with batch.file.open("rb") as handle:
        data = handle.read()
    audit_log(
        coop=coop,
        actor=request.user,
        action="campaigns.letters_downloaded",
        data={"send": str(send.public_id), "letters": batch.letter_count},
    )
    response = pdf_response(data, letters.batch_filename(send, batch))
    response.headers["Cache-Control"] = "no-store, private"
    return response


# --- Automations and bulletin ---------------------------------------------------------------


@coop_permission_required("campaigns.compose")
def automation_list(request, coop_slug):
    if refused := _refuse(request):
        return refused
    coop = request.coop
    settings_by_kind = automations.ensure_settings(coop=coop)
    rows = []
    for kind in AutomationKind:
        setting = settings_by_kind[kind.value]
        rows.append(
            {
                "kind": kind,
                "setting": setting,
                "url": reverse(
                    "campaigns_staff:automation-edit",
                    kwargs={"coop_slug": coop.slug, "kind": kind.value},
                ),
                "description": automations.DESCRIPTIONS[kind.value],
                "sent": Recipient.objects.filter(
                    coop=coop, send__automation_kind=kind.value, state=RecipientState.SENT
                ).count(),
            }
        )
    return render(request, "campaigns/staff/automation_list.html", {"coop": coop, "rows": rows})


def _automation_kind(kind: str) -> str:
    if kind not in AutomationKind.values:
        raise Http404
    return kind


WAITING_FOR_APPROVAL = gettext_noop(
    "Saved. Members keep getting the approved text until a coop admin approves the change."
)


def _approve_pending(request, *, row, can_approve: bool, news=None, data: dict):
    """An admin approves the pending text (and news) shown on the page, by its review hash
    (campaigns.approvals); a change since the page was shown is refused."""
    if not can_approve:
        raise PermissionDenied
    try:
        approvals.approve_pending(
            row=row, actor=request.user, review=request.POST.get("review", ""), news=news
        )
    except services.ApprovalError as refusal:
        messages.error(request, refusal.message)
    else:
        audit_log(
            coop=request.coop, actor=request.user, action="campaigns.text_approved", data=data
        )
        messages.success(request, _("Approved: members get this text from now on."))
    return redirect(request.path)


@coop_permission_required("campaigns.compose")
def automation_edit(request, coop_slug, kind):
    """An automation's text (editors and admins) and its switch (admins only: turning it
    on means members will get mail without anyone approving each one)."""
    coop = request.coop
    kind = _automation_kind(kind)
    if refused := _refuse(request, ("GET", "HEAD", "POST")):
        return refused
    setting = automations.ensure_settings(coop=coop)[kind]
    can_switch = request_has_permission(request, "campaigns.approve")
    if request.method == "POST" and request.POST.get("action") == "approve":
        return _approve_pending(request, row=setting, can_approve=can_switch, data={"kind": kind})
    data = request.POST or None
    text_form = MessageForm(data, coop=coop, instance=setting.message, prefix="text")
    switch_form = AutomationSettingForm(data, instance=setting, prefix="setting")
    if not can_switch:
        switch_form.fields["enabled"].disabled = True
    if request.method == "POST" and text_form.is_valid() and switch_form.is_valid():
        with transaction.atomic():
            message = text_form.save(commit=False)
            message.updated_by = request.user
            message.save()
            saved = switch_form.save(commit=False)
            saved.updated_by = request.user
            saved.save()
            if can_switch:  # an admin's save approves the text they saved
                approvals.approve_text(row=saved, actor=request.user)
            audit_log(
                coop=coop,
                actor=request.user,
                action="campaigns.automation_changed",
                data={"kind": kind, "enabled": saved.enabled},
            )
        if approvals.text_pending(saved):
            messages.success(request, _(WAITING_FOR_APPROVAL))
        else:
            messages.success(request, _("Automation saved."))
        return redirect("campaigns_staff:automation-list", coop_slug=coop.slug)
    preview = _automation_preview(coop, setting)
    return render(
        request,
        "campaigns/staff/automation_form.html",
        {
            "coop": coop,
            "setting": setting,
            "text_form": text_form,
            "switch_form": switch_form,
            "can_switch": can_switch,
            "description": automations.DESCRIPTIONS[kind],
            "placeholders": automations.PLACEHOLDERS.get(kind, ()),
            "preview": preview,
            "frame_url": _frame_url(request, "automation-preview", kind=kind),
            "pending": approvals.text_pending(setting),
            "review": approvals.review_hash(row=setting),
        },
    )


def _automation_preview(coop, setting) -> dict:
    return render_preview(
        coop=coop,
        message=automations.example_message(coop=coop, setting=setting),
        member=None,  # the fictitious sample member, not a real one
    )


@coop_permission_required("campaigns.compose")
@xframe_options_sameorigin
@csp_override(PREVIEW_CSP)
def automation_preview(request, coop_slug, kind):
    coop = request.coop
    kind = _automation_kind(kind)
    if refused := _refuse(request):
        return refused
    setting = automations.ensure_settings(coop=coop)[kind]
    return _frame_response(_automation_preview(coop, setting)["html"])


@coop_permission_required("campaigns.compose")
def bulletin_page(request, coop_slug):
    """The monthly bulletin: its day and switch (admins), its text, the news of the month."""
    coop = request.coop
    if refused := _refuse(request, ("GET", "HEAD", "POST")):
        return refused
    settings_row = bulletin.ensure_settings(coop=coop)
    month = bulletin.next_bulletin_month(coop=coop, settings_row=settings_row)
    news = BulletinNews.objects.filter(coop=coop, month=month).first() or BulletinNews(
        coop=coop, month=month
    )
    can_switch = request_has_permission(request, "campaigns.approve")
    form_name = request.POST.get("form") if request.method == "POST" else None
    settings_form = BulletinSettingsForm(
        request.POST if form_name == "settings" else None, instance=settings_row, prefix="settings"
    )
    if not can_switch:
        for field in settings_form.fields.values():
            field.disabled = True
    text_form = MessageForm(
        request.POST if form_name == "text" else None,
        coop=coop,
        instance=settings_row.message,
        prefix="text",
    )
    news_form = BulletinNewsForm(
        request.POST if form_name == "news" else None, instance=news, prefix="news"
    )
    if form_name == "approve":
        return _approve_pending(
            request,
            row=settings_row,
            can_approve=can_switch,
            news=news,
            data={"bulletin": month.isoformat()},
        )
    bound = {"settings": settings_form, "text": text_form, "news": news_form}.get(form_name)
    if bound is not None and bound.is_valid():
        if form_name == "settings" and not can_switch:
            raise PermissionDenied
        with transaction.atomic():
            saved = bound.save(commit=False)
            if hasattr(saved, "updated_by"):
                saved.updated_by = request.user
            saved.save()
            if can_switch and form_name == "text":  # an admin's save approves it
                approvals.approve_text(row=settings_row, actor=request.user)
            elif can_switch and form_name == "news":
                approvals.approve_news(news=saved, actor=request.user)
            audit_log(
                coop=coop,
                actor=request.user,
                action=f"campaigns.bulletin_{form_name}_changed",
                data={"month": month.isoformat()} if form_name == "news" else {},
            )
        if approvals.text_pending(settings_row) or approvals.news_pending(
            saved if form_name == "news" else news
        ):
            messages.success(request, _(WAITING_FOR_APPROVAL))
        else:
            messages.success(request, _("Bulletin saved."))
        return redirect("campaigns_staff:bulletin", coop_slug=coop.slug)
    preview = _bulletin_preview(coop, settings_row, news)
    past = list(Send.objects.filter(coop=coop, kind=SendKind.BULLETIN).order_by("-created_at")[:12])
    return render(
        request,
        "campaigns/staff/bulletin.html",
        {
            "coop": coop,
            "settings_row": settings_row,
            "settings_form": settings_form,
            "text_form": text_form,
            "news_form": news_form,
            "month": month,
            "next_date": bulletin.next_bulletin_date(coop=coop, settings_row=settings_row),
            "last_bulletin": bulletin.last_bulletin(coop=coop),
            "can_switch": can_switch,
            "preview": preview,
            "frame_url": _frame_url(request, "bulletin-preview"),
            "past": past,
            "pending": approvals.text_pending(settings_row) or approvals.news_pending(news),
            "review": approvals.review_hash(row=settings_row, news=news),
        },
    )


def _bulletin_preview(coop, settings_row, news) -> dict:
    return render_preview(
        coop=coop,
        message=settings_row.message,
        member=None,  # the fictitious sample member, not a real one
        news=news if news is not None and news.pk else None,
    )


@coop_permission_required("campaigns.compose")
@xframe_options_sameorigin
@csp_override(PREVIEW_CSP)
def bulletin_preview(request, coop_slug):
    coop = request.coop
    if refused := _refuse(request):
        return refused
    settings_row = bulletin.ensure_settings(coop=coop)
    month = bulletin.next_bulletin_month(coop=coop, settings_row=settings_row)
    news = BulletinNews.objects.filter(coop=coop, month=month).first()
    return _frame_response(_bulletin_preview(coop, settings_row, news)["html"])
