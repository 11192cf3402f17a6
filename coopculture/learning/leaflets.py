"""A module's leaflet (plaquette) as a PDF: the member download and the print kit share it.

`leaflet_pdf` is the one way to build it; the kit reaches it through learning.api, with
the link its QR code should carry (a tracked short link), the member view without one.
The member download (`leaflet_pdf_cached`) is the same for every visitor: it is kept in
the cache under a digest of everything it prints (the leaflet's content, the coop's
branding and profile, the link, the language), so a change of either makes a new PDF at
once and an unchanged one is rendered only once.
"""

import hashlib
import json
from dataclasses import dataclass

from django.core.cache import cache
from django.http import Http404

from coopculture.core import qr
from coopculture.core.pdf import render_pdf, shared_stylesheet
from coopculture.learning import selectors
from coopculture.learning.models import ActivityKind
from coopculture.learning.rendering import render_body


def leaflet_activity(item, position: int | None = None):
    """The leaflet of the module at `position` (the first leaflet when None), or 404."""
    for step in item.module.steps.all():
        if step.kind == ActivityKind.LEAFLET and (position is None or step.position == position):
            return step
    raise Http404


@dataclass(frozen=True)
class LeafletSource:
    """What a leaflet prints, as read from the database: a kit build reads all of a
    coop's leaflets at once (leaflet_sources), then prints each one for that coop."""

    module_slug: str
    module_title: str
    title: str
    content: dict  # {"intro": Markdown, "sections": [{"title", "body"}]}


def leaflet_sources(items) -> dict[tuple[str, int], LeafletSource]:
    """Every leaflet of `items` (selectors.printed_modules: with their activities), by
    (module slug, position)."""
    return {
        (item.module.slug, step.position): _source(item, step)
        for item in items
        for step in item.module.steps.all()
        if step.kind == ActivityKind.LEAFLET
    }


def _source(item, activity) -> LeafletSource:
    return LeafletSource(
        module_slug=item.module.slug,
        module_title=item.module.title,
        title=activity.title,
        content=activity.content if isinstance(activity.content, dict) else {},
    )


def leaflet_pdf(
    *,
    coop,
    module_slug: str = "",
    position: int | None = None,
    coop_url: str,
    qr_url: str = "",
    source: LeafletSource | None = None,
    lang: str = "fr",
) -> tuple[str, bytes]:
    """(file name, PDF) of the leaflet of `module_slug` for `coop` (or of `source`, read
    beforehand by leaflet_sources). With `qr_url`, the contact box carries a QR code to
    it (printed copies)."""
    if source is None:
        item = selectors.access_coop_module(coop=coop, slug=module_slug)
        source = _source(item, leaflet_activity(item, position))
    content = source.content
    sections = [
        (section.get("title", ""), render_body(section.get("body") or "", coop=coop))
        for section in content.get("sections") or []
        if isinstance(section, dict)
    ]
    pdf = render_pdf(
        "learning/pdf/leaflet.html",
        {
            "coop": coop,
            "leaflet": source,
            "intro": render_body(content.get("intro") or "", coop=coop),
            "sections": sections,
            "coop_url": coop_url,
            "qr_url": qr_url,
            "qr_uri": qr.png_data_uri(qr_url, scale=1) if qr_url else "",
            "url_display": qr.display_html(qr_url or coop_url),
        },
        title=source.title,
        lang=lang,
        # Parsed once per process: the kit prints leaflets by the hundred.
        stylesheets=[
            shared_stylesheet("core/pdf/print.css"),
            shared_stylesheet("learning/pdf/leaflet.css"),
        ],
    )
    return f"plaquette-{source.module_slug}.pdf", pdf


CACHE_TIMEOUT = 30 * 24 * 3600
CACHE_VERSION = 1  # bump when the leaflet's templates or stylesheets change


def leaflet_fingerprint(*, coop, source: LeafletSource, coop_url: str, lang: str) -> str:
    parts = [
        str(CACHE_VERSION),
        source.module_slug,
        source.module_title,
        source.title,
        json.dumps(source.content, sort_keys=True, ensure_ascii=False),
        *coop.printed_details(),
        coop_url,
        lang,
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def leaflet_pdf_cached(
    *, coop, module_slug: str, position: int | None, coop_url: str, lang: str = "fr"
) -> tuple[str, bytes, str]:
    """(file name, PDF, fingerprint) of the member download of a leaflet (no QR code): one
    query to read the leaflet, then from the cache unless its content or the coop's
    branding changed."""
    item = selectors.access_coop_module(coop=coop, slug=module_slug)
    source = _source(item, leaflet_activity(item, position))
    fingerprint = leaflet_fingerprint(coop=coop, source=source, coop_url=coop_url, lang=lang)
    key = f"learning-leaflet:{coop.pk}:{fingerprint}"
    cached = cache.get(key)
    if cached is not None:
        return cached[0], cached[1], fingerprint
    filename, pdf = leaflet_pdf(coop=coop, source=source, coop_url=coop_url, lang=lang)
    cache.set(key, (filename, pdf), CACHE_TIMEOUT)
    return filename, pdf, fingerprint
