"""In a real browser: a coop's hostile texts stay text, and its uploads stay images.

A coop named `<meta http-equiv=refresh …>` once sent its own staff elsewhere; a PNG named
logo.html ran script from the platform's origin. Here Chromium opens the pages and files
and nothing navigates, no script runs, and the text reads as the coop typed it."""

import io

import pytest
from django_scopes import scopes_disabled
from PIL import Image

from coopculture.coops.models import Coop
from tests.browser.conftest import login
from tests.browser.urls_media import MEDIA_PREFIX
from tests.conftest import PASSWORD
from tests.learning.factories import make_module

pytestmark = pytest.mark.urls("tests.browser.urls_media")

NAME = '<meta http-equiv=refresh content="0;url=/compte/"><img src=x onerror=alert(1)>'


def watch(page) -> list[str]:
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def test_a_hostile_coop_name_neither_redirects_nor_runs_on_staff_pages(
    page, live_server, coop, users
):
    make_module(kinds=("text",), slug="mon-module")
    # A name the form would accept (SQLite would store a longer one; PostgreSQL refuses it).
    assert len(NAME) <= Coop._meta.get_field("name").max_length
    with scopes_disabled():
        Coop.objects.filter(pk=coop.pk).update(name=NAME)
    dialogs = watch(page)
    login(page, live_server, users["admin"].email, PASSWORD)

    for path in ("/gestion/coop-a/parcours/mon-module/", "/gestion/coop-a/coop/", "/c/coop-a/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_timeout(1500)  # a refresh of 0 s would have happened by now
        assert page.url == f"{live_server.url}{path}", f"{path} navigated to {page.url}"
        assert page.locator("meta[http-equiv]").count() == 0
        assert page.locator("img[src='x']").count() == 0
    # The name reads as typed, for instance in the module note's help text.
    page.goto(f"{live_server.url}/gestion/coop-a/parcours/mon-module/")
    assert "http-equiv=refresh" in page.locator("#id_note_helptext").inner_text()
    assert dialogs == []


def png_with_script() -> bytes:
    """A real PNG that also carries an HTML page (after its end)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "#1d5c8c").save(buffer, format="PNG")
    return buffer.getvalue() + b"<html><script>alert(document.domain)</script></html>"


def test_an_uploaded_logo_named_html_opens_as_an_image(page, live_server, coop, users, tmp_path):
    dialogs = watch(page)
    login(page, live_server, users["admin"].email, PASSWORD)
    upload = tmp_path / "logo.html"
    upload.write_bytes(png_with_script())

    page.goto(f"{live_server.url}/gestion/coop-a/coop/")
    page.set_input_files("input[name='logo']", str(upload))
    with page.expect_navigation():
        page.locator("form[enctype='multipart/form-data'] button[type='submit']").click()
    coop.refresh_from_db()
    assert coop.logo.name.endswith(".png")

    response = page.goto(f"{live_server.url}{MEDIA_PREFIX}{coop.logo.name}")
    assert response.status == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-security-policy"] == "default-src 'none'"
    assert page.evaluate("() => document.images.length") == 1  # shown as an image
    assert dialogs == []


def test_a_stored_html_file_is_downloaded_not_shown(page, live_server, settings):
    """Media that is not an image (here, an HTML file left from before) is a download."""
    path = settings.MEDIA_ROOT / "coops" / "ancien" / "logo-1234.html"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"<script>alert(document.domain)</script>")
    dialogs = watch(page)

    with page.expect_download() as download:
        try:
            page.goto(f"{live_server.url}{MEDIA_PREFIX}coops/ancien/logo-1234.html")
        except Exception as error:  # Chromium aborts the navigation of a download
            assert "Download is starting" in str(error) or "ERR_ABORTED" in str(error)
    assert download.value.suggested_filename == "logo-1234.html"
    assert dialogs == []
