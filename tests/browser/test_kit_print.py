"""The print kit's pages in a real browser: no axe violation on the kit page (previews
loaded), the texts form, the whole-kit page while building (htmx updates it by itself, and
without JavaScript a refresh link does) and once failed, the federation's batch pages."""

import pytest
from django_scopes import scopes_disabled

from coopculture.kit.models import BuildStatus, KitBuild
from tests.browser.conftest import (
    assert_clean,
    force_login,
    goto,
    screenshot,
)
from tests.kit.print_helpers import make_modules


@pytest.fixture
def modules(transactional_db):
    return make_modules()


def test_the_kit_page_with_its_previews(page, live_server, coop, users, modules):
    force_login(page, live_server, users["editor"])
    goto(page, f"/gestion/{coop.slug}/kit/")
    assert page.locator("h1").inner_text() == "Kit d'impression"
    previews = page.locator("img.kit-print-piece__preview")
    assert previews.count() >= 6
    for n in range(previews.count()):
        previews.nth(n).scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.kit-print-piece__preview')]"
        ".every(img => img.complete && img.naturalWidth > 0)",
        timeout=60_000,
    )
    assert page.locator("nav.staff-nav a[aria-current='page']").inner_text() == "Kit d'impression"
    screenshot(page, "kit-print")
    assert_clean(page)


def test_preparing_the_whole_kit_in_the_browser(page, live_server, coop, users, modules):
    """The button builds the ZIP (immediate backend in tests) and the page offers it."""
    force_login(page, live_server, users["animateur"])
    goto(page, f"/gestion/{coop.slug}/kit/")
    # The immediate backend builds the ZIP inside the POST: the click waits as long.
    with page.expect_navigation(timeout=120_000):
        page.get_by_role("button", name="Préparer tout le kit (ZIP)").click(timeout=120_000)
    status = page.locator("#kit-build-status")
    assert "est prêt" in status.inner_text()
    with page.expect_download() as download:
        status.get_by_role("link", name="Télécharger le ZIP").click()
    assert download.value.suggested_filename.endswith(".zip")
    assert_clean(page)


def test_the_progress_updates_itself_with_javascript(page, live_server, coop, users):
    with scopes_disabled():
        build = KitBuild.objects.create(
            coop=coop, status=BuildStatus.RUNNING, pieces_done=2, pieces_total=10
        )
    force_login(page, live_server, users["admin"])
    goto(page, f"/gestion/{coop.slug}/kit/kit-complet/{build.public_id}/")
    assert page.locator("#kit-build-status[role='status'] progress").get_attribute("value") == "2"
    screenshot(page, "kit-print-building")
    assert_clean(page)
    with scopes_disabled():
        KitBuild.objects.filter(pk=build.pk).update(status=BuildStatus.FAILED, error="Boom")
    page.locator("#kit-build-status .message--error").wait_for(timeout=10_000)
    assert "Boom" in page.locator("#kit-build-status").inner_text()
    assert_clean(page)


def test_the_progress_page_works_without_javascript(page_no_js, live_server, coop, users):
    with scopes_disabled():
        build = KitBuild.objects.create(
            coop=coop, status=BuildStatus.QUEUED, pieces_done=0, pieces_total=10
        )
    page = page_no_js
    force_login(page, live_server, users["admin"])
    url = f"/gestion/{coop.slug}/kit/kit-complet/{build.public_id}/"
    goto(page, url)
    with scopes_disabled():
        KitBuild.objects.filter(pk=build.pk).update(pieces_done=4)
    with page.expect_navigation():
        page.get_by_role("link", name="Actualiser").click()
    assert page.locator("progress").get_attribute("value") == "4"
    assert page.locator("#kit-build-status").get_attribute("role") == "status"


def test_the_texts_form(page, live_server, coop, users, modules):
    force_login(page, live_server, users["admin"])
    goto(page, f"/gestion/{coop.slug}/kit/textes/")
    assert page.locator("#id_tagline").get_attribute("maxlength") == "90"
    assert "90 caractères au plus" in page.locator("main").inner_text()
    assert_clean(page)
    page.locator("#id_tagline").fill("Votre coop en vidéos")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les textes").click()
    assert page.url.endswith(f"/gestion/{coop.slug}/kit/")
    assert "Votre coop en vidéos" in page.locator("main").inner_text()


def test_the_federation_batch_pages(page, live_server, coop, other_coop, users, modules):
    force_login(page, live_server, users["federation"])
    goto(page, "/federation/kit/")
    assert_clean(page)
    with page.expect_navigation(timeout=180_000):
        page.get_by_role("button", name="Préparer les kits de toutes les coopératives").click(
            timeout=180_000
        )
    assert "Le lot est terminé." in page.locator("#kit-batch-status").inner_text()
    screenshot(page, "kit-federation-batch")
    assert_clean(page)


def test_the_kit_page_while_the_worker_prepares_the_previews(
    page, live_server, coop, users, modules, settings
):
    """With a real queue, the page opens at once: each piece says its preview is coming,
    and a link reloads the page (no JavaScript needed)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    force_login(page, live_server, users["editor"])
    goto(page, f"/gestion/{coop.slug}/kit/")
    assert page.locator("img.kit-print-piece__preview").count() == 0
    pending = page.locator(".kit-print-piece__preview--pending")
    assert pending.count() >= 6
    assert pending.first.inner_text() == "Aperçu en préparation…"
    notice = page.get_by_role("status").filter(has_text="rechargez la page")
    assert notice.count() == 1
    screenshot(page, "kit-print-pending")
    assert_clean(page)
    with page.expect_navigation():
        notice.get_by_role("link").click()
    assert page.url.endswith(f"/gestion/{coop.slug}/kit/")
