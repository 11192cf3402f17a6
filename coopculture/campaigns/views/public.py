"""Public endpoints of mail: one-click unsubscribe (RFC 8058), tracked links, bounce webhook.

None of them sets a cookie. The unsubscribe address carries a signed token (the secret),
so its POST needs no CSRF token: mail clients POST "List-Unsubscribe=One-Click" to it
without any cookie or form (RFC 8058), and that POST unsubscribes at once. A GET never
changes anything (link scanners follow GETs): it shows a page with a button.

The unsubscribe link reveals nothing about the member and mints no other link (never a
preferences link: docs/decisions/0014). It works for CAMPAIGNS_UNSUBSCRIBE_MAX_AGE after
its email left (the ledger row's date, so links already sent are bounded too); later it
answers 410 with the coop's contact, and changes nothing.
"""

import hashlib
import hmac
import json
import logging

from django_scopes import scopes_disabled

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from coopculture.campaigns import rendering, selectors, services
from coopculture.campaigns.models import Recipient
from coopculture.coops.models import Coop
from coopculture.coops.scoping import coop_scope

logger = logging.getLogger(__name__)


def _private(response):
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, coop_slug, token):
    key = rendering.unsubscribe_key(token)
    recipient = services.recipient_by_key(coop=request.coop, key=key) if key else None
    if recipient is None:
        raise Http404
    if not services.unsubscribe_link_alive(recipient=recipient):
        response = render(
            request,
            "campaigns/public/unsubscribe_expired.html",
            {"coop": request.coop, "days": services.unsubscribe_max_age().days},
            status=410,
        )
        return _private(response)
    purpose = recipient.send.get_purpose_display()
    done = False
    if request.method == "POST":
        services.unsubscribe(coop=request.coop, recipient=recipient)
        done = True
    context = {
        "coop": request.coop,
        "done": done,
        "purpose": purpose,
        **selectors.message_origin(coop=request.coop, recipient=recipient),
    }
    return _private(render(request, "campaigns/public/unsubscribe.html", context))


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def test_link(request, coop_slug, kind):
    """A link of a test or preview copy sent to staff (a fictitious member): it says so,
    and changes nothing (a mail client's one-click POST included)."""
    if kind not in {rendering.TEST_LINK_UNSUBSCRIBE, rendering.TEST_LINK_PREFERENCES}:
        raise Http404
    context = {"coop": request.coop, "unsubscribe": kind == rendering.TEST_LINK_UNSUBSCRIBE}
    return _private(render(request, "campaigns/public/test_link.html", context))


@require_http_methods(["GET", "HEAD"])
def click(request, token):
    """A tracked link: count the click on the ledger row, then go to the target."""
    payload = rendering.click_payload(token)
    if payload is None:
        raise Http404
    key, code = payload
    with scopes_disabled():
        row = Recipient.objects.filter(idempotency_key=key).select_related("coop").first()
    if row is None or not row.coop.is_active:
        raise Http404
    with coop_scope(row.coop):
        recipient = Recipient.objects.select_related("send__version").get(pk=row.pk)
        if request.method == "GET":
            target = services.click_record(coop=row.coop, recipient=recipient, code=code)
        else:
            version = recipient.send.version
            target = (version.links or {}).get(code) if version else None
    if target is None:
        raise Http404
    response = HttpResponseRedirect(target)
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _signature_ok(request) -> bool:
    secret = settings.CAMPAIGNS_WEBHOOK_SECRET
    if not secret:
        return False
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    given = request.headers.get("X-Culture-Coop-Signature", "")
    return hmac.compare_digest(expected, given)


@csrf_exempt
@require_POST
def bounce_webhook(request):
    """A provider (or a relay) reports bounces and complaints, signed with the shared
    secret CAMPAIGNS_WEBHOOK_SECRET (HMAC-SHA256 of the body, hex, in
    X-Culture-Coop-Signature). Body: {"events": [{"email", "message_id", "type", "detail"}]}.
    With a provider, django-anymail's tracking webhooks are the way (docs/decisions/0011)."""
    if not _signature_ok(request):
        return HttpResponse(status=403)
    try:
        events = json.loads(request.body).get("events", [])
    except (ValueError, AttributeError):
        return HttpResponse(status=400)
    handled = 0
    for event in events[:1000]:
        if not isinstance(event, dict) or event.get("type") not in {"bounce", "complaint"}:
            continue
        key = str(event.get("message_id", "")).strip("<>").partition("@")[0]
        with scopes_disabled():
            row = Recipient.objects.filter(idempotency_key=key).select_related("coop").first()
            coop = row.coop if row else Coop.objects.filter(slug=event.get("coop", "")).first()
        if coop is None or not event.get("email"):
            continue
        with coop_scope(coop):
            services.bounce_record(
                coop=coop,
                email=str(event["email"]),
                source="webhook",
                detail=f"{event['type']}: {event.get('detail', '')}",
                message_id=key,
                complaint=event["type"] == "complaint",
            )
        handled += 1
    return JsonResponse({"handled": handled})
