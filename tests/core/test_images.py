"""Uploaded images: only pixels are stored (core.images), and /media/ is served so that a
browser never runs what it finds there.

Journeys go through the coop settings page (the coop logo) and the learning admin (covers
and posters), then fetch what was stored through the demo-mode media view."""

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from coopculture.core.images import ImageRules, reencode_image
from coopculture.learning.models import Module
from tests.conftest import make_user
from tests.coops.test_views import settings_data

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_demo_media")]

SETTINGS_URL = "/gestion/coop-a/coop/"
SCRIPT = b"<html><body><script>alert(document.domain)</script></body></html>"
SVG_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
    b"<script>alert(document.domain)</script><rect width='100' height='100'/></svg>"
)


def encoded(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png(size=(120, 80), colour="#336699", mode="RGB") -> bytes:
    return encoded(Image.new(mode, size, colour))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header announcing width x height greyscale pixels, in a few hundred
    bytes (the rows would decompress to width*height bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)  # the first rows only
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", rows)
        + png_chunk(b"IEND", b"")
    )


def upload_logo(client, coop, name: str, data: bytes, content_type="image/png"):
    return client.post(
        SETTINGS_URL,
        settings_data(coop, logo=SimpleUploadedFile(name, data, content_type=content_type)),
    )


def stored_files(settings) -> set[str]:
    root = settings.MEDIA_ROOT
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def fetch_media(client, name: str):
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def assert_served_as_image(response, content_type: str):
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert not response.get("Content-Disposition", "inline").startswith("attachment")


# --- The coop logo, through the settings page --------------------------------------------


