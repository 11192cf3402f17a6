"""PNG previews of the kit's pieces: the first page, rendered by PDFium, cached.

The cache key is a digest of everything the piece shows (its template context, or for a
leaflet the module's content and the coop's profile), so a change of text, colour, logo or
link target makes a new preview at once, and an unchanged piece is never rendered twice.
"""

import hashlib
import io

import pypdfium2

from django.core.cache import cache

from coopculture.kit import printing

WIDTH_PX = 320
TIMEOUT = 7 * 24 * 3600
VERSION = 1  # bump when the templates change


def _fingerprint(*, coop, piece, texts, modules) -> str:
    parts = [
        str(VERSION),
        piece.key,
        coop.name,
        coop.safe_colour,
        coop.logo.name if coop.logo else "",
        coop.contact_phone,
        coop.contact_email,
        coop.postal_address,
        coop.website,
        str(coop.updated_at),
        texts.tagline,
        texts.message,
        texts.welcome_text,
        repr(modules),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def first_page_png(pdf: bytes, *, width_px: int = WIDTH_PX) -> bytes:
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        scale = width_px / page.get_width()
        image = page.render(scale=scale).to_pil()
        page.close()
    finally:
        document.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def piece_thumbnail(*, coop, piece, run=None) -> bytes:
    run = run.of(coop) if run else printing.KitRun(coop)
    fingerprint = _fingerprint(coop=coop, piece=piece, texts=run.texts, modules=run.modules)
    key = f"kit-thumb:{coop.pk}:{fingerprint}"
    png = cache.get(key)
    if png is None:
        pdf = printing.render_piece(coop=coop, piece=piece, run=run)
        png = first_page_png(pdf)
        cache.set(key, png, TIMEOUT)
    return png
