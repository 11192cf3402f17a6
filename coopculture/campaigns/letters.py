"""Letters for members who read their post, not their email (c2).

For each send, the ledger rows in state "letter" (members whose preferred channel is the
post, campaigns.services.ledger_build) are gathered into one PDF (a LetterBatch): one A4
page per member, for staff to print, fold in three and put in window envelopes.

The address sits where a French window envelope shows it. DL envelopes (110 x 220 mm) have
their window on the right, 100 x 45 mm, 20 mm from the right edge and 15 mm from the
bottom (La Poste's and NF EN ISO 269's usual layout); an A4 folded in three (99 mm
panels) slides a few millimetres inside it. So the address block is placed 50 mm from the
top of the page and 20 mm from its right edge, 85 mm wide and 35 mm high: inside the
window whatever the play of the sheet, and within La Poste's rule for the address (at most
6 lines of 38 characters, the postcode and town on the last line, no blank line). A small
return-address line sits just above it, as is usual for window letters.

Each letter has the coop's letterhead, the text, and a QR code (core/qr.py) to the MOOC
item of the message (or the member's next item or module), with the address printed under
it for those who type it. That address is a tracked short link of the kit (channel
"mailing", one per send and target): short to type, and the coop's figures count the
visits its letters bring, like those of its flyers.
"""

import datetime as dt
import re

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from coopculture.campaigns.models import LetterBatch, Recipient, RecipientState, Send
from coopculture.core import qr
from coopculture.core.pdf import render_pdf
from coopculture.kit import api as kit_api
from coopculture.learning import api as learning_api

# The printed letters hold names and addresses: their PDF is deleted after this time (the
# ledger keeps that a letter was made). Staff print them within days.
LETTER_RETENTION = dt.timedelta(days=30)
TEXT_LIMIT = 2200  # characters of text that fit on the page with the address and QR code
ADDRESS_LINES = 6
ADDRESS_LINE_CHARS = 38  # La Poste's rule; longer lines make the block's type smaller
SENDER_TOWN_CHARS = 40
_POSTCODE_TOWN = re.compile(r"(?:\bBP\s*\d+\s+)?\b\d{5}\b.*$")
MOOC_BLOCKS = ("video", "testimonial", "leaflet")


def batch_filename(send: Send, batch: LetterBatch) -> str:
    day = timezone.localtime(batch.created_at).strftime("%Y-%m-%d")
    return f"courriers-{slugify(send.name)[:60]}-{day}.pdf"


def address_lines(member) -> list[str]:
    """The recipient block: name, then the postal address lines (no blank lines)."""
    lines = [f"{member.first_name} {member.last_name}".strip()]
    lines += [line.strip() for line in (member.postal_address or "").splitlines() if line.strip()]
    return lines[:ADDRESS_LINES]


def letter_text(message) -> str:
    """The text a letter prints (a Message or a MessageVersion): its letter's own words,
    else the email's."""
    return message.letter_body if (message.letter_body or "").strip() else message.body


def _paragraphs(text: str, first_name: str) -> list[str]:
    text = text.replace("{first_name}", first_name).replace("[[cc:first_name]]", first_name)
    return [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]


class _Items:
    """The MOOC items a letter can point at (loaded once per batch)."""

    def __init__(self, coop):
        self.coop = coop
        self._all = None
        self._modules = None

    def by_key(self, key):
        if self._all is None:
            self._all = {
                item.key: item
                for item in learning_api.mail_items(coop=self.coop, kinds=MOOC_BLOCKS)
            }
        return self._all.get(key)

    def module(self, slug):
        if self._modules is None:
            self._modules = {
                item.module.slug: item.module
                for item in learning_api.coop_module_list(coop=self.coop)
            }
        return self._modules.get(slug)


def _item_target(item) -> dict:
    return {
        "kind": item.kind,
        "title": item.title,
        "module": item.module_title,
        "link": {
            "key": f"activity:{item.key}",
            "target_kind": kit_api.TargetKind.ACTIVITY,
            "module_slug": item.module_slug,
            "activity_position": item.position,
        },
    }


def _target(version, variables: dict, items: _Items) -> dict:
    """What the QR code leads to: the message's first MOOC item, else the member's next
    item or module, else the coop's MOOC page."""
    for block in version.blocks or []:
        if block.get("type") in MOOC_BLOCKS:
            item = items.by_key(f"{block.get('module')}:{block.get('position')}")
            if item is not None:
                return _item_target(item)
    if key := (variables or {}).get("next_item"):
        item = items.by_key(key)
        if item is not None:
            return _item_target(item)
    if slug := (variables or {}).get("next_module"):
        module = items.module(slug)
        if module is not None:
            link = {
                "key": f"module:{slug}",
                "target_kind": kit_api.TargetKind.MODULE,
                "module_slug": slug,
            }
            return {"kind": "module", "title": module.title, "module": "", "link": link}
    link = {"key": "landing", "target_kind": kit_api.TargetKind.LANDING}
    return {"kind": "landing", "title": "", "module": "", "link": link}


