"""The members back office in a real browser: axe-core finds no WCAG 2.1 A/AA violation on
the member list (with results, with filters), the member page, the edit form with errors,
the programme page and the erase confirmation; the journeys work without JavaScript."""

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from django.utils import timezone

from coopculture.members.models import ConsentRecord, DeliveryDateChange, MemberProfile
from tests.browser.conftest import (
    assert_clean,
    force_login,
    goto,
    screenshot,
)
from tests.members.factories import make_member, make_programme, reserve

TODAY = timezone.localdate()


@pytest.fixture
def data(coop, users):
    """A programme under construction with a delay, three members with their history."""
    programme = make_programme(
        coop,
        name="Les Tilleuls",
        town="Rennes",
        works_start_on=TODAY - dt.timedelta(days=200),
        expected_delivery_on=TODAY + dt.timedelta(days=300),
    )
    people = [
        make_member(coop, first_name="Josiane", last_name="Le Goff", preferred_channel="post"),
        make_member(coop, first_name="Karim", last_name="Benali", preferred_channel="email"),
        make_member(
            coop, first_name="Lucie", last_name="Martin", email="", preferred_channel="phone"
        ),
    ]
    for i, member in enumerate(people):
        reserve(
            coop,
            member,
            programme,
            signed_on=TODAY - dt.timedelta(days=400 - i),
            lot_number=f"B{i}",
        )
    with scopes_disabled():
        MemberProfile.objects.create(
            coop=coop, member=people[0], kind="accedant", start_date=TODAY - dt.timedelta(days=400)
        )
        ConsentRecord.objects.create(
            coop=coop,
            member=people[0],
            purpose="bulletin",
            granted=True,
            legal_basis="consent",
            source="paper",
            recorded_by=users["admin"],
            note="Bulletin signé en agence",
        )
        DeliveryDateChange.objects.create(
            coop=coop,
            programme=programme,
            previous_date=TODAY + dt.timedelta(days=200),
            new_date=TODAY + dt.timedelta(days=300),
            reason="Intempéries pendant le gros œuvre",
            changed_by=users["admin"],
        )
    return {"programme": programme, "people": people}


def staff_page(page, live_server, users, path, actor="admin"):
    force_login(page, live_server, users[actor])
    goto(page, path)
    assert page.locator("nav.staff-nav").is_visible()
    assert page.locator("h1").count() == 1
    assert page.locator("nav.breadcrumb").count() == 1


def test_member_list_with_results(page, live_server, users, data):
    staff_page(page, live_server, users, "/gestion/coop-a/membres/")
    rows = page.locator("table tbody tr")
    assert rows.count() == 3
    assert page.locator("table caption").count() == 1
    screenshot(page, "members-list")
    assert_clean(page)


def test_member_list_with_filters(page, live_server, users, data):
    staff_page(page, live_server, users, "/gestion/coop-a/membres/")
    page.locator("select[name='channel']").select_option("phone")
    page.locator("input[name='q']").fill("martin")
    with page.expect_navigation():
        page.locator("form[role='search'] button[type='submit']").click()
    assert "channel=phone" in page.url and "q=martin" in page.url
    assert page.locator("table tbody tr").count() == 1
    assert "Martin" in page.locator("table tbody").inner_text()
    screenshot(page, "members-list-filtered")
    assert_clean(page)


def test_member_list_without_results(page, live_server, users, data):
    staff_page(page, live_server, users, "/gestion/coop-a/membres/?q=personne-de-ce-nom")
    assert page.locator("table").count() == 0
    assert_clean(page)


def test_member_page(page, live_server, users, data):
    member = data["people"][0]
    staff_page(page, live_server, users, f"/gestion/coop-a/membres/{member.public_id}/")
    assert page.locator("table.timeline tbody tr").count() >= 4
    assert "Bulletin signé en agence" in page.content()
    screenshot(page, "member-detail")
    assert_clean(page)


def test_member_page_as_animateur(page, live_server, users, data):
    member = data["people"][1]
    staff_page(
        page, live_server, users, f"/gestion/coop-a/membres/{member.public_id}/", "animateur"
    )
    assert page.locator("form[action$='/consentement/']").count() == 0
    assert_clean(page)