def test_a_png_named_html_is_stored_and_served_as_a_png(coop, users, client_for, settings):
    client = client_for(users["admin"])
    response = upload_logo(client, coop, "logo.html", png(), content_type="text/html")
    assert response.status_code == 302
    coop.refresh_from_db()
    name = coop.logo.name
    assert name.startswith(f"coops/{coop.uuid}/logo-") and name.endswith(".png")
    assert "logo.html" not in name and ".html" not in name

    served, body = fetch_media(client_for(), name)  # anyone may fetch it, as on the site
    assert_served_as_image(served, "image/png")
    with Image.open(io.BytesIO(body)) as image:
        assert (image.format, image.size) == ("PNG", (120, 80))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("logo.png", SCRIPT),  # an HTML page named as an image
        ("logo.svg", SVG_SCRIPT),  # an SVG image, with a script
        ("logo.png", SVG_SCRIPT),  # the same, named as a PNG
        ("logo.gif", encoded(Image.new("RGB", (100, 100)), "GIF")),  # not a format we keep
        ("logo.png", png()[:60]),  # a truncated PNG
    ],
    ids=["html-named-png", "svg-script", "svg-named-png", "gif", "truncated"],
)
def test_what_is_not_a_png_jpeg_or_webp_image_is_refused_and_changes_nothing(
    coop, users, client_for, settings, name, data
):
    client = client_for(users["admin"])
    upload_logo(client, coop, "first.png", png())
    coop.refresh_from_db()
    before, files_before = coop.logo.name, stored_files(settings)

    response = upload_logo(client, coop, name, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="#id_logo"' in page
    assert "nous ne pouvons pas lire ce fichier comme une image" in page.lower()
    coop.refresh_from_db()
    assert coop.logo.name == before
    assert stored_files(settings) == files_before


def test_a_decompression_bomb_is_refused_before_its_pixels_are_read(
    coop, users, client_for, settings
):
    client = client_for(users["admin"])
    bomb = bomb_png(100_000, 100_000)  # ten billion pixels in a few hundred bytes
    assert len(bomb) < 2000

    response = upload_logo(client, coop, "logo.png", bomb)

    assert response.status_code == 200
    assert "trop de pixels" in response.content.decode()
    coop.refresh_from_db()
    assert not coop.logo
    assert stored_files(settings) == set()


def test_a_polyglot_keeps_its_pixels_and_loses_its_script(coop, users, client_for, settings):
    """A PNG that is also an HTML page (text chunk and trailing bytes): only pixels stay."""
    image = png(size=(64, 64), colour="#aa3300")
    end = image.rindex(b"IEND") - 4
    polyglot = (
        image[:33]  # signature and IHDR
        + png_chunk(b"tEXt", b"Comment\x00" + SCRIPT)
        + image[33:end]
        + png_chunk(b"IEND", b"")
        + SCRIPT
    )
    with Image.open(io.BytesIO(polyglot)) as check:  # Pillow does read it as a PNG
        check.load()
    client = client_for(users["admin"])

    assert upload_logo(client, coop, "logo.png", polyglot).status_code == 302

    coop.refresh_from_db()
    _served, body = fetch_media(client, coop.logo.name)
    assert b"<script" not in body.lower() and b"html" not in body.lower()
    with Image.open(io.BytesIO(body)) as stored:
        assert stored.getpixel((10, 10)) == (0xAA, 0x33, 0x00)
        assert "Comment" not in stored.info


def test_a_photo_loses_its_gps_position_and_stays_upright(coop, users, client_for):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90° clockwise to display"
    exif[ExifTags.Base.Make] = "Appareil de Mme Durand"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    photo = encoded(Image.new("RGB", (200, 100), "#2255aa"), "JPEG", exif=exif)
    with Image.open(io.BytesIO(photo)) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the position is there
    client = client_for(users["admin"])

    assert upload_logo(client, coop, "photo.jpeg", photo, "image/jpeg").status_code == 302

    coop.refresh_from_db()
    assert coop.logo.name.endswith(".jpg")
    served, body = fetch_media(client, coop.logo.name)
    assert_served_as_image(served, "image/jpeg")
    assert b"Exif" not in body and b"Durand" not in body
    with Image.open(io.BytesIO(body)) as stored:
        assert not stored.getexif()
        assert "exif" not in stored.info and "icc_profile" not in stored.info
        assert stored.size == (100, 200)  # turned the way the camera meant


@pytest.mark.parametrize(
    ("mode", "fmt", "kept_format", "extension", "content_type"),
    [
        ("CMYK", "JPEG", "JPEG", "jpg", "image/jpeg"),
        ("P", "PNG", "PNG", "png", "image/png"),
        ("RGBA", "PNG", "PNG", "png", "image/png"),
        ("LA", "PNG", "PNG", "png", "image/png"),
        ("RGB-tRNS", "PNG", "PNG", "png", "image/png"),  # one colour marked transparent
        ("RGBA", "WEBP", "WEBP", "webp", "image/webp"),
    ],
)
def test_cmyk_palette_and_transparent_images_still_work(
    coop, users, client_for, mode, fmt, kept_format, extension, content_type
):
    image = Image.new("RGBA", (80, 80), (200, 40, 40, 255))
    image.paste((0, 0, 0, 0), (0, 0, 40, 80))  # the left half transparent
    if mode == "CMYK":
        source = image.convert("RGB").convert("CMYK")
    elif mode == "P":
        source = image.convert("RGB").quantize(8)
        source.info["transparency"] = source.getpixel((0, 0))  # transparent left half
    elif mode == "RGB-tRNS":
        source = Image.alpha_composite(Image.new("RGBA", image.size, (0, 0, 0, 255)), image)
        source = source.convert("RGB")
        source.info["transparency"] = (0, 0, 0)  # the black left half
    else:
        source = image.convert(mode)
    client = client_for(users["admin"])

    response = upload_logo(client, coop, f"logo.{fmt.lower()}", encoded(source, fmt))

    assert response.status_code == 302
    coop.refresh_from_db()
    assert coop.logo.name.endswith(f".{extension}")
    served, body = fetch_media(client, coop.logo.name)
    assert_served_as_image(served, content_type)
    with Image.open(io.BytesIO(body)) as stored:
        assert stored.format == kept_format
        right = stored.convert("RGBA").getpixel((60, 40))
        left = stored.convert("RGBA").getpixel((10, 40))
    if mode == "LA":
        assert right[3] == 255 and left[3] == 0
    else:
        assert abs(right[0] - 200) < 20 and right[1] < 70 and right[3] == 255
        assert left[3] == (255 if mode == "CMYK" else 0)  # JPEG has no transparency


def test_a_16_bit_greyscale_png_keeps_its_shades():
    source = Image.new("I;16", (64, 64), 30000)  # 30000 of 65535: a mid grey
    stored = reencode_image(SimpleUploadedFile("gris.png", encoded(source)))
    with Image.open(stored) as image:
        assert image.format == "PNG"
        assert 110 <= image.convert("L").getpixel((5, 5)) <= 125  # not clipped to white


def test_too_many_pixels_within_the_side_limit_is_refused():
    rules = ImageRules(max_side=10_000, max_pixels=1_000_000)
    with pytest.raises(ValidationError) as error:
        reencode_image(SimpleUploadedFile("a.png", bomb_png(1500, 1000)), rules=rules)
    assert error.value.code == "image_too_many_pixels"


# --- Learning covers and posters (the federation's admin) --------------------------------


@pytest.fixture
def operator(client_for):
    return client_for(make_user("operateur@example.org", is_staff=True, is_superuser=True))


def module_form(**fields) -> dict:
    from tests.learning.test_admin import module_data

    return module_data(**fields)


def test_a_module_cover_is_re_encoded_under_a_random_name(operator):
    cover = SimpleUploadedFile("couverture.html", png(size=(300, 200)), content_type="text/html")

    response = operator.post(reverse("admin:learning_module_add"), module_form(cover_image=cover))

    assert response.status_code == 302
    name = Module.objects.get(slug="ma-coop").cover_image.name
    assert name.startswith("learning/covers/") and name.endswith(".png")
    assert "couverture" not in name
    served, _body = fetch_media(operator, name)
    assert_served_as_image(served, "image/png")


def test_an_activity_poster_that_is_not_an_image_is_refused(operator, settings):
    from tests.learning.test_admin import activity, with_activities

    step = activity(1, "text", {"body": "Bonjour"})
    step["poster"] = SimpleUploadedFile("affiche.png", SVG_SCRIPT, content_type="image/png")

    response = operator.post(
        reverse("admin:learning_module_add"), with_activities(module_form(), step)
    )

    assert response.status_code == 200
    assert "Nous ne pouvons pas lire ce fichier comme une image" in response.content.decode()
    assert not Module.objects.filter(slug="ma-coop").exists()
    assert stored_files(settings) == set()


# --- Serving /media/ in demo mode --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("learning/media/a.vtt", "text/vtt"),
        ("coops/old/logo-1234.html", "text/html"),  # stored before images were re-encoded
        ("coops/old/logo-1234.svg", "image/svg+xml"),
    ],
)
def test_media_that_is_not_an_image_is_sent_as_a_download(client, settings, name, content_type):
    path = settings.MEDIA_ROOT / name
    path.parent.mkdir(parents=True)
    path.write_bytes(SCRIPT)

    response, _body = fetch_media(client, name)

    assert response["Content-Type"].split(";")[0] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Content-Disposition"] == f'attachment; filename="{path.name}"'


