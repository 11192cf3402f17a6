"""A member's own pages, reached by the signed link of members.links, without signing in.

Under /c/<coop_slug>/mes-donnees/<token>/: the coop middleware has resolved request.coop
and opened its scope. The token is checked before anything else (a token of another coop
answers 404 like a forged one, an expired one 410), and every answer is private: not
cached, not indexed, and no Referer ever carries the address (and its token) onwards.

The link alone opens nothing personal (docs/decisions/0014): until the visitor proves they
are the member (signed in as them, or a one-time code mailed to the member's address,
members.proof), every one of these addresses answers the same page asking for the code.
"""

import datetime as dt
import functools

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from coopculture.coops.services import audit_log
from coopculture.core.mail import send_transactional_email
from coopculture.core.ratelimit import allow, client_id, rate_limited
from coopculture.members import links, personal_data, proof, selectors, services
from coopculture.members.errors import MemberError
from coopculture.members.forms_public import AccessCodeForm, PreferencesForm
from coopculture.members.models import ConsentSource, LegalBasis, Member

# Changes of the wording shown next to each question bump this (proof of consent).
WORDING_VERSION = "1"
LINK_VALID_DAYS = links.MAX_AGE.days
HIDDEN_EXPORT_FIELDS = {"id", "public_id", "member"}