def _tracked_url(coop, send, target) -> str:
    """The send's short link to `target` (made at the first letter, then reused). Piece
    keys name the target's kind: "letter:<send>:activity:<module>:<n>", ":module:<slug>",
    ":landing" (at most 8 + 10 + 9 + 80 + 6 characters)."""
    link = target["link"]
    tracked = kit_api.piece_link(
        coop=coop,
        piece=f"letter:{send.pk}:{link['key']}",
        channel=kit_api.Channel.MAILING,
        label=(_("Letter: %(name)s") % {"name": send.name})[:120],
        target_kind=link["target_kind"],
        module_slug=link.get("module_slug", ""),
        activity_position=link.get("activity_position"),
    )
    return kit_api.short_url(tracked)


def address_is_long(lines: list[str]) -> bool:
    """More lines, or longer ones, than La Poste's rule: printed smaller, to stay in the
    window (a member's record is not refused for it)."""
    return len(lines) > ADDRESS_LINES - 1 or any(len(line) > ADDRESS_LINE_CHARS for line in lines)


def sender_line(coop) -> str:
    """The return address above the recipient's, short: the coop's name and the postcode
    and town of its address (its last line; from the postcode on when the address is
    written on one long line)."""
    lines = [line.strip() for line in (coop.postal_address or "").splitlines() if line.strip()]
    town = lines[-1] if lines else ""
    if len(town) > SENDER_TOWN_CHARS:
        match = _POSTCODE_TOWN.search(town)
        town = match.group(0) if match else ""
        town = town[:SENDER_TOWN_CHARS].strip()
    return " · ".join([coop.name, *([town] if town else [])])


def letter_context(*, coop, send, rows, news=None) -> dict:
    version = send.version
    items = _Items(coop)
    qr_cache: dict[str, str] = {}
    urls: dict[str, str] = {}  # one link per target in a batch: one query, not one a letter
    letters = []
    today = timezone.localdate()
    for row in rows:
        member = row.member
        target = _target(version, row.variables, items)
        key = target["link"]["key"]
        if key not in urls:
            urls[key] = _tracked_url(coop, send, target)
        url = urls[key]
        if url not in qr_cache:
            # One pixel per module, drawn unsmoothed: sharp in print, fast (as the kit's).
            qr_cache[url] = qr.png_data_uri(url, scale=1)
        letters.append(
            {
                "member": member,
                "address": address_lines(member),
                "long_address": address_is_long(address_lines(member)),
                "has_address": bool((member.postal_address or "").strip()),
                "subject": version.subject.replace("[[cc:first_name]]", member.first_name),
                "paragraphs": _paragraphs(letter_text(version), member.first_name),
                "large": member.needs_large_print,
                "target": target,
                "url": url,
                "url_display": qr.display_html(url),  # what a member types
                "qr": qr_cache[url],
            }
        )
    return {
        "coop": coop,
        "send": send,
        "letters": letters,
        "today": today,
        "news": news,
        "sender_line": sender_line(coop),
    }


def render_letters(*, coop, send, rows, news=None) -> bytes:
    return render_pdf(
        "campaigns/letters/batch.html",
        letter_context(coop=coop, send=send, rows=rows, news=news),
        title=f"{send.name} – courriers",
    )


def build_letters(*, coop, send_id: int) -> LetterBatch | None:
    """Gather the send's letters not printed in a batch yet into one new PDF. Idempotent:
    rows already in a batch are left alone, so a second run makes nothing."""
    from coopculture.campaigns import bulletin

    with transaction.atomic():
        send = (
            # of=self: PostgreSQL cannot lock the nullable side of the version join.
            Send.objects.select_for_update(of=("self",))
            .select_related("version")
            .filter(coop=coop, pk=send_id)
            .first()
        )
        if send is None or send.version is None:
            return None
        rows = list(
            Recipient.objects.filter(
                coop=coop, send=send, state=RecipientState.LETTER, letter_batch__isnull=True
            )
            .select_related("member")
            .order_by("member__last_name", "member__first_name", "id")
        )
        if not rows:
            return None
        news = None
        if any(block.get("type") == "news" for block in send.version.blocks or []):
            news = bulletin.approved_news_of_month(coop=coop, month=bulletin.month_of(send))
        pdf = render_letters(coop=coop, send=send, rows=rows, news=news)
        batch = LetterBatch.objects.create(coop=coop, send=send, letter_count=len(rows))
        batch.file.save(f"{send.public_id}-{batch.public_id}.pdf", ContentFile(pdf), save=True)
        Recipient.objects.filter(pk__in=[row.pk for row in rows]).update(letter_batch=batch)
    return batch


def purge_old_letters(*, coop, now=None) -> int:
    """Delete the PDFs of letter batches older than LETTER_RETENTION; how many."""
    now = now or timezone.now()
    purged = 0
    for batch in LetterBatch.objects.filter(
        coop=coop, created_at__lt=now - LETTER_RETENTION
    ).exclude(file=""):
        batch.file.delete(save=False)
        LetterBatch.objects.filter(pk=batch.pk).update(file="")
        purged += 1
    return purged
