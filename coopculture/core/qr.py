"""The one QR helper (DESIGN.md §4): segno, error correction Q, a quiet zone of 4 modules.

Every printed QR code (kit pieces, booklets, letters) goes through here so that they all
scan the same way. Q (25 % of the symbol can be damaged) survives a folded flyer or a
smudged poster; `boost_error=False` keeps the level we ask for instead of whatever segno
could fit, so the size stays predictable.

Print size: the usual rule is a width of one tenth of the scanning distance, never under
2 cm (a flyer in the hand: 2 cm; a poster read from 1 m: 10 cm). `min_print_size_cm` gives
the figure shown to staff beside each download.
"""

import base64
import io

import segno

ERROR_CORRECTION = "q"
QUIET_ZONE = 4  # modules, as ISO/IEC 18004 asks
DARK = "#000000"
LIGHT = "#ffffff"


def make(data: str) -> segno.QRCode:
    return segno.make_qr(data, error=ERROR_CORRECTION, boost_error=False)


def svg(data: str, *, scale: int = 10, title: str = "") -> str:
    """A standalone SVG document (UTF-8 text)."""
    buffer = io.BytesIO()
    make(data).save(
        buffer,
        kind="svg",
        scale=scale,
        border=QUIET_ZONE,
        dark=DARK,
        light=LIGHT,
        title=title or None,
        xmldecl=True,
        svgns=True,
        unit="px",
    )
    return buffer.getvalue().decode("utf-8")


def png(data: str, *, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    make(data).save(buffer, kind="png", scale=scale, border=QUIET_ZONE, dark=DARK, light=LIGHT)
    return buffer.getvalue()


def svg_data_uri(data: str, *, scale: int = 10) -> str:
    """For PDF templates and emails: `<img src="{{ uri }}">`, nothing fetched."""
    encoded = base64.b64encode(svg(data, scale=scale).encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def png_data_uri(data: str, *, scale: int = 10) -> str:
    return "data:image/png;base64," + base64.b64encode(png(data, scale=scale)).decode("ascii")


def min_print_size_cm(viewing_distance_cm: int = 20) -> float:
    """The smallest printed width (quiet zone included) that scans from that distance."""
    return max(2.0, round(viewing_distance_cm / 10, 1))
