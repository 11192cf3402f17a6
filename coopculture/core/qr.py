"""The one QR helper (DESIGN.md §4): segno, error correction Q, a quiet zone of 4 modules.

Every printed QR code (kit pieces, booklets, letters) goes through here so that they all
scan the same way. Q (25 % of the symbol can be damaged) survives a folded flyer or a
smudged poster; `boost_error=False` keeps the level we ask for instead of whatever segno
could fit, so the size stays predictable.

Print size: the usual rule is a width of one tenth of the scanning distance, never under
2 cm (a flyer in the hand: 2 cm; a poster read from 1 m: 10 cm). `min_print_size_cm` gives
the figure shown to staff beside each download.

Speed: segno chooses the data mask (ISO/IEC 18004 §7.8.3, the lowest penalty of the eight)
by scoring each mask module by module in Python: 2 of the 2.7 ms a code takes, and a coop's
kit prints about thirty codes. `best_mask` computes the same scores, as segno counts them,
on whole rows at once (with segno's own function patterns and mask conditions); the
symbol segno encoded with mask 0 then gets that mask instead (its data modules flipped,
its format information rewritten by segno): the same symbol, bit for bit (tests/core/
test_qr.py compares them over hundreds of texts), in about 1 ms instead of 2.7.
"""

import base64
import copy
import functools
import io
import re

import segno
from segno import encoder as segno_encoder

from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

ERROR_CORRECTION = "q"
ERROR_LEVEL = segno.consts.ERROR_MAPPING[ERROR_CORRECTION.upper()]  # segno's number for it
QUIET_ZONE = 4  # modules, as ISO/IEC 18004 asks
DARK = "#000000"
LIGHT = "#ffffff"


def make(data: str) -> segno.QRCode:
    first = segno.make_qr(data, error=ERROR_CORRECTION, boost_error=False, mask=0)
    mask = best_mask(first.matrix)
    if mask == 0:
        return first
    return _remasked(first, mask)


def _remasked(code: segno.QRCode, mask: int) -> segno.QRCode:
    """`code` (masked with pattern 0) masked with pattern `mask` instead: its data modules
    flipped back and again, its format information written anew (segno's own), without
    encoding the data a second time."""
    size = len(code.matrix)
    masks, _light = _layout(size)
    flip = [zero ^ other for zero, other in zip(masks[0], masks[mask], strict=True)]
    matrix = tuple(
        bytearray((int.from_bytes(row, "big") ^ flip[i]).to_bytes(size, "big"))
        for i, row in enumerate(code.matrix)
    )
    segno_encoder.add_format_info(matrix, code.version, ERROR_LEVEL, mask)
    remasked = copy.copy(code)
    remasked.matrix, remasked.mask = matrix, mask
    return remasked


# --- The mask choice ------------------------------------------------------------------------
_RUN_OF_FIVE = re.compile(rb"\x00{5,}|\x01{5,}")
_FINDER_LIKE = bytes((1, 0, 1, 1, 1, 0, 1))


@functools.cache
def _layout(width: int) -> tuple:
    """For a symbol of `width` modules, each row an integer of one byte per module: each
    mask's pattern over the data modules (1 where the mask flips one; the function
    patterns are segno's own), and which modules keep their value while masks are scored
    (0 for the format and version information and the dark module, left light)."""
    functions = segno_encoder.make_matrix(width, width)
    segno_encoder.add_finder_patterns(functions, width, width)
    segno_encoder.add_alignment_patterns(functions, width, width)
    functions[-8][8] = 0x1  # the dark module
    data = [bytes(1 if value > 0x1 else 0 for value in row) for row in functions]
    masks = tuple(
        tuple(
            int.from_bytes(bytes(flag & rule(i, j) for j, flag in enumerate(row)), "big")
            for i, row in enumerate(data)
        )
        for rule in segno_encoder.get_data_mask_functions(False)  # ISO/IEC 18004 Table 10
    )
    # Format information is left light while masks are scored (as segno does).
    reserved = [bytearray(row) for row in segno_encoder.make_matrix(width, width)]
    light = [
        int.from_bytes(
            bytes(
                0 if value == 0x0 and not flag else 1
                for value, flag in zip(row, data_row, strict=True)
            ),
            "big",
        )
        for row, data_row in zip(reserved, data, strict=True)
    ]
    return masks, light


def _penalty(rows: list[bytes], size: int) -> int:
    """N1 + N2 + N3 + N4 (ISO/IEC 18004 §7.8.3.1) of a masked symbol, as segno counts
    them. Rows and columns are joined into one byte string, each line followed by a 2 (a
    value no pattern contains), so that each search runs once over the whole symbol."""
    stride = size + 1
    lines = b"\x02".join(rows + [bytes(column) for column in zip(*rows, strict=True)]) + b"\x02"
    # N1: five or more modules of one colour in a line, 3 points plus 1 per extra module.
    runs = _RUN_OF_FIVE.findall(lines)
    score = sum(map(len, runs)) - 2 * len(runs)
    # N3: 1:1:3:1:1 with four light modules before or after, 40 points (segno's scan).
    index = lines.find(_FINDER_LIKE)
    while index != -1:
        line_start = index - index % stride
        line = lines[line_start : line_start + size]
        at = index - line_start
        offset = at + 7
        if (
            at in (0, size - 7)
            or not any(line[max(at - 4, 0) : at])
            or not any(line[offset : offset + 4])
        ):
            score += 40
        else:
            offset = at + 4
        index = lines.find(_FINDER_LIKE, line_start + offset)
    # N2: 2x2 blocks of one colour, 3 points each (bytes are 0 or 1: no carry between them).
    previous = None
    for row in rows:
        current = int.from_bytes(row, "big")
        if previous is not None:
            differs = (
                (current ^ (current >> 8)) | (previous ^ (previous >> 8)) | (current ^ previous)
            )
            score += 3 * differs.to_bytes(size, "big")[1:].count(0)
        previous = current
    # N4: 10 points per 5 % of dark modules away from half.
    dark = lines[: stride * size].count(1)
    return score + 10 * int(abs(dark / size**2 * 100 - 50) / 5)


def best_mask(matrix: tuple[bytearray, ...]) -> int:
    """The mask segno would choose for the symbol whose modules, masked with pattern 0
    and with its format information, are `matrix` (a tuple of byte rows)."""
    size = len(matrix)
    masks, light = _layout(size)
    zero = masks[0]
    # The data modules unmasked; format information and the dark module light.
    base = [(int.from_bytes(row, "big") ^ zero[i]) & light[i] for i, row in enumerate(matrix)]
    best, best_score = 0, None
    for number, mask in enumerate(masks):
        rows = [(value ^ mask[i]).to_bytes(size, "big") for i, value in enumerate(base)]
        score = _penalty(rows, size)
        if best_score is None or score < best_score:
            best, best_score = number, score
    return best


def display_html(url: str) -> SafeString:
    """The address printed beside a QR code, for those who type it: without "https://",
    as HTML that may break before a dot of the host or after a slash, never inside a word
    (a long site address beside a code on a flyer)."""
    host, _slash, path = url.split("://", 1)[-1].partition("/")
    first, *others = host.split(".")
    parts = [first, *(f".{part}" for part in others)]
    if path:
        parts[-1] += "/"
        parts.append(path)
    return format_html_join(
        mark_safe("<wbr>"), '<span class="nowrap">{}</span>', ((p,) for p in parts)
    )


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
