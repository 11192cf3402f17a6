"""Markdown to safe HTML, with example blocks and glossary links.

- Markdown is rendered by markdown-it (no raw HTML) and sanitised by nh3.
- ``::: exemple <activity> [<activity> ...]`` ... ``:::`` marks an example about some coop
  activities; when the learner's coop has none of them, the block carries a notice that
  it does not concern this coop, with the coop's contact.
- The first occurrence of each glossary term on a page links to its definition (a real
  link to the glossary page: no hover-only tooltip).
"""

import html
import re
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt

from django.template.loader import render_to_string

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote",
    "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}
EXAMPLE_OPEN = re.compile(r"^:::\s*exemple\s+(?P<activities>[\w\s-]+?)\s*$", re.IGNORECASE)
EXAMPLE_CLOSE = re.compile(r"^:::\s*$")


def markdown_to_html(text: str) -> str:
    """Render Markdown and keep only safe tags (links get rel="noopener")."""
    raw = _md.render(text or "")
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )


@dataclass
class Segment:
    text: str
    activities: tuple[str, ...] = ()  # non-empty: an example block


def split_examples(text: str) -> list[Segment]:
    segments: list[Segment] = []
    buffer: list[str] = []
    current: tuple[str, ...] = ()
    for line in (text or "").splitlines():
        opening = EXAMPLE_OPEN.match(line.strip())
        if opening and not current:
            if buffer:
                segments.append(Segment("\n".join(buffer)))
            buffer = []
            current = tuple(opening["activities"].split())
            continue
        if current and EXAMPLE_CLOSE.match(line.strip()):
            segments.append(Segment("\n".join(buffer), current))
            buffer, current = [], ()
            continue
        buffer.append(line)
    if buffer:
        segments.append(Segment("\n".join(buffer), current))
    return segments


@dataclass
class GlossaryLinker:
    """Links the first occurrence of each term on a page (one linker per page)."""

    terms: list  # objects with .term, .slug, .variants
    glossary_url: str
    seen: set = field(default_factory=set)

    def __post_init__(self):
        forms = []
        for term in self.terms:
            for form in {term.term, *(term.variants or [])}:
                if form:
                    forms.append((form, term.slug))
        forms.sort(key=lambda item: len(item[0]), reverse=True)
        self._slug_by_form = {form.casefold(): slug for form, slug in forms}
        self._pattern = (
            re.compile(
                r"(?<!\w)(" + "|".join(re.escape(form) for form, _slug in forms) + r")(?!\w)",
                re.IGNORECASE,
            )
            if forms
            else None
        )

    def link(self, fragment: str) -> str:
        if self._pattern is None:
            return fragment
        out, depth_skip = [], 0
        for part in re.split(r"(<[^>]+>)", fragment):
            if part.startswith("<"):
                name = re.match(r"</?\s*(\w+)", part)
                tag = name.group(1).lower() if name else ""
                if tag in {"a", "h1", "h2", "h3", "h4", "code", "pre"}:
                    depth_skip += -1 if part.startswith("</") else 1
                out.append(part)
            elif depth_skip > 0 or not part:
                out.append(part)
            else:
                out.append(self._pattern.sub(self._replace, part))
        return "".join(out)

    def _replace(self, match: re.Match) -> str:
        slug = self._slug_by_form.get(match.group(1).casefold())
        if slug is None or slug in self.seen:
            return match.group(1)
        self.seen.add(slug)
        return (
            f'<a class="glossary-link" href="{html.escape(self.glossary_url)}#{slug}">'
            f"{match.group(1)}</a>"
        )


def render_body(text: str, *, coop, linker: GlossaryLinker | None = None) -> str:
    """A Markdown body for `coop`'s learners: examples flagged, glossary linked."""
    parts = []
    for segment in split_examples(text):
        body = markdown_to_html(segment.text)
        if linker is not None:
            body = linker.link(body)
        if segment.activities:
            parts.append(
                render_to_string(
                    "learning/_example.html",
                    {
                        "body": body,
                        "activities": segment.activities,
                        "concerns_coop": coop is None
                        or bool(set(segment.activities) & set(coop.activities or [])),
                        "coop": coop,
                    },
                )
            )
        else:
            parts.append(body)
    return "".join(parts)
