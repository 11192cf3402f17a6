"""The member import pages in a real browser: the journey with JavaScript off, and axe-core
(WCAG 2.1 A/AA) on every page of it: upload, columns, check with errors, check without,
queued with progress, done, refused."""

from pathlib import Path

import pytest
from django_scopes import scopes_disabled

from coopculture.members import importing
from coopculture.members.models import ImportStatus, MemberImport
from tests.browser.conftest import assert_no_axe_violations, force_login, goto, screenshot
from tests.members.factories import make_programme

FILES = Path(__file__).resolve().parents[1] / "members" / "files"
START = "/gestion/coop-a/membres/import/"


def assert_clean(page, shot: str):
    screenshot(page, shot)
    assert_no_axe_violations(page)


def submit(page, form_selector: str = "main form[method='post']"):
    with page.expect_navigation() as navigation:
        page.locator(f"{form_selector} button[type='submit']").click()
    return navigation.value


def upload(page, path: Path):
    goto(page, START)
    page.locator("input[type='file']").set_input_files(str(path))
    response = submit(page, "main form[enctype='multipart/form-data']")
    assert response.status == 200, response.status
    assert page.url.endswith("/colonnes/"), page.url


def the_job() -> MemberImport:
    with scopes_disabled():
        return MemberImport.objects.order_by("-created_at").first()


@pytest.mark.parametrize("javascript", [True, False], ids=["axe", "no-javascript"])
def test_the_import_journey(new_page, live_server, coop, users, javascript):
    """The whole journey works with JavaScript off (plain forms and links); with it on,
    axe-core finds no violation on any page of it (axe needs JavaScript to run)."""
    make_programme(coop, name="Les Tilleuls")
    make_programme(coop, name="Résidence du Parc")
    page = new_page(java_script_enabled=javascript)
    force_login(page, live_server, users["editor"])

    def assert_clean(page, shot: str):
        if javascript:
            screenshot(page, shot)
            assert_no_axe_violations(page)

    goto(page, START)
    assert_clean(page, "import-1-upload")

    # A refused file: the error summary, the field marked invalid.
    page.locator("input[type='file']").set_input_files(
        {"name": "membres.xls", "mimeType": "application/vnd.ms-excel", "buffer": b"\xd0\xcf"}
    )
    submit(page, "main form[enctype='multipart/form-data']")
    assert page.locator(".error-summary").count() == 1
    assert page.locator("input[type='file']").get_attribute("aria-invalid") == "true"
    assert_clean(page, "import-1-upload-refused")

    # A file with errors: columns, then every error by row and column.
    upload(page, FILES / "errors.csv")
    assert page.locator("main select").count() == 7
    assert_clean(page, "import-2-columns")
    submit(page)
    assert page.url.endswith("/apercu/")
    assert page.locator("tr[data-code]").count() == 9
    assert page.locator("main form[method='post']").count() == 0  # nothing to apply
    assert_clean(page, "import-3-check-errors")

    # A clean file: the counts, then the import, done.
    upload(page, FILES / "cp1252_semicolons.csv")
    submit(page)
    assert page.locator("dl.stats dd").all_inner_texts() == ["3", "0", "0"]
    assert_clean(page, "import-3-check-ok")
    submit(page)
    job = the_job()
    assert job.status == ImportStatus.DONE
    assert page.url.endswith(f"/{job.public_id}/")
    assert page.locator("a[href$='/rapport.csv']").count() == 1
    assert_clean(page, "import-4-done")


@pytest.mark.parametrize("status", [ImportStatus.RUNNING, ImportStatus.FAILED])
def test_the_progress_and_refused_pages_have_no_axe_violations(
    page, live_server, coop, users, status
):
    force_login(page, live_server, users["admin"])
    upload(page, FILES / "errors.csv")
    submit(page)
    job = the_job()
    with scopes_disabled():
        MemberImport.objects.filter(pk=job.pk).update(status=status, total_rows=6)
        importing.progress_set(job, 2)
    goto(page, f"{START}{job.public_id}/")
    if status == ImportStatus.RUNNING:
        assert page.locator("progress").get_attribute("value") == "33"
        assert page.locator("meta[http-equiv]").count() == 0
        assert page.locator("main a.button", has_text="").count() == 1
    else:
        assert page.locator("tr[data-code]").count() == len(job.errors) > 0
    assert_clean(page, f"import-4-{status}")


@pytest.mark.parametrize("step", ["start", "columns"])
def test_no_horizontal_scroll_at_320_px(new_page, live_server, coop, users, step):
    page = new_page(viewport={"width": 320, "height": 640})
    force_login(page, live_server, users["admin"])
    if step == "columns":
        upload(page, FILES / "cp1252_semicolons.csv")
    else:
        goto(page, START)
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= 320, widths


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_the_analysis_page_waits_for_the_worker(new_page, live_server, coop, users, javascript):
    """While the worker reads the file the page says so; without JavaScript a plain link
    shows the result, with it htmx looks again and reloads the page by itself."""
    page = new_page(java_script_enabled=javascript)
    force_login(page, live_server, users["admin"])
    upload(page, FILES / "cp1252_semicolons.csv")
    job = the_job()
    with scopes_disabled():
        MemberImport.objects.filter(pk=job.pk).update(status=ImportStatus.ANALYSING)
    goto(page, f"{START}{job.public_id}/colonnes/")
    assert page.locator("main select").count() == 0
    assert (
        page.locator("#import-analysis [role='status']").inner_text().startswith("Analyse en cours")
    )
    assert page.locator("meta[http-equiv]").count() == 0
    if javascript:
        screenshot(page, "import-2-analysing")
        assert_no_axe_violations(page)
    with scopes_disabled():
        MemberImport.objects.filter(pk=job.pk).update(status=ImportStatus.UPLOADED)
    if javascript:
        page.locator("main select").first.wait_for(timeout=10_000)  # reloaded by htmx
    else:
        page.locator("main a.button").click()
    assert page.locator("main select").count() == 16
