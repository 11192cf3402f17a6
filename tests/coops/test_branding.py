import io

import pytest
from PIL import Image

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from coopculture.coops.branding import (
    DEFAULT_COLOUR,
    contrast_with_white,
    readable_colour,
    validate_hex_colour,
    validate_logo,
)


def image_file(fmt="PNG", size=(200, 100), name="logo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#336699").save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.mark.parametrize("colour", ["#1d5c8c", "#000000", "#7a3e9d", "#0f5f7a"])
def test_a_dark_enough_colour_is_kept(colour):
    assert readable_colour(colour) == colour
    assert contrast_with_white(colour) >= 4.5


@pytest.mark.parametrize("colour", ["#ffffff", "#5cb85c", "#ffd700", "#87ceeb"])
def test_a_light_colour_is_darkened_until_white_text_reads_at_4_5_to_1(colour):
    safe = readable_colour(colour)
    assert safe != colour
    assert contrast_with_white(safe) >= 4.5


@pytest.mark.parametrize("value", [None, "", "blue", "#12345", "#gggggg", "1d5c8c"])
def test_an_invalid_colour_falls_back_to_the_default(value):
    assert readable_colour(value) == DEFAULT_COLOUR


def test_colour_validation_message_is_in_french():
    from django.utils import translation

    with translation.override("fr"), pytest.raises(ValidationError) as error:
        validate_hex_colour("bleu")
    assert "#1d5c8c" in error.value.messages[0]


def test_a_real_png_logo_is_accepted():
    validate_logo(image_file())


def test_a_text_file_renamed_png_is_refused():
    fake = SimpleUploadedFile("logo.png", b"<script>alert(1)</script>", content_type="image/png")
    with pytest.raises(ValidationError) as error:
        validate_logo(fake)
    assert error.value.code == "image_format"


def test_an_svg_logo_is_refused():
    svg = SimpleUploadedFile(
        "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', content_type="image/svg+xml"
    )
    with pytest.raises(ValidationError):
        validate_logo(svg)


def test_a_gif_logo_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_logo(image_file("GIF", name="logo.gif"))
    assert error.value.code == "image_format"


def test_a_huge_or_tiny_logo_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_logo(image_file(size=(2400, 100)))
    assert error.value.code == "image_size"
    with pytest.raises(ValidationError):
        validate_logo(image_file(size=(20, 20)))


def test_a_logo_over_one_megabyte_is_refused():
    big = SimpleUploadedFile("logo.png", b"\x89PNG" + b"0" * (1024 * 1024 + 1))
    with pytest.raises(ValidationError) as error:
        validate_logo(big)
    assert error.value.code == "image_too_large"
