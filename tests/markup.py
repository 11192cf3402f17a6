"""The markup-injection sweep, shared by its test and its self-test.

Every text a coop (its team, its members, its imported files) can write is replaced by
markup payloads, in every row of every coop-owned model (found from the models, not listed
by hand) and in its team members' names; then every staff, member and federation page is
requested (found from the URL resolver, tests/tenancy.py) and no payload may come back as
markup: not in an HTML page, not in the HTML a PDF is printed from, not in the HTML part
of an email.
"""

import re
from dataclasses import dataclass, field

from django_scopes import scopes_disabled

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from coopculture.coops.models import Coop

META = '<meta http-equiv=refresh content="0;url=//evil.example">'
BREAKOUT = '"><script>alert(1)</script>'
IMG = "<img src=x onerror=alert(1)>"
TEMPLATE = "{{7*7}}"
SHORT = "<svg onload=alert(1)"  # 20 characters, for the shortest fields
PAYLOADS = (META, BREAKOUT, IMG, TEMPLATE, SHORT)

# What shows a payload was output as markup (escaped, none of these can appear).
UNESCAPED = re.compile(
    r"<meta http-equiv=refresh|<script>alert\(1\)|<img src=x onerror|<svg onload=alert", re.I
)
HTML_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml")

# Text fields no coop can write: codes, keys, hashes and the platform's own output.
MACHINE_FIELDS = {
    "coops.Coop": {"main_colour"},  # validated as #rrggbb on every write
    "coops.AuditEvent": {"action"},
    "members.ColumnMapping": {"headers_signature"},
    "members.MemberImport": {"encoding", "delimiter"},
    "learning.LearningEvent": {"channel"},
    "kit.TrackedLink": {"code", "piece"},
    "kit.AccountSource": {"source"},
    "kit.KitBuild": {"error"},
    "campaigns.MessageVersion": {"content_hash", "html", "text"},
    "campaigns.Send": {"occurrence_key"},
    "campaigns.Recipient": {"idempotency_key"},
    "campaigns.Suppression": {"email_hash", "source"},
    "campaigns.AutomationOccurrence": {"event_key"},
    "campaigns.LinkClicks": {"code"},
}
# JSON fields holding texts a coop writes: (model, field) -> how to fill them.
JSON_TEXTS = {
    ("members.MemberImport", "headers"): lambda value, text: [text for _ in value or [""]],
    # Import errors quote the file's own column names.
    ("members.MemberImport", "errors"): lambda value, text: [
        {"row": 2, "column": text, "code": "invalid_date", "message": text}
    ],
    ("campaigns.Message", "blocks"): lambda value, text: [
        *(b for b in value or [] if b.get("type") != "link"),
        {"type": "link", "url": "https://example.org/", "label": text},
    ],
}


def payload_for(max_length: int | None, start: int = 0) -> str:
    """As many payloads as fit in `max_length`, starting from a different one per field."""
    chosen, size = [], 0
    for offset in range(len(PAYLOADS)):
        payload = PAYLOADS[(start + offset) % len(PAYLOADS)]
        if max_length is None or size + len(payload) <= max_length:
            chosen.append(payload)
            size += len(payload)
    return "".join(chosen)


def coop_owned_models() -> list[type[models.Model]]:
    found = [Coop]
    for model in apps.get_models():
        if model.__module__.startswith("coopculture.") and any(
            isinstance(f, models.ForeignKey) and f.related_model is Coop
            for f in model._meta.concrete_fields
        ):
            found.append(model)
    return found


def writable_text_fields(model) -> list[models.Field]:
    skip = MACHINE_FIELDS.get(model._meta.label, set())
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField))
        and not isinstance(f, (models.SlugField, models.EmailField, models.URLField))
        and not f.choices
        and f.name not in skip
    ]


def _unique_field_names(model) -> set[str]:
    names = {f.name for f in model._meta.concrete_fields if f.unique}
    for together in model._meta.unique_together:
        names.update(together)
    for constraint in model._meta.constraints:
        names.update(getattr(constraint, "fields", ()) or ())
    return names


def _rows(model, coop):
    manager = model._base_manager
    return manager.filter(pk=coop.pk) if model is Coop else manager.filter(coop=coop)


def inject(coop) -> dict[str, int]:
    """Every writable text of `coop`'s rows set to payloads; returns rows changed per model."""
    changed = {}
    with scopes_disabled():
        for model in coop_owned_models():
            fields = writable_text_fields(model)
            label = model._meta.label
            json_fields = [name for (m, name) in JSON_TEXTS if m == label]
            if not fields and not json_fields:
                continue
            rows = _rows(model, coop)
            unique = _unique_field_names(model)
            count = 0
            for n, pk in enumerate(rows.values_list("pk", flat=True)):
                values = {}
                for i, f in enumerate(fields):
                    if f.name in unique:  # still one payload, told apart by a number
                        suffix = f"#{n}"
                        room = None if f.max_length is None else f.max_length - len(suffix)
                        values[f.name] = payload_for(room, i) + suffix
                    else:
                        values[f.name] = payload_for(f.max_length, i)
                if values:
                    model._base_manager.filter(pk=pk).update(**values)
                count += 1
            for name in json_fields:
                fill = JSON_TEXTS[(label, name)]
                for row in rows:
                    setattr(row, name, fill(getattr(row, name), payload_for(80, 1)))
                    row.save(update_fields=[name])
            changed[label] = count
        # The names the coop's team members gave themselves (shown in the team, the log...).
        team = get_user_model()._base_manager.filter(memberships__coop=coop)
        changed["team names"] = team.update(full_name=payload_for(150, 2))
    return changed


TWICE_ESCAPED_HTML = re.compile(r"&amp;(?:lt|gt|amp|quot|#x27|#39);")
# What a reader would see if a text were escaped twice (once as HTML, once more).
DOUBLE_ESCAPED = re.compile(r"&(?:lt|gt|amp|quot|#x27|#39);")


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    checked: int = 0
    pdfs: int = 0
    pdfs_showing_payloads: int = 0
    fetched: list[str] = field(default_factory=list)  # URLs the PDF renderer loaded

    def check_pdf_text(self, where: str, pdf: bytes) -> None:
        """A printed PDF shows the payloads as typed, with no HTML entity in its text."""
        from tests.kit.print_helpers import pdf_text

        self.pdfs += 1
        text = pdf_text(pdf)
        if "alert(1)" in text or "{{7*7}}" in text:
            self.pdfs_showing_payloads += 1
        for match in DOUBLE_ESCAPED.finditer(text):
            start = max(0, match.start() - 60)
            self.problems.append(f"{where} (text): …{text[start : match.end() + 40]}…")

    def check(self, where: str, text: str) -> None:
        self.checked += 1
        for match in UNESCAPED.finditer(text):
            start = max(0, match.start() - 80)
            self.problems.append(f"{where}: …{text[start : match.end() + 40]}…")
        for match in TWICE_ESCAPED_HTML.finditer(text):  # shown as "&lt;" to the reader
            start = max(0, match.start() - 80)
            self.problems.append(f"{where} (escaped twice): …{text[start : match.end() + 40]}…")


def response_html(response) -> str | None:
    """The body of an HTML (or SVG) response, else None."""
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in HTML_TYPES:
        return None
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def email_html_parts(message) -> list[str]:
    """The HTML parts of a sent email (Django message, as it goes on the wire)."""
    parts = []
    for part in message.message().walk():
        if part.get_content_type() == "text/html":
            charset = part.get_content_charset() or "utf-8"
            parts.append(part.get_payload(decode=True).decode(charset))
    return parts
