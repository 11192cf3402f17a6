"""The demo learning path: the 7 modules of DOMAIN.md §7.2, loaded from a content bundle.

The bundle (demo_bundle/bundle.json and its poster images) is committed as files; the
posters were drawn once by `make_poster` and are kept small (palette PNGs).
"""

import io
import textwrap
from pathlib import Path

DEMO_BUNDLE = Path(__file__).resolve().parent / "demo_bundle"
POSTER_SIZE = (1280, 720)
POSTER_BACKGROUND = "#f5f2ea"
POSTER_INK = "#1f2933"


def load_demo_content(stdout=None) -> None:
    """Import the demo bundle (idempotent: modules are matched by their slug)."""
    bundle_file = DEMO_BUNDLE / "bundle.json"
    if not bundle_file.exists():
        return
    from coopculture.learning.bundles import import_bundle_dir

    report = import_bundle_dir(DEMO_BUNDLE)
    if stdout is not None:
        stdout.write("Parcours de démonstration :")
        for line in str(report).splitlines():
            stdout.write(f"  {line}")


def _font(size: int, *, bold: bool = True):
    from PIL import ImageFont

    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def make_poster(title: str, colour: str) -> bytes:
    """A 1280 x 720 poster: the title in white on a colour band, labelled as a demo video."""
    from PIL import Image, ImageDraw

    width, height = POSTER_SIZE
    image = Image.new("RGB", POSTER_SIZE, POSTER_BACKGROUND)
    draw = ImageDraw.Draw(image)
    band_top, band_bottom = 150, 570
    draw.rectangle((0, band_top, width, band_bottom), fill=colour)
    draw.text((64, 75), "Culture Coop'", fill=POSTER_INK, font=_font(40), anchor="lm")

    title_font = _font(64)
    lines = textwrap.wrap(title, width=30)
    line_height = 80
    label_gap = 70
    block = len(lines) * line_height + label_gap
    y = (band_top + band_bottom - block) / 2 + line_height / 2
    for line in lines:
        draw.text((width / 2, y), line, fill="white", font=title_font, anchor="mm")
        y += line_height
    label_y = y - line_height / 2 + label_gap
    draw.text(
        (width / 2, label_y), "Vidéo de démonstration", fill="white", font=_font(40), anchor="mm"
    )

    draw.text(
        (width / 2, (band_bottom + height) / 2),
        "Contenu fictif — aucune vidéo n'est diffusée",
        fill=POSTER_INK,
        font=_font(32, bold=False),
        anchor="mm",
    )
    buffer = io.BytesIO()
    image.quantize(colors=16).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
