"""Signed links to a member's own pages (preferences, GDPR export), without signing in.

A link carries the coop id and the member's public id, signed with a salt used for
nothing else and timestamped: it works for MAX_AGE, only under its own coop's address,
and never for an anonymised member. It goes in every email and letter, so it must stay
short: the payload is "<coop id>.<public id in base64>" rather than JSON.
"""

import base64
import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from coopculture.coops.models import Coop
from coopculture.members.models import Member

SALT = "coopculture.members.preferences-link"
MAX_AGE = dt.timedelta(days=90)


@dataclass(frozen=True)
class TokenCheck:
    """What a token gives under a coop: the member, or why not (expired, else invalid)."""

    member: Member | None
    expired: bool = False


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def _encode(public_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(public_id.bytes).decode().rstrip("=")


def _decode(text: str) -> uuid.UUID | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return uuid.UUID(bytes=raw)
    except ValueError:
        return None


def preferences_token(member: Member) -> str:
    """The signed token of `member`'s link (valid MAX_AGE from now)."""
    return _signer().sign(f"{member.coop_id}.{_encode(member.public_id)}")


def check_token(coop: Coop, token: str) -> TokenCheck:
    """Read `token` under `coop` (run inside the coop's scope, as views are).

    Expired but otherwise valid tokens say so (the page tells the member how to get a
    new link); anything else that does not lead to a current member of `coop` is invalid.
    """
    signer = _signer()
    expired = False
    try:
        value = signer.unsign(token, max_age=MAX_AGE)
    except signing.SignatureExpired:
        expired = True
        try:
            value = signer.unsign(token)
        except signing.BadSignature:
            return TokenCheck(member=None)
    except signing.BadSignature:
        return TokenCheck(member=None)
    coop_id, _sep, encoded = value.partition(".")
    public_id = _decode(encoded)
    if public_id is None or coop_id != str(coop.pk):
        return TokenCheck(member=None)
    member = Member.objects.filter(
        coop=coop, public_id=public_id, anonymised_at__isnull=True
    ).first()
    if member is None:
        return TokenCheck(member=None)
    if expired:
        return TokenCheck(member=None, expired=True)
    return TokenCheck(member=member)


def member_from_token(coop: Coop, token: str) -> Member | None:
    """The member `token` designates under `coop`, or None (invalid, expired, erased)."""
    return check_token(coop, token).member


def preferences_path(member: Member) -> str:
    return reverse(
        "members_public:preferences",
        kwargs={"coop_slug": member.coop.slug, "token": preferences_token(member)},
    )


def preferences_url(member: Member) -> str:
    """The absolute link to put in emails and letters."""
    return settings.SITE_URL.rstrip("/") + preferences_path(member)
