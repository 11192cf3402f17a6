"""Coop branding rules: colours that stay readable, logos that are real, small images."""

import re

from PIL import Image, UnidentifiedImageError

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOUR = "#1d5c8c"
MIN_CONTRAST = 4.5  # WCAG 2.1 AA for normal text
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 2000
LOGO_MIN_SIDE = 32
LOGO_FORMATS = {"PNG", "JPEG", "WEBP"}


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


def validate_logo(uploaded) -> None:
    """A real PNG, JPEG or WebP image, at most 1 MB and 2000 px a side (no SVG: scripts)."""
    if uploaded.size > LOGO_MAX_BYTES:
        raise ValidationError(
            _("The logo is too large (%(size)s kB). The limit is 1024 kB."),
            code="logo_too_large",
            params={"size": uploaded.size // 1024},
        )
    try:
        uploaded.seek(0)
        with Image.open(uploaded) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("This file is not an image we can read. Send a PNG, JPEG or WebP file."),
            code="logo_not_image",
        ) from exc
    finally:
        uploaded.seek(0)
    if image_format not in LOGO_FORMATS:
        raise ValidationError(
            _("Send the logo as PNG, JPEG or WebP."),
            code="logo_format",
        )
    if max(width, height) > LOGO_MAX_SIDE or min(width, height) < LOGO_MIN_SIDE:
        raise ValidationError(
            _(
                "The logo measures %(width)s × %(height)s pixels; each side must be "
                "between 32 and 2000 pixels."
            ),
            code="logo_size",
            params={"width": width, "height": height},
        )
