"""The first link a visitor came through is credited with their module starts and
completions: in the session, then in the account at sign-in, and in the figures."""

import re

import pytest
from django_scopes import scopes_disabled

from django.test import Client
from django.urls import reverse

from coopculture.coops.scoping import coop_scope
from coopculture.core import attribution
from coopculture.kit.models import AccountSource
from coopculture.learning.models import EventKind, LearningEvent
from coopculture.members import services as member_services
from tests.conftest import PASSWORD, make_user
from tests.kit.test_links_redirect import make_link, visit
from tests.learning.factories import make_module
from tests.members.factories import make_member

pytestmark = pytest.mark.django_db

KINDS = ("text", "quiz")
RIGHT_QUIZ = {"q0": "1", "q1": "1"}


def follow_module(client, coop, module):
    for position, kind in enumerate(KINDS, start=1):
        url = reverse(
            "learning:activity",
            kwargs={"coop_slug": coop.slug, "module_slug": module.slug, "position": position},
        )
        response = client.post(url, RIGHT_QUIZ if kind == "quiz" else {})
        assert response.status_code == 302


def module_events(coop, module):
    with scopes_disabled():
        return {
            e.kind: e.channel
            for e in LearningEvent.objects.filter(
                coop=coop,
                module=module,
                kind__in=[EventKind.MODULE_STARTED, EventKind.MODULE_COMPLETED],
            )
        }


def figures_html(client, coop) -> str:
    response = client.get(reverse("kit_links:figures", kwargs={"coop_slug": coop.slug}))
    assert response.status_code == 200
    return response.content.decode()


def cells_of_row(html: str, row_label: str) -> list[str]:
    """The numeric cells of the total row of one link or channel group."""
    start = html.index(row_label)
    total = html.index("kit-figures__total", start)
    row = html[total : html.index("</tr>", total)]
    return re.findall(r'<td class="numeric">(\d+)</td>', row)


def test_a_visit_through_a_link_is_credited_with_the_start_and_completion(coop, users, client_for):
    module = make_module(kinds=KINDS)
    flyer = make_link(coop, channel="flyer", label="Flyer de la visite de chantier")
    newsletter = make_link(coop, channel="newsletter", label="Newsletter de mars")
    member = Client()
    visit(flyer, client=member)
    assert member.session[attribution.SESSION_KEY] == f"link:{flyer.code}"
    visit(newsletter, client=member)  # a later link does not replace the first
    assert member.session[attribution.SESSION_KEY] == f"link:{flyer.code}"

    follow_module(member, coop, module)
    assert module_events(coop, module) == {
        EventKind.MODULE_STARTED: f"link:{flyer.code}",
        EventKind.MODULE_COMPLETED: f"link:{flyer.code}",
    }

    html = figures_html(client_for(users["admin"]), coop)
    # Per link: 1 visit, 1 start, 1 completion for the flyer; the newsletter: 1 visit.
    assert cells_of_row(html, "Flyer de la visite de chantier") == ["1", "1", "1"]
    assert cells_of_row(html, "Newsletter de mars") == ["1", "0", "0"]
    # Per channel, the same.
    assert cells_of_row(html, "Total Flyer") == ["1", "1", "1"]


def test_a_visitor_without_a_link_is_credited_to_no_link(coop, users, client_for):
    module = make_module(kinds=KINDS)
    make_link(coop, channel="flyer", label="Flyer")
    follow_module(Client(), coop, module)
    assert set(module_events(coop, module).values()) == {""}
    html = figures_html(client_for(users["admin"]), coop)
    assert "Rien à afficher pour cette période" in html


def test_sign_in_keeps_the_source_in_the_account_and_brings_it_to_another_device(coop, users):
    link = make_link(coop, channel="ag", label="AG 2026")
    editor = users["editor"]
    first_device = Client()
    visit(link, client=first_device)
    response = first_device.post(
        reverse("account_login"), {"login": editor.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    # The session keeps the source through sign-in...
    assert first_device.session[attribution.SESSION_KEY] == f"link:{link.code}"
    # ...and the account has it, for this coop.
    with scopes_disabled():
        kept = AccountSource.objects.get(user=editor)
    assert (kept.coop_id, kept.source) == (coop.pk, f"link:{link.code}")

    # Another device, signing in from the coop's MOOC, without having used any link.
    other_device = Client()
    parcours = reverse("learning:home", kwargs={"coop_slug": coop.slug})
    other_device.post(
        reverse("account_login") + f"?next={parcours}",
        {"login": editor.email, "password": PASSWORD},
    )
    assert other_device.session[attribution.SESSION_KEY] == f"link:{link.code}"

    # Its module is credited to the link.
    module = make_module(kinds=KINDS)
    follow_module(other_device, coop, module)
    assert set(module_events(coop, module).values()) == {f"link:{link.code}"}


def test_the_account_keeps_its_first_source_per_coop(coop, other_coop, users):
    editor = users["editor"]
    first = make_link(coop, label="Premier")
    second = make_link(coop, label="Second")
    elsewhere = make_link(other_coop, label="Ailleurs")
    for link in (first, second, elsewhere):
        device = Client()
        visit(link, client=device)
        device.post(reverse("account_login"), {"login": editor.email, "password": PASSWORD})
    with scopes_disabled():
        kept = dict(AccountSource.objects.filter(user=editor).values_list("coop_id", "source"))
    assert kept == {coop.pk: f"link:{first.code}", other_coop.pk: f"link:{elsewhere.code}"}


def test_a_source_from_another_coops_link_does_not_count_in_this_coops_figures(
    coop, other_coop, users, client_for
):
    module = make_module(kinds=KINDS)
    theirs = make_link(other_coop, channel="flyer", label="Flyer de B")
    make_link(coop, channel="flyer", label="Flyer de A")
    member = Client()
    visit(theirs, client=member)
    follow_module(member, coop, module)  # then follows a module in coop A's space
    html = figures_html(client_for(users["admin"]), coop)
    assert "Flyer de B" not in html
    assert "Rien à afficher pour cette période" in html


def test_a_members_first_source_is_in_their_export_and_goes_with_their_erasure(
    coop, other_coop, users
):
    """The account's first link is personal data: the member's export shows this coop's
    row (not the one of another coop the same person belongs to), erasure deletes it."""
    person = make_user("double.appartenance@example.org")
    here = make_member(coop, user=person)
    make_member(other_coop, user=person)
    poster = make_link(coop, channel="affiche", label="Affiche du hall B")
    with scopes_disabled():
        AccountSource.objects.create(coop=coop, user=person, source=f"link:{poster.code}")
        AccountSource.objects.create(coop=other_coop, user=person, source="link:xyz6789")
    with coop_scope(coop):
        data = member_services.member_export(coop=coop, actor=users["admin"], member=here)
    # Named as the person knows it, not by a code.
    assert [row["source"] for row in data["kit.AccountSource"]] == [
        f"Affiche du hall B (Affiche, lien {poster.code})"
    ]
    with coop_scope(coop):
        member_services.member_anonymise(coop=coop, actor=users["admin"], member=here)
    with scopes_disabled():
        left = list(AccountSource.objects.values_list("coop_id", "source"))
        here.refresh_from_db()
    assert left == [(other_coop.pk, "link:xyz6789")]
    assert here.is_anonymised and here.user_id is None
