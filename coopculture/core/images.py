"""Every uploaded image goes through here: decoded by Pillow, re-encoded, renamed.

A file is accepted only if Pillow decodes it as PNG, JPEG or WebP (no other decoder is
even tried: no SVG, no GIF, no HTML "image"). Its pixels are then written into a fresh
image and encoded again, so that what is stored is only pixels:

- the stored name is random, its extension comes from the decoded format (never from
  the uploaded file's name, which may say `.html`);
- metadata is gone (EXIF with its GPS position, XMP, ICC profiles, PNG text chunks), as
  is anything appended to or hidden in the file (polyglots);
- the pixel count is bounded before any pixel is decoded (decompression bombs: a few
  kilobytes that would decode to gigabytes);
- the EXIF orientation is applied first, so photos stay the right way up;
- CMYK, palette and greyscale images become RGB, with an alpha channel where the
  original had transparency (PNG and WebP keep it, JPEG has none).

`reencode_image` raises ValidationError with a French message; forms use
`UploadedImageField`, which returns the re-encoded file as cleaned data.
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

# Decoded format -> stored extension (and the only content types media is served as).
FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
ACCEPT = "image/png,image/jpeg,image/webp"
MAX_PIXELS = 16_000_000  # 4000 x 4000; Pillow's own bomb limit is about 89 million


@dataclass(frozen=True)
class ImageRules:
    max_bytes: int = 5 * 1024 * 1024
    max_side: int = 4000
    min_side: int = 1
    max_pixels: int = MAX_PIXELS


def _refuse(message, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def _read(uploaded, max_bytes: int) -> bytes:
    size = getattr(uploaded, "size", None)
    if size is not None and size > max_bytes:
        raise _too_large(size, max_bytes)
    uploaded.seek(0)
    data = uploaded.read(max_bytes + 1)
    uploaded.seek(0)
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    return data


def _too_large(size: int, max_bytes: int) -> ValidationError:
    return _refuse(
        _("The image is too large (%(size)s kB). The limit is %(max)s kB."),
        "image_too_large",
        size=size // 1024,
        max=max_bytes // 1024,
    )


def _not_an_image() -> ValidationError:
    return _refuse(
        _("This file is not an image we can read. Send a PNG, JPEG or WebP file."),
        "image_format",
    )


def _too_many_pixels(rules: ImageRules) -> ValidationError:
    return _refuse(
        _(
            "This image has too many pixels to be read safely. Send an image of at most "
            "%(side)s pixels a side."
        ),
        "image_too_many_pixels",
        side=rules.max_side,
    )


def _has_alpha(image: Image.Image) -> bool:
    """An alpha channel, or a transparent colour (palette, greyscale or RGB PNGs)."""
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _eight_bits(image: Image.Image) -> Image.Image:
    """16-bit greyscale PNGs scaled to 8 bits (a plain conversion would clip at 255)."""
    if image.mode == "I" or image.mode.startswith("I;16"):
        return image.point(lambda value: value / 256).convert("L")
    return image


def reencode_image(uploaded, *, rules: ImageRules = ImageRules()) -> ContentFile:
    """The uploaded image's pixels, re-encoded in its own format under a random name.

    Raises ValidationError (French message) for anything that is not a PNG, JPEG or WebP
    image within `rules`; nothing is written anywhere."""
    data = _read(uploaded, rules.max_bytes)
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, past its own pixel limit: refuse at once.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                image_format = image.format
                width, height = image.size
                if width * height > rules.max_pixels:
                    raise _too_many_pixels(rules)
                if max(width, height) > rules.max_side or min(width, height) < rules.min_side:
                    raise _refuse(
                        _(
                            "The image measures %(width)s × %(height)s pixels; each side "
                            "must be between %(min)s and %(max)s pixels."
                        ),
                        "image_size",
                        width=width,
                        height=height,
                        min=rules.min_side,
                        max=rules.max_side,
                    )
                with Image.open(io.BytesIO(data), formats=[image_format]) as check:
                    check.verify()  # broken chunks (WeasyPrint lets Pillow load truncated files)
                image.load()  # the first frame only, for animations
                upright = ImageOps.exif_transpose(image)
                if "transparency" not in upright.info:
                    upright = _eight_bits(upright)
                mode = "RGBA" if _has_alpha(upright) and image_format != "JPEG" else "RGB"
                converted = upright.convert(mode)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(rules) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError) as exc:
        raise _not_an_image() from exc
    # A fresh image from the raw pixels: no info, EXIF, ICC profile or text chunk survives.
    clean = Image.frombytes(mode, converted.size, converted.tobytes())
    out = io.BytesIO()
    if image_format == "PNG":
        clean.save(out, "PNG")
    elif image_format == "JPEG":
        clean.save(out, "JPEG", quality=90)
    else:
        clean.save(out, "WEBP", quality=90)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{FORMATS[image_format]}")


class UploadedImageField(forms.FileField):
    """A file input whose cleaned value is the re-encoded image (reencode_image)."""

    def __init__(self, *, rules: ImageRules = ImageRules(), **kwargs):
        self.rules = rules
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPT}))
        super().__init__(**kwargs)

    def to_python(self, data):
        uploaded = super().to_python(data)
        if uploaded is None:
            return None
        return reencode_image(uploaded, rules=self.rules)
