"""Carry the first source of a visit into the account at sign-in, and back; queue new
previews of the kit when the coop's branding changes.

The session holds the first link a visitor came through (core.attribution). Signing in
keeps the session data, so the same browser stays attributed; the account keeps it too
(AccountSource, one per coop) for the member's other devices: signing in on a browser
whose session has no source puts the account's back into it.
"""

from allauth.account.signals import user_logged_in
from django_scopes import scopes_disabled

from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.urls import Resolver404, resolve

from coopculture.coops.scoping import coop_scope
from coopculture.coops.signals import coop_settings_changed
from coopculture.core import attribution
from coopculture.kit.models import AccountSource
from coopculture.kit.selectors import link_by_code

SOURCE_PREFIX = "link:"


def _coop_of_request(request):
    """The coop the visitor is signing in from: the page, or the page they return to."""
    coop = getattr(request, "coop", None)
    if coop is not None:
        return coop
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not next_url.startswith("/") or next_url.startswith("//"):
        return None
    try:
        slug = resolve(next_url.split("?", 1)[0]).kwargs.get("coop_slug")
    except Resolver404:
        return None
    if not slug:
        return None
    from coopculture.coops.selectors import coop_get_active

    return coop_get_active(slug=slug)


def source_keep(*, user, source: str) -> AccountSource | None:
    """Store `source` as the account's first source in the coop of its link, unless the
    account already has one there."""
    if not source.startswith(SOURCE_PREFIX):
        return None
    link = link_by_code(source[len(SOURCE_PREFIX) :])
    if link is None:
        return None
    with coop_scope(link.coop):
        existing = AccountSource.objects.filter(coop=link.coop, user=user).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return AccountSource.objects.create(coop=link.coop, user=user, source=source)
        except IntegrityError:  # the same account signing in twice at once
            return AccountSource.objects.filter(coop=link.coop, user=user).first()


def source_restore(*, request, user) -> str:
    """Put the account's source back in a session that has none (another device)."""
    coop = _coop_of_request(request)
    with scopes_disabled():
        sources = AccountSource.objects.filter(user=user)
        if coop is not None:
            sources = sources.filter(coop=coop)
        kept = sources.order_by("created_at", "pk").first()
    if kept is None:
        return ""
    attribution.remember_first_source(request, kept.source)
    return kept.source


@receiver(user_logged_in, dispatch_uid="kit_carry_first_source")
def carry_first_source(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    source = attribution.first_source(request)
    if source:
        source_keep(user=user, source=source)
    else:
        source_restore(request=request, user=user)


@receiver(coop_settings_changed, dispatch_uid="kit_previews_after_branding")
def previews_after_branding(sender, coop, fields, **kwargs):
    from coopculture.kit.thumbnails import previews_request

    previews_request(coop=coop)
