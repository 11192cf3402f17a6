"""The kit's pages in a real browser: the coop landing page (axe, weight, no JavaScript),
the tracked links pages and the figures (axe), the "copy the link" button, and the QR
code's SVG as Chromium draws it, decoded back to the short URL."""

import io
import uuid

import pytest
import zxingcpp
from django_scopes import scopes_disabled
from PIL import Image

from django.utils import timezone

from coopculture.kit.links import link_create, short_url
from coopculture.kit.models import LinkDailyCount
from coopculture.learning.models import CoopModuleSetting, EventKind, LearningEvent
from tests.browser.conftest import (
    assert_clean,
    console_errors,
    force_login,
    goto,
    screenshot,
)
from tests.browser.test_learning_weight import MAX_BYTES, MAX_REQUESTS, weigh
from tests.learning.factories import make_module


@pytest.fixture
def world(coop, users):
    modules = [
        make_module(title="Ma coop, c'est quoi ?", kinds=("text", "video", "quiz")),
        make_module(title="Une voix pour chacun", concerns=["accession_vefa"]),
        make_module(title="Le syndic", concerns=["syndic"]),
    ]
    with scopes_disabled():
        CoopModuleSetting.objects.create(
            coop=coop, module=modules[1], highlighted=True, highlight_position=1, note="Chez nous."
        )
        coop.contact_phone = "02 97 00 00 00"
        coop.postal_address = "1 rue du Port\n56100 Lorient"
        coop.website = "https://coop-a.example.org"
        coop.save()
        newsletter = link_create(coop=coop, channel="newsletter", label="Newsletter de mars")
        flyer = link_create(
            coop=coop,
            channel="flyer",
            label="Flyer",
            target_kind="module",
            module_slug=modules[0].slug,
        )
        today = timezone.localdate()
        for link, n in ((newsletter, 12), (flyer, 5)):
            LinkDailyCount.objects.create(coop=coop, link=link, day=today, visits=n)
        for kind in (EventKind.MODULE_STARTED, EventKind.MODULE_COMPLETED):
            LearningEvent.objects.create(
                coop=coop,
                learner_key=uuid.uuid4(),
                kind=kind,
                module=modules[0],
                channel=f"link:{flyer.code}",
            )
    return {"modules": modules, "newsletter": newsletter, "flyer": flyer}


def landing_path(coop) -> str:
    return f"/c/{coop.slug}/"


def test_the_landing_page_has_no_axe_violation(new_page, coop, world):
    for viewport in ({"width": 1280, "height": 900}, {"width": 360, "height": 740}):
        page = new_page(viewport=viewport)
        goto(page, landing_path(coop))
        assert_clean(page)
        screenshot(page, f"kit-landing-{viewport['width']}")


def test_the_landing_page_stays_within_the_weight_budget(new_page, live_server, coop, world):
    page = new_page()
    total, count, urls = weigh(page, landing_path(coop))
    assert count <= MAX_REQUESTS, f"{count} requests: {urls}"
    assert total <= MAX_BYTES, f"{total} bytes: {urls}"
    assert all(url.startswith(live_server.url + "/") for url in urls), urls


def test_the_landing_page_works_without_javascript(page_no_js, coop, world):
    goto(page_no_js, landing_path(coop))
    assert page_no_js.locator("h1").inner_text() == "Culture Coop’ chez Coop A"
    titles = page_no_js.locator("#modules ~ ul h3").all_inner_texts()
    assert titles[0] == "Une voix pour chacun"
    assert "Le syndic" not in titles
    page_no_js.get_by_role("link", name="Commencer le MOOC").first.click()
    assert page_no_js.url.endswith(f"/c/{coop.slug}/parcours/")


def test_a_short_link_leads_a_browser_to_its_page(page, live_server, coop, world):
    flyer = world["flyer"]
    response = page.goto(f"/l/{flyer.code}")
    assert response.status == 200
    assert page.url == f"{live_server.url}/c/{coop.slug}/parcours/{world['modules'][0].slug}/"


@pytest.mark.parametrize("which", ["list", "detail", "figures", "create", "edit"])
def test_the_links_pages_have_no_axe_violation(new_page, live_server, coop, users, world, which):
    page = new_page()
    force_login(page, live_server, users["admin"])
    base = f"/gestion/{coop.slug}/liens/"
    link = world["flyer"]
    path = {
        "list": base,
        "detail": f"{base}{link.public_id}/",
        "figures": f"{base}chiffres/",
        "create": f"{base}nouveau/",
        "edit": f"{base}{link.public_id}/modifier/",
    }[which]
    goto(page, path)
    assert_clean(page)
    screenshot(page, f"kit-links-{which}")


def test_the_create_form_with_errors_has_no_axe_violation(
    new_page, live_server, coop, users, world
):
    page = new_page()
    force_login(page, live_server, users["editor"])
    goto(page, f"/gestion/{coop.slug}/liens/nouveau/")
    page.get_by_role("button", name="Créer le lien").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 1
    assert_clean(page)


def test_the_copy_button_copies_and_announces_it(new_page, live_server, coop, users, world):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    force_login(page, live_server, users["animateur"])
    link = world["newsletter"]
    goto(page, f"/gestion/{coop.slug}/liens/{link.public_id}/")
    field = page.get_by_label("Lien court à partager")
    assert field.input_value() == short_url(link)
    button = page.get_by_role("button", name="Copier le lien")
    assert button.is_visible()
    button.click()
    status = page.locator("#short-url ~ [role=status], [data-copy-status]").first
    page.wait_for_function(
        "() => document.querySelector('[data-copy-status]').textContent === 'Lien copié'"
    )
    assert status.get_attribute("aria-live") == "polite"
    assert page.evaluate("() => navigator.clipboard.readText()") == short_url(link)
    # The embed snippets copy the same way.
    page.get_by_role("button", name="Copier le HTML").first.click()
    assert page.evaluate("() => navigator.clipboard.readText()").startswith(
        f'<a href="{short_url(link)}">'
    )
    assert not console_errors(page)


def test_without_javascript_the_link_is_visible_and_selectable_and_no_dead_button(
    new_page, live_server, coop, users, world
):
    page = new_page(java_script_enabled=False)
    force_login(page, live_server, users["animateur"])
    link = world["newsletter"]
    goto(page, f"/gestion/{coop.slug}/liens/{link.public_id}/")
    field = page.get_by_label("Lien court à partager")
    assert field.is_visible()
    assert field.input_value() == short_url(link)
    assert field.get_attribute("readonly") is not None
    assert page.get_by_role("button", name="Copier le lien").count() == 0  # hidden
    field.click()
    field.select_text()
    assert page.evaluate("() => window.getSelection().toString() || document.activeElement.value")


def test_the_svg_qr_code_drawn_by_chromium_scans_to_the_short_url(
    new_page, live_server, coop, users, world
):
    page = new_page()
    force_login(page, live_server, users["animateur"])
    link = world["flyer"]
    # An attachment: fetched with the browser context's cookies, then drawn by Chromium.
    response = page.context.request.get(
        f"{live_server.url}/gestion/{coop.slug}/liens/{link.public_id}/qr.svg"
    )
    assert response.status == 200
    assert response.headers["content-type"] == "image/svg+xml"
    svg = response.body().decode()
    page.set_content(f"<html><body style='margin:0;background:#fff'>{svg}</body></html>")
    image = Image.open(io.BytesIO(page.locator("svg").screenshot()))
    [result] = zxingcpp.read_barcodes(image)
    assert result.text == short_url(link)
