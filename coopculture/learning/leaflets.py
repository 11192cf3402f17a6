"""A module's leaflet (plaquette) as a PDF: the member download and the print kit share it.

`leaflet_pdf` is the one way to build it; the kit reaches it through learning.api, with
the link its QR code should carry (a tracked short link), the member view without one.
"""

from dataclasses import dataclass

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
