"""Approval of the texts that leave without a per-send approval (docs/decisions/0014): a
life-cycle automation's text, the monthly bulletin's text and its news of the month.

Staff edit `message` (and the BulletinNews row); members get the *approved* copy kept
beside it (`approved_text`, `approved`), with the hash of what was approved. An edit by
someone who may not approve (campaigns.approve) leaves the approved copy alone: it is
pending, and members keep getting the last approved one until an admin approves, by the
hash of what they reviewed (a change since the page was shown is refused). An admin's own
save approves what they saved. The platform's default texts are approved as created.
"""

import hashlib
import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coopculture.campaigns.models import BulletinNews, Message
from coopculture.campaigns.services import ApprovalError

TEXT_FIELDS = ("subject", "preheader", "body", "blocks")
NEWS_FIELDS = ("title", "body", "link_url", "link_label")


def _digest(values: list) -> str:
    """Same as in migration 0004 (existing texts were approved there)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def text_of(message: Message) -> dict:
    values = {field: getattr(message, field) for field in TEXT_FIELDS}
    values["hash"] = _digest([values[field] for field in TEXT_FIELDS])
    return values


def news_text_of(news: BulletinNews) -> dict:
    values = {field: getattr(news, field) for field in NEWS_FIELDS}
    values["hash"] = _digest([values[field] for field in NEWS_FIELDS])
    return values


def text_pending(row) -> bool:
    """The text of `row` (an AutomationSetting or BulletinSettings) differs from the one
    members get."""
    if row.message is None:
        return False
    return text_of(row.message)["hash"] != (row.approved_text or {}).get("hash")


def news_pending(news: BulletinNews | None) -> bool:
    if news is None or news.pk is None:
        return False
    return news_text_of(news)["hash"] != (news.approved or {}).get("hash")


def review_hash(*, row, news: BulletinNews | None = None) -> str:
    """What an admin reviews on the page: the current text (and news), in one value."""
    parts = [text_of(row.message)["hash"] if row.message else ""]
    if news is not None and news.pk is not None:
        parts.append(news_text_of(news)["hash"])
    return _digest(parts)


def _stamp(target, actor) -> None:
    target.approved_by = actor if actor is not None and actor.is_authenticated else None
    target.approved_at = timezone.now()


def approve_text(*, row, actor=None) -> None:
    """Members get `row.message`'s current text from now on (an admin's save, or the
    platform's default text: actor None)."""
    row.approved_text = text_of(row.message)
    _stamp(row, actor)
    row.save(update_fields=["approved_text", "approved_by", "approved_at"])


def approve_news(*, news: BulletinNews, actor=None) -> None:
    news.approved = news_text_of(news)
    _stamp(news, actor)
    news.save(update_fields=["approved", "approved_by", "approved_at"])


@transaction.atomic
def approve_pending(*, row, actor, review: str, news: BulletinNews | None = None) -> None:
    """An admin approves the pending text (and news) they reviewed: refused, changing
    nothing, when it changed since the page was shown (`review`: its review_hash)."""
    locked = (
        type(row).objects.select_for_update(of=("self",)).select_related("message").get(pk=row.pk)
    )
    if news is not None and news.pk is not None:
        news = BulletinNews.objects.select_for_update().get(pk=news.pk)
    if review_hash(row=locked, news=news) != (review or ""):
        raise ApprovalError(
            _(
                "The text changed after this page was shown to you: nothing was approved. "
                "Check the new text below, then approve it."
            )
        )
    if text_pending(locked):
        approve_text(row=locked, actor=actor)
    if news_pending(news):
        approve_news(news=news, actor=actor)


def approved_message(row, *, name: str | None = None) -> Message | None:
    """An unsaved copy of the row's message with the approved text (None: never approved)."""
    approved = row.approved_text or {}
    if not approved.get("hash") or row.message is None:
        return None
    source = row.message
    return Message(
        coop=source.coop,
        kind=source.kind,
        automation_kind=source.automation_kind,
        name=(name or source.name)[:120],
        subject=approved["subject"],
        preheader=approved["preheader"],
        body=approved["body"],
        blocks=list(approved["blocks"] or []),
    )


def approved_news(news: BulletinNews | None) -> BulletinNews | None:
    """The news of the month as approved (the row, its fields set in memory to the
    approved ones; never saved), or None when it was never approved."""
    if news is None or not (news.approved or {}).get("hash"):
        return None
    for field in NEWS_FIELDS:
        setattr(news, field, news.approved[field])
    return news