def test_edit_form_with_errors(page, live_server, users, data):
    member = data["people"][1]
    staff_page(page, live_server, users, f"/gestion/coop-a/membres/{member.public_id}/modifier/")
    page.locator("#id_email").fill("pas-une-adresse")
    with page.expect_navigation():
        page.locator("main form button[type='submit']").click()
    summary = page.locator(".error-summary")
    assert summary.count() == 1 and summary.get_attribute("role") == "alert"
    assert summary.locator("a[href='#id_email']").count() == 1
    assert page.locator("#id_email").get_attribute("aria-invalid") == "true"
    screenshot(page, "member-edit-errors")
    assert_clean(page)


def test_create_form(page, live_server, users, data):
    staff_page(page, live_server, users, "/gestion/coop-a/membres/nouveau/")
    assert_clean(page)


def test_programme_page(page, live_server, users, data):
    programme = data["programme"]
    staff_page(page, live_server, users, f"/gestion/coop-a/operations/{programme.public_id}/")
    assert "Intempéries pendant le gros œuvre" in page.content()
    screenshot(page, "programme-detail")
    assert_clean(page)


def test_programme_list_and_delivery_form(page, live_server, users, data):
    programme = data["programme"]
    staff_page(page, live_server, users, "/gestion/coop-a/operations/")
    assert_clean(page)
    goto(page, f"/gestion/coop-a/operations/{programme.public_id}/livraison/")
    page.locator("#id_delivery-new_date").fill((TODAY + dt.timedelta(days=400)).isoformat())
    with page.expect_navigation():
        page.locator("main form button[type='submit']").click()
    assert page.locator(".error-summary a[href='#id_delivery-reason']").count() == 1
    assert_clean(page)


def test_erase_confirmation(page, live_server, users, data):
    member = data["people"][0]
    staff_page(page, live_server, users, f"/gestion/coop-a/membres/{member.public_id}/effacer/")
    assert page.locator("button.button--danger").count() == 1
    screenshot(page, "member-erase")
    assert_clean(page)


def test_export_page(page, live_server, users, data):
    member = data["people"][0]
    staff_page(page, live_server, users, f"/gestion/coop-a/membres/{member.public_id}/export/")
    assert "Le Goff" in page.content()
    assert_clean(page)


def test_record_a_paper_consent_then_erase_without_javascript(new_page, live_server, users, data):
    """Plain forms: a consent from a paper form, then the erasure, JavaScript off."""
    page = new_page(java_script_enabled=False)
    member = data["people"][1]
    detail = f"/gestion/coop-a/membres/{member.public_id}/"
    staff_page(page, live_server, users, detail)
    form = page.locator("form[action$='/consentement/']")
    form.locator("input[name='consent-purpose'][value='sessions']").check()
    form.locator("input[name='consent-granted'][value='yes']").check()
    form.locator("input[name='consent-source'][value='phone']").check()
    with page.expect_navigation():
        form.locator("button[type='submit']").click()
    assert page.url.endswith(detail + "#consents")
    with scopes_disabled():
        assert ConsentRecord.objects.filter(member=member, purpose="sessions").count() == 1

    goto(page, detail + "effacer/")
    with page.expect_navigation():
        page.locator("main form button.button--danger").click()
    assert page.url.endswith("/gestion/coop-a/membres/")
    assert "Benali" not in page.locator("table tbody").inner_text()
    goto(page, detail)
    assert "Benali" not in page.content()


@pytest.mark.parametrize("which", ["list", "detail", "programme", "erase"])
def test_pages_fit_320_px(new_page, live_server, users, data, which):
    """WCAG 1.4.10: at 320 px the page never scrolls sideways (wide tables scroll in their box)."""
    member, programme = data["people"][0], data["programme"]
    path = {
        "list": "/gestion/coop-a/membres/",
        "detail": f"/gestion/coop-a/membres/{member.public_id}/",
        "programme": f"/gestion/coop-a/operations/{programme.public_id}/",
        "erase": f"/gestion/coop-a/membres/{member.public_id}/effacer/",
    }[which]
    page = new_page(viewport={"width": 320, "height": 640})
    staff_page(page, live_server, users, path)
    screenshot(page, f"members-{which}-320")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"{path} is {width} px wide at 320 px"