# --- Images of a learning bundle (the federation's import) -------------------------------


def test_a_bundles_images_are_re_encoded_and_renamed(tmp_path, client):
    """A bundle's poster named .html and its polyglot cover are stored as plain PNGs."""
    from coopculture.learning.bundles import import_bundle_dir
    from tests.learning.test_bundles import make_bundle, sample

    data, files = sample()
    data["modules"][0]["activities"][0]["poster"] = "media/intro.html"
    files["media/intro.html"] = files.pop("media/intro.png")
    cover = files["media/cover.png"]
    files["media/cover.png"] = cover[:33] + png_chunk(b"tEXt", b"Comment\x00" + SCRIPT) + cover[33:]
    import_bundle_dir(make_bundle(tmp_path / "b", data, files))

    module = Module.objects.get(slug="ma-coop")
    poster = module.steps.get(position=1).poster.name
    assert poster.startswith("learning/media/") and poster.endswith(".png")
    assert "intro" not in poster
    served, body = fetch_media(client, module.cover_image.name)
    assert_served_as_image(served, "image/png")
    assert b"script" not in body
    # Importing the same bundle again changes nothing (the names come from the pixels).
    again = import_bundle_dir(make_bundle(tmp_path / "b", data, files))
    assert again.files_written == 0
    assert module.steps.get(position=1).poster.name == poster