def private(view=None, *, referrer_policy: str = "no-referrer"):
    """Headers for pages reached by a secret link: no cache, no indexing, and a Referer
    policy that never sends the address (with its token) anywhere.

    The page holding the form uses "strict-origin" rather than "no-referrer": under
    "no-referrer" browsers send `Origin: null` with the form's POST, and Django's CSRF
    protection rightly refuses it. "strict-origin" still sends no path (so no token), only
    the site's origin, and the POST keeps its real Origin.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.headers["Cache-Control"] = "no-store, private"
            response.headers["X-Robots-Tag"] = "noindex, nofollow"
            response.headers.setdefault("Referrer-Policy", referrer_policy)
            return response

        return wrapped

    return decorator(view) if view is not None else decorator


def _invalid_link(request, *, expired: bool):
    response = render(
        request,
        "members/public/link_invalid.html",
        {"expired": expired, "valid_days": LINK_VALID_DAYS},
        status=410 if expired else 404,
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def with_member(view):
    """Resolve the token into request's member, or answer the invalid-link page; then,
    until the visitor has proved they are the member, answer the proof page instead."""

    @functools.wraps(view)
    def wrapped(request, coop_slug, token):
        check = links.check_token(request.coop, token)
        if check.member is None:
            return _invalid_link(request, expired=check.expired)
        if not proof.is_proven(request=request, member=check.member):
            return _prove(request, check.member)
        return view(request, check.member, token)

    return wrapped


PROOF_LIMIT = 10  # proof POSTs (code asked or typed) per minute and client


def _prove(request, member: Member):
    """The page between the link and the member's data: ask for a code (a POST: link
    scanners follow GETs and must not mail anyone), then type it. Nothing personal on it,
    not even the first name. Any other POST (a form posted once the proof ran out) changes
    nothing and is answered with this page."""
    session = request.session
    status = 200
    error = notice = ""
    action = request.POST.get("proof") if request.method == "POST" else None
    if request.method == "POST" and not allow(
        "members.proof", client_id(request), limit=PROOF_LIMIT, period=60
    ):
        response = render(request, "errors/429.html", {"retry_after": 60}, status=429)
        response["Retry-After"] = "60"
        return response
    if action == "send":
        code = proof.code_issue(session=session, member=member)
        if code is None and not member.email:
            error = _(
                "Your coop has no email address for you, so no code can be sent: "
                "contact your coop (its details are below)."
            )
        elif code is None:
            error = _(
                "Several codes have already been sent in the last hour. Use the last one "
                "you received, or try again later."
            )
        else:
            send_transactional_email(
                "members/email/access_code",
                to=[member.email],
                context={"coop": request.coop, "code": code, "minutes": _code_minutes()},
            )
            audit_log(
                coop=request.coop,
                actor=None,
                action="members.access_code_sent",
                data={"member": str(member.public_id)},
            )
            notice = _(
                "A code has just been sent to the email address your coop has for you. "
                "It is valid for %(minutes)s minutes."
            ) % {"minutes": _code_minutes()}
    code_form = AccessCodeForm(request.POST if action == "check" else None)
    if action == "check" and code_form.is_valid():
        outcome = proof.code_check(
            session=session, member=member, code=code_form.cleaned_data["code"]
        )
        if outcome == proof.CodeCheck.OK:
            session.cycle_key()
            audit_log(
                coop=request.coop,
                actor=None,
                action="members.access_proven",
                data={"member": str(member.public_id)},
            )
            return redirect(request.path)
        if outcome == proof.CodeCheck.WRONG:
            left = proof.attempts_left(session=session, member=member)
            code_form.add_error(
                "code", _("This code is not right. Tries left: %(left)s.") % {"left": left}
            )
        else:
            error = _("This code no longer works (too many tries, or too old): ask for a new one.")
        status = 400
    elif action == "check":
        status = 400
    elif request.method == "POST" and action != "send":
        error = _("For your security, confirm it is you again: nothing has been saved.")
        status = 403
    elif request.method not in {"GET", "HEAD", "POST"}:
        return HttpResponseNotAllowed(["GET", "POST"])
    context = {
        "coop": request.coop,
        "code_pending": proof.code_pending(session=session, member=member),
        "code_form": code_form,
        "error": error,
        "notice": notice,
    }
    response = render(request, "members/public/proof.html", context, status=status)
    # The page holds forms: "strict-origin" (not "no-referrer", whose `Origin: null` CSRF
    # refuses) still sends no path, so never the token (see private()).
    response.headers["Referrer-Policy"] = "strict-origin"
    return response


def _code_minutes() -> int:
    return int(proof.CODE_TTL.total_seconds() // 60)


def _base_context(member: Member, token: str) -> dict:
    return {"member_first_name": member.first_name, "token": token, "valid_days": LINK_VALID_DAYS}


@rate_limited("members.preferences", limit=20)
@private(referrer_policy="strict-origin")
@with_member
def preferences(request, member: Member, token: str):
    if request.method not in {"GET", "HEAD", "POST"}:
        return HttpResponseNotAllowed(["GET", "POST"])
    coop = request.coop
    consents = selectors.member_consents(coop=coop, member=member)
    form = PreferencesForm(
        request.POST if request.method == "POST" else None, member=member, consents=consents
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = _save_preferences(coop, member, form)
        except MemberError as error:
            form.add_error(None, error.message)
        else:
            if changed:
                messages.success(request, _("Thank you, your choices have been saved."))
            else:
                messages.info(request, _("Nothing has changed: your choices were already saved."))
            return redirect(request.path)
    context = _base_context(member, token)
    context["form"] = form
    return render(request, "members/public/preferences.html", context)


@transaction.atomic
def _save_preferences(coop, member: Member, form: PreferencesForm) -> bool:
    note = _("Preferences page reached by the member's link (wording %(version)s)") % {
        "version": WORDING_VERSION
    }
    changes = form.changed_consents()
    for purpose, granted in changes.items():
        services.consent_record(
            coop=coop,
            member=member,
            purpose=purpose,
            granted=granted,
            source=ConsentSource.WEB_FORM,
            legal_basis=LegalBasis.CONSENT,
            note=note,
        )
    channel = form.cleaned_data["preferred_channel"]
    changed_fields = []
    if channel != member.preferred_channel:
        changed_fields = services.member_update(
            coop=coop, actor=None, member=member, data={"preferred_channel": channel}
        )
    return bool(changes or changed_fields)


@rate_limited("members.export", limit=20, methods=("GET", "HEAD"))
@private
@with_member
def export_json(request, member: Member, token: str):
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET"])
    data = services.member_export(coop=request.coop, actor=None, member=member)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    day = timezone.localdate().isoformat()
    response.headers["Content-Disposition"] = (
        f'attachment; filename="mes-donnees-{request.coop.slug}-{day}.json"'
    )
    return response


@rate_limited("members.export", limit=20, methods=("GET", "HEAD"))
@private
@with_member
def export(request, member: Member, token: str):
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET"])
    data = services.member_export(coop=request.coop, actor=None, member=member)
    context = _base_context(member, token)
    context["sections"] = _readable_sections(data)
    context["exported_at"] = _display(models.DateTimeField(), data.get("exported_at"), {})
    return render(request, "members/public/export.html", context)


# --- The export, readable ---------------------------------------------------------------


def _readable_sections(data: dict) -> list[dict]:
    """The export's tables as headings and (label, value) rows, in everyday words."""
    cache: dict = {}
    sections = []
    for entry in personal_data.registered():
        model = entry.model
        label = model._meta.label
        if label not in data:
            continue
        rows = []
        for row in data[label]:
            pairs = []
            for field in model._meta.concrete_fields:
                if field.name in HIDDEN_EXPORT_FIELDS or field.name not in row:
                    continue
                pairs.append((field.verbose_name, _display(field, row[field.name], cache)))
            rows.append(pairs)
        sections.append(
            {
                "title": _("Your details") if model is Member else model._meta.verbose_name_plural,
                "singular": model._meta.verbose_name,
                "rows": rows,
                "explanation": _explanation(model),
            }
        )
    return sections


def _explanation(model) -> str:
    from coopculture.members.models import ConsentRecord

    if model is ConsentRecord:
        return _(
            "Each of your answers is kept with its date and how it was given: this is the "
            "proof of your choices. The most recent answer for each subject is the one in force."
        )
    return ""


def _display(field, value, cache: dict) -> str:
    """One exported value as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(str(value))
        if moment is None:
            return str(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return date_format(moment, "DATETIME_FORMAT")
    if isinstance(field, models.DateField):
        try:
            return date_format(dt.date.fromisoformat(str(value)), "DATE_FORMAT")
        except ValueError:
            return str(value)
    if field.is_relation:
        return _related(field, value, cache)
    return str(value)


def _related(field, value, cache: dict) -> str:
    """The name of a related object: a programme, the member's own account; the coop's
    team members who recorded something are named, never shown by their email address."""
    related = field.related_model
    key = (related._meta.label, field.name, value)
    if key not in cache:
        obj = related._default_manager.filter(pk=value).first()
        if obj is None:
            cache[key] = "—"
        elif related is get_user_model() and field.model is not Member:
            cache[key] = obj.full_name or _("The coop's team")
        else:
            cache[key] = str(obj)
    return cache[key]
