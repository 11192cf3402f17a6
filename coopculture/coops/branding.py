"""Coop branding rules: colours that stay readable, logos that are real, small images."""

import re

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

from coopculture.core.images import ImageRules, reencode_image

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOUR = "#1d5c8c"
MIN_CONTRAST = 4.5  # WCAG 2.1 AA for normal text
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 2000
LOGO_MIN_SIDE = 32


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_with_white(hex_colour: str) -> float:
    return 1.05 / (relative_luminance(hex_colour) + 0.05)


def readable_colour(hex_colour: str | None) -> str:
    """The colour itself when white text on it passes AA, else a darker shade that does."""
    if not hex_colour or not HEX_COLOUR.match(hex_colour):
        return DEFAULT_COLOUR
    colour = hex_colour.lower()
    if contrast_with_white(colour) >= MIN_CONTRAST:
        return colour
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    for step in range(1, 101):
        factor = 1 - step / 100
        candidate = f"#{int(r * factor):02x}{int(g * factor):02x}{int(b * factor):02x}"
        if contrast_with_white(candidate) >= MIN_CONTRAST:
            return candidate
    return DEFAULT_COLOUR


def validate_hex_colour(value: str) -> None:
    if not HEX_COLOUR.match(value or ""):
        raise ValidationError(
            _("Enter a colour as # followed by 6 hexadecimal digits, for example #1d5c8c."),
            code="invalid_colour",
        )


LOGO_RULES = ImageRules(max_bytes=LOGO_MAX_BYTES, max_side=LOGO_MAX_SIDE, min_side=LOGO_MIN_SIDE)


def validate_logo(uploaded) -> ContentFile:
    """A real PNG, JPEG or WebP image, at most 1 MB and 2000 px a side (no SVG: scripts),
    returned re-encoded under a random name (core.images.reencode_image)."""
    return reencode_image(uploaded, rules=LOGO_RULES)
