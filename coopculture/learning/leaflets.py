"""A module's leaflet (plaquette) as a PDF: the member download and the print kit share it.

`leaflet_pdf` is the one way to build it; the kit reaches it through learning.api, with
the link its QR code should carry (a tracked short link), the member view without one.
"""

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


def leaflet_pdf(
    *,
    coop,
    module_slug: str,
    position: int | None = None,
    coop_url: str,
    qr_url: str = "",
    item=None,
    lang: str = "fr",
) -> tuple[str, bytes]:
    """(file name, PDF) of the leaflet of `module_slug` for `coop`. With `qr_url`, the
    contact box carries a QR code to it (printed copies)."""
    if item is None:
        item = selectors.access_coop_module(coop=coop, slug=module_slug)
    activity = leaflet_activity(item, position)
    content = activity.content or {}
    sections = [
        {"title": section.get("title", ""), "body": render_body(section.get("body", ""), coop=coop)}
        for section in content.get("sections") or []
        if isinstance(section, dict)
    ]
    pdf = render_pdf(
        "learning/pdf/leaflet.html",
        {
            "coop": coop,
            "module": item.module,
            "activity": activity,
            "intro": render_body(content.get("intro", ""), coop=coop),
            "sections": sections,
            "coop_url": coop_url,
            "qr_url": qr_url,
            "qr_uri": qr.png_data_uri(qr_url, scale=1) if qr_url else "",
            "url_display": qr.display_html(qr_url or coop_url),
        },
        title=activity.title,
        lang=lang,
        # print.css parsed once per process: the kit prints leaflets by the hundred.
        stylesheets=[shared_stylesheet("core/pdf/print.css")],
    )
    return f"plaquette-{item.module.slug}.pdf", pdf
