"""Tracked links: creation, the kit's own per-piece links, their short paths.

Codes are 7 characters from an alphabet without look-alikes (no 0/O, 1/l/I), so that a
member can type one read off a poster: 31^7 ≈ 27 billion codes, drawn at random.
"""

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coopculture.coops.scoping import ensure_same_coop
from coopculture.kit.models import TargetKind, TrackedLink

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 7


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def short_path(link: TrackedLink) -> str:
    return reverse("kit:short-link", kwargs={"code": link.code})


def short_url(link: TrackedLink) -> str:
    """The absolute short URL, as printed and as encoded in the QR codes."""
    return settings.SITE_URL.rstrip("/") + short_path(link)


def describe_source(source, row: dict) -> dict:
    """An exported AccountSource row as its person reads it: the link (of the source's own
    coop) named by its label and channel, not by its code ("link:k7mn3vc")."""
    code = str(row.get("source", "")).removeprefix("link:")
    link = TrackedLink.objects.filter(coop_id=source.coop_id, code=code).first() if code else None
    if link is not None:
        row["source"] = _("%(label)s (%(channel)s, link %(code)s)") % {
            "label": link.label,
            "channel": link.get_channel_display(),
            "code": link.code,
        }
    return row


def _clean_target(target_kind: str, module_slug: str, activity_position: int | None) -> dict:
    """Only the fields the kind uses: a landing link keeps no stale module."""
    if target_kind == TargetKind.LANDING:
        return {"target_kind": target_kind, "module_slug": "", "activity_position": None}
    if target_kind == TargetKind.MODULE:
        return {"target_kind": target_kind, "module_slug": module_slug, "activity_position": None}
    return {
        "target_kind": target_kind,
        "module_slug": module_slug,
        "activity_position": activity_position,
    }


def _create(**fields) -> TrackedLink:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return TrackedLink.objects.create(code=new_code(), **fields)
        except IntegrityError:
            if fields.get("piece"):
                existing = TrackedLink.objects.filter(
                    coop=fields["coop"], piece=fields["piece"]
                ).first()
                if existing is not None:
                    return existing
    raise RuntimeError("could not draw a free short code")  # 27 billion codes: never


def link_create(
    *,
    coop,
    channel: str,
    label: str,
    target_kind: str = TargetKind.LANDING,
    module_slug: str = "",
    activity_position: int | None = None,
    created_by=None,
) -> TrackedLink:
    if created_by is not None and getattr(created_by, "is_anonymous", False):
        created_by = None
    return _create(
        coop=coop,
        channel=channel,
        label=label,
        created_by=created_by,
        **_clean_target(target_kind, module_slug, activity_position),
    )


@transaction.atomic
def link_update(
    *,
    coop,
    link: TrackedLink,
    label: str,
    target_kind: str,
    module_slug: str = "",
    activity_position: int | None = None,
) -> TrackedLink:
    """Change the name or the target of a link, printed or not: its code never changes.
    (The channel stays: the figures of past weeks must keep meaning what they meant.)"""
    ensure_same_coop(coop, link)
    link.label = label
    for field, value in _clean_target(target_kind, module_slug, activity_position).items():
        setattr(link, field, value)
    link.save(
        update_fields=["label", "target_kind", "module_slug", "activity_position", "updated_at"]
    )
    return link


@transaction.atomic
def link_archive(*, coop, link: TrackedLink) -> TrackedLink:
    """Archived links still work: they lead to the coop's landing page."""
    ensure_same_coop(coop, link)
    if link.archived_at is None:
        link.archived_at = timezone.now()
        link.save(update_fields=["archived_at", "updated_at"])
    return link


@transaction.atomic
def link_restore(*, coop, link: TrackedLink) -> TrackedLink:
    ensure_same_coop(coop, link)
    if link.archived_at is not None:
        link.archived_at = None
        link.save(update_fields=["archived_at", "updated_at"])
    return link


def piece_link(*, coop, piece: str, **fields) -> TrackedLink:
    """The link printed on one kit piece of `coop`, made once and reused at every build
    (staff may have changed its target since: that is kept). `fields`: those of
    new_piece_link (channel, label, the target)."""
    existing = TrackedLink.objects.filter(coop=coop, piece=piece).first()
    if existing is not None:
        ensure_same_coop(coop, existing)
        return existing
    return new_piece_link(coop=coop, piece=piece, **fields)


def new_piece_link(
    *,
    coop,
    piece: str,
    channel: str,
    label: str,
    target_kind: str = TargetKind.LANDING,
    module_slug: str = "",
    activity_position: int | None = None,
) -> TrackedLink:
    """The link of a piece that had none when the caller looked (or the one another
    build made meanwhile)."""
    return _create(
        coop=coop,
        piece=piece,
        channel=channel,
        label=label,
        target_kind=target_kind,
        module_slug=module_slug,
        activity_position=activity_position,
    )
