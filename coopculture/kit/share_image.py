"""The picture that social networks and messaging apps show when a coop's page is shared.

1200 x 630 PNG (the OpenGraph size every network crops the least): the coop's name in
white on its colour (coops.branding.readable_colour, so the text stays readable whatever
colour the coop chose), "Culture Coop'" and what it is. Drawn with Pillow and the DejaVu
fonts; kept in the cache under a key made of what the picture shows, so a new name or
colour makes a new picture (and a new address: the `v` parameter), and nothing else does.
"""

import hashlib
import io
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from coopculture.coops.branding import readable_colour

WIDTH, HEIGHT = 1200, 630
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
CACHE_KEY = "kit:share-image:{version}"
CACHE_SECONDS = 30 * 24 * 3600
DRAWING_VERSION = "1"  # bump when the drawing changes


def version(coop) -> str:
    """What the picture depends on, hashed: also the `v` of its address."""
    parts = [
        DRAWING_VERSION,
        get_language() or "",
        str(coop.uuid),
        coop.name,
        readable_colour(coop.main_colour),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:  # not Debian: Pillow may still find it by name
        return ImageFont.truetype(name, size)


def _fit_name(draw, name: str, max_width: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size at which the name fits in at most three lines."""
    for size in (84, 76, 68, 60, 54, 48, 42):
        font = _font(size, bold=True)
        average = draw.textlength("abcdefghijklmnopqrstuvwxyz", font=font) / 26
        lines = textwrap.wrap(name, width=max(8, int(max_width / average)))
        if len(lines) <= 3 and all(draw.textlength(line, font=font) <= max_width for line in lines):
            return font, lines
    font = _font(42, bold=True)
    return font, textwrap.wrap(name, width=40)[:3]


def draw(coop) -> bytes:
    colour = readable_colour(coop.main_colour)
    image = Image.new("RGB", (WIDTH, HEIGHT), colour)
    pen = ImageDraw.Draw(image)
    margin = 80
    # A light band on the right: the federation's mark, the same on every coop's picture.
    pen.rectangle((WIDTH - 24, 0, WIDTH, HEIGHT), fill="#ffffff")
    pen.text((margin, 72), "Culture Coop'", fill="#ffffff", font=_font(44, bold=True))
    pen.text(
        (margin, 132),
        _("The MOOC of cooperative life"),
        fill="#ffffff",
        font=_font(34),
    )
    pen.line((margin, 200, margin + 160, 200), fill="#ffffff", width=6)

    font, lines = _fit_name(pen, coop.name, WIDTH - 2 * margin - 24)
    line_height = int(font.size * 1.2)
    y = 250 + max(0, (3 - len(lines)) * line_height // 2)
    for line in lines:
        pen.text((margin, y), line, fill="#ffffff", font=font)
        y += line_height

    pen.text(
        (margin, HEIGHT - 92),
        _("Free, online, a few minutes per module"),
        fill="#ffffff",
        font=_font(30),
    )
    buffer = io.BytesIO()
    image.quantize(colors=64).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def share_image(coop) -> bytes:
    key = CACHE_KEY.format(version=version(coop))
    data = cache.get(key)
    if data is None:
        data = draw(coop)
        cache.set(key, data, timeout=CACHE_SECONDS)
    return data