def test_videos_and_captions_are_stored_under_random_names(operator, settings):
    """The admin keeps only the checked extension of a video or captions file."""
    from tests.learning.factories import CONTENT
    from tests.learning.test_admin import activity, with_activities

    step = activity(1, "video", CONTENT["video"])
    step["media"] = SimpleUploadedFile("<b>film</b>.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    step["captions"] = SimpleUploadedFile("../sous-titres.vtt", b"WEBVTT\n\n" + SCRIPT, "text/vtt")

    response = operator.post(
        reverse("admin:learning_module_add"), with_activities(module_form(), step)
    )

    assert response.status_code == 302
    video = Module.objects.get(slug="ma-coop").steps.get(position=1)
    assert video.media.name.startswith("learning/media/") and video.media.name.endswith(".mp4")
    assert video.captions.name.endswith(".vtt")
    assert "film" not in video.media.name and "sous-titres" not in video.captions.name
    served, _body = fetch_media(operator, video.captions.name)
    assert served["Content-Disposition"].startswith("attachment")  # never shown as a page
    assert served["Content-Security-Policy"] == "default-src 'none'"


def test_a_bundles_captions_are_stored_as_webvtt_whatever_their_name(tmp_path):
    from coopculture.learning.bundles import import_bundle_dir
    from coopculture.learning.models import Activity
    from tests.learning.test_bundles import make_bundle, sample

    data, files = sample()
    data["modules"][0]["activities"][0]["captions"] = "media/intro.html"
    files["media/intro.html"] = files.pop("media/intro.vtt")
    import_bundle_dir(make_bundle(tmp_path / "b", data, files))

    captions = Activity.objects.get(module__slug="ma-coop", position=1).captions.name
    assert captions.endswith(".vtt") and "intro" not in captions


def test_demo_mode_serves_media_with_the_proxys_headers(tmp_path):
    """A real demo-mode process (DJANGO_DEMO=1, config.urls as started) serves a stored
    logo inline as a PNG, and an HTML file as a download, both under the media policy."""
    from tests.processes import child_env, manage

    (tmp_path / "coops").mkdir()
    (tmp_path / "coops" / "logo-1.png").write_bytes(png())
    (tmp_path / "coops" / "logo-2.html").write_bytes(SCRIPT)
    script = (
        "from django.test import Client\n"
        "for name in ('logo-1.png', 'logo-2.html'):\n"
        "    r = Client().get('/media/coops/' + name)\n"
        "    print('|'.join([str(r.status_code), r['Content-Type'], r['X-Content-Type-Options'],"
        " r['Content-Security-Policy'], r.get('Content-Disposition', '')]))\n"
    )
    env = child_env(DJANGO_DEMO="1", MEDIA_ROOT=str(tmp_path))

    result = manage("shell", "-c", script, env=env)

    assert result.returncode == 0, result.stderr
    image, page = result.stdout.strip().splitlines()[-2:]
    assert image == "200|image/png|nosniff|default-src 'none'|inline; filename=\"logo-1.png\""
    assert page == ("200|text/html|nosniff|default-src 'none'|attachment; filename=\"logo-2.html\"")


# --- Logos stored before this check (coops migration 0004) ------------------------------


def test_logos_stored_before_are_re_encoded_or_removed(coop, other_coop, settings):
    """A PNG+HTML polyglot kept as logo.html becomes a plain PNG; an SVG logo goes."""
    import importlib

    from django.apps import apps
    from django.core.files.storage import default_storage

    from coopculture.coops.models import Coop

    migration = importlib.import_module("coopculture.coops.migrations.0004_reencode_stored_logos")
    polyglot = png() + SCRIPT
    default_storage.save(f"coops/{coop.uuid}/logo-aaaa.html", io.BytesIO(polyglot))
    default_storage.save(f"coops/{other_coop.uuid}/logo-bbbb.png", io.BytesIO(SVG_SCRIPT))
    Coop.objects.filter(pk=coop.pk).update(logo=f"coops/{coop.uuid}/logo-aaaa.html")
    Coop.objects.filter(pk=other_coop.pk).update(logo=f"coops/{other_coop.uuid}/logo-bbbb.png")

    with TestCase.captureOnCommitCallbacks(execute=True):
        migration.reencode_stored_logos(apps, None)

    coop.refresh_from_db()
    other_coop.refresh_from_db()
    assert coop.logo.name.startswith(f"coops/{coop.uuid}/logo-")
    assert coop.logo.name.endswith(".png")
    with default_storage.open(coop.logo.name) as stored:
        body = stored.read()
    assert b"script" not in body and Image.open(io.BytesIO(body)).format == "PNG"
    assert not other_coop.logo
    assert stored_files(settings) == {coop.logo.name}  # both old files are gone
