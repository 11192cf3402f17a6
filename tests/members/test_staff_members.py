"""Members back office: the list (filters, search, pagination), the member page, create,
edit and consents recorded by staff."""

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from django.urls import reverse
from django.utils import timezone

from coopculture.coops.models import AuditEvent
from coopculture.members.models import ConsentRecord, Member, MemberProfile, Reservation
from coopculture.members.views.staff import PAGE_SIZE
from tests.members.factories import make_member, make_programme, reserve

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PAST = TODAY - dt.timedelta(days=400)


def list_url(coop, **params) -> str:
    url = reverse("members_staff:member-list", kwargs={"coop_slug": coop.slug})
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return url


def member_url(coop, member, name="member-detail") -> str:
    return reverse(
        f"members_staff:{name}", kwargs={"coop_slug": coop.slug, "member_id": member.public_id}
    )


def listed(response) -> list[Member]:
    assert response.status_code == 200
    return [row["member"] for row in response.context["rows"]]


@pytest.fixture
def admin(client_for, users):
    return client_for(users["admin"])


@pytest.fixture
def population(coop):
    """Five members, each the only one to match one filter (and one with no match at all)."""
    building = make_programme(coop, name="Les Tilleuls", works_start_on=PAST)
    rental = make_programme(coop, name="Le Clos", kind="locatif")
    people = {
        "builder": make_member(coop, first_name="Bastien", last_name="Chantier"),
        "tenant": make_member(coop, first_name="Tania", last_name="Loyer", email=""),
        "texter": make_member(coop, first_name="Sacha", last_name="Texto", preferred_channel="sms"),
        "reader": make_member(coop, first_name="Lise", last_name="Lettre", external_ref="REF-777"),
        "nobody": make_member(coop, first_name="Noé", last_name="Rien"),
    }
    reserve(coop, people["builder"], building, signed_on=PAST)
    reserve(coop, people["tenant"], rental, kind="lease", signed_on=PAST)
    with scopes_disabled():
        MemberProfile.objects.create(
            coop=coop, member=people["tenant"], kind="locataire", start_date=PAST
        )
        ConsentRecord.objects.create(
            coop=coop,
            member=people["reader"],
            purpose="bulletin",
            granted=True,
            legal_basis="consent",
            source="paper",
        )
        # Agreed, then withdrew: no longer counts as agreeing.
        for granted in (True, False):
            ConsentRecord.objects.create(
                coop=coop,
                member=people["nobody"],
                purpose="bulletin",
                granted=granted,
                legal_basis="consent",
                source="web_form",
            )
    people["building"], people["rental"] = building, rental
    return people


def test_the_list_shows_every_current_member_but_not_the_anonymised(coop, other_coop, admin):
    """Anonymised members and other coops' members are not listed."""
    alive = make_member(coop)
    make_member(coop, anonymised_at=timezone.now(), first_name="", last_name="")
    make_member(other_coop)
    response = admin.get(list_url(coop))
    assert listed(response) == [alive]
    assert response.context["page_obj"].paginator.count == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"profile": "locataire"}, "tenant"),
        ({"stage": "en_chantier"}, "builder"),
        ({"stage": "locataire"}, "tenant"),
        ({"channel": "sms"}, "texter"),
        ({"consent": "bulletin"}, "reader"),
        ({"has_email": "no"}, "tenant"),
        ({"q": "chantier"}, "builder"),  # last name, any case
        ({"q": "tania"}, "tenant"),  # first name
        ({"q": "REF-777"}, "reader"),  # member number
    ],
)
def test_each_filter_narrows_the_list(coop, admin, population, params, expected):
    """Each filter keeps exactly the one member it describes."""
    assert listed(admin.get(list_url(coop, **params))) == [population[expected]]


def test_programme_and_email_filters(coop, admin, population):
    """By programme (its public id) and by email address (search by email too)."""
    programme = population["building"]
    assert listed(admin.get(list_url(coop, programme=str(programme.public_id)))) == [
        population["builder"]
    ]
    with_email = listed(admin.get(list_url(coop, has_email="yes")))
    assert population["tenant"] not in with_email and len(with_email) == 4
    email = population["texter"].email
    assert listed(admin.get(list_url(coop, q=email))) == [population["texter"]]


def test_filters_combine_and_an_invalid_value_is_ignored(coop, admin, population):
    """Two filters narrow together; an unknown choice shows an error but breaks nothing."""
    assert listed(admin.get(list_url(coop, has_email="yes", stage="en_chantier"))) == [
        population["builder"]
    ]
    response = admin.get(list_url(coop, stage="nonsense", channel="sms"))
    assert listed(response) == [population["texter"]]
    assert "stage" in response.context["form"].errors


def test_the_list_shows_stage_programme_and_consents(coop, admin, population):
    """A row carries the stage label, the programme and the purposes agreed to."""
    rows = {row["member"]: row for row in admin.get(list_url(coop)).context["rows"]}
    builder = rows[population["builder"]]
    assert builder["programme"] == "Les Tilleuls" and builder["stage"]
    assert rows[population["reader"]]["consents"] and not rows[population["nobody"]]["consents"]
    assert rows[population["tenant"]]["has_email"] is False


def test_pagination_keeps_the_filters(coop, admin):
    """Page size is fixed; the next-page link keeps the filters and the next page works."""
    for i in range(PAGE_SIZE + 5):
        make_member(coop, last_name=f"Dupont{i:03d}", preferred_channel="phone")
    make_member(coop, last_name="Autre", preferred_channel="post")
    response = admin.get(list_url(coop, channel="phone"))
    page = response.context["page_obj"]
    assert len(listed(response)) == PAGE_SIZE
    assert page.paginator.num_pages == 2 and page.paginator.count == PAGE_SIZE + 5
    html = response.content.decode()
    assert "channel=phone&amp;page=2" in html or "page=2&amp;channel=phone" in html
    second = admin.get(list_url(coop, channel="phone", page=2))
    assert len(listed(second)) == 5
    assert all(m.preferred_channel == "phone" for m in listed(second))
    # Out of range: the last page, not an error.
    assert admin.get(list_url(coop, page=99)).status_code == 200


def test_the_add_and_import_links_follow_the_role(coop, users, client_for):
    """Animateurs see the list without the link to add a member."""
    create = reverse("members_staff:member-create", kwargs={"coop_slug": coop.slug})
    assert create in client_for(users["editor"]).get(list_url(coop)).content.decode()
    assert create not in client_for(users["animateur"]).get(list_url(coop)).content.decode()


# --- Member page ----------------------------------------------------------------------------


def test_the_member_page_shows_details_stage_reservations_and_timeline(coop, admin, population):
    member = population["builder"]
    response = admin.get(member_url(coop, member))
    html = response.content.decode()
    assert response.status_code == 200
    assert member.email in html and member.phone in html
    assert response.context["stage_label"]
    assert [r.programme.name for r in response.context["reservations"]] == ["Les Tilleuls"]
    kinds = [entry.kind for entry in response.context["timeline"]]
    assert {"members.created", "members.reservation", "members.works_started"} <= set(kinds)
    dates = [entry.sort_key for entry in response.context["timeline"]]
    assert dates == sorted(dates, reverse=True), "newest first"


def test_the_timeline_takes_entries_from_registered_providers(coop, admin):
    """Another app plugs into the timeline with one registered function."""
    from coopculture.members import timeline

    member = make_member(coop)
    moment = timezone.now() + dt.timedelta(days=1)

    def attended(provider_coop, provider_member):
        assert provider_coop == coop and provider_member == member
        return [timeline.TimelineEntry(date=moment, kind="workshops.attended", label="Atelier")]

    timeline.register(attended)
    try:
        entries = admin.get(member_url(coop, member)).context["timeline"]
    finally:
        timeline._providers.pop(f"{attended.__module__}.{attended.__qualname__}")
    assert entries[0].kind == "workshops.attended"


def test_animateurs_see_the_member_but_no_actions(coop, users, client_for):
    member = make_member(coop)
    response = client_for(users["animateur"]).get(member_url(coop, member))
    assert response.status_code == 200
    assert response.context["consent_form"] is None and not response.context["can_manage"]
    assert member_url(coop, member, "member-edit") not in response.content.decode()


# --- Create and edit ------------------------------------------------------------------------


def member_form_data(**overrides) -> dict:
    data = {
        "first_name": "Mireille",
        "last_name": "Fontaine",
        "email": "mireille@example.org",
        "phone": "",
        "postal_address": "",
        "preferred_channel": "email",
        "accessibility_notes": "",
        "external_ref": "C-001",
        "contract": "reservation",
    }
    data.update(overrides)
    return data


def test_create_a_member_with_a_profile_and_a_reservation(coop, admin, users):
    programme = make_programme(coop, name="Les Cèdres")
    url = reverse("members_staff:member-create", kwargs={"coop_slug": coop.slug})
    response = admin.post(
        url,
        member_form_data(
            needs_large_print="on",
            profile="accedant",
            profile_start="2026-01-05",
            programme=str(programme.public_id),
            signed_on="2026-01-10",
            lot_number="A3",
        ),
    )
    with scopes_disabled():
        member = Member.objects.get(coop=coop, external_ref="C-001")
        assert response.status_code == 302 and response["Location"] == member_url(coop, member)
        assert member.needs_large_print and member.email == "mireille@example.org"
        assert MemberProfile.objects.get(member=member).kind == "accedant"
        reservation = Reservation.objects.get(member=member)
        assert (reservation.programme, reservation.lot_number) == (programme, "A3")
        event = AuditEvent.objects.get(action="members.created")
        assert event.actor == users["admin"] and event.data["member"] == str(member.public_id)


def test_a_bad_email_shows_the_error_summary_and_creates_nothing(coop, admin):
    url = reverse("members_staff:member-create", kwargs={"coop_slug": coop.slug})
    response = admin.post(url, member_form_data(email="pas-une-adresse"))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    html = response.content.decode()
    assert 'class="error-summary"' in html and 'href="#id_email"' in html
    with scopes_disabled():
        assert not Member.objects.exists()


def test_a_profile_without_its_date_is_refused(coop, admin):
    url = reverse("members_staff:member-create", kwargs={"coop_slug": coop.slug})
    response = admin.post(url, member_form_data(profile="locataire", profile_start=""))
    assert "profile_start" in response.context["form"].errors
    with scopes_disabled():
        assert not Member.objects.exists()


def test_a_duplicate_reference_is_refused_on_create(coop, admin):
    make_member(coop, external_ref="C-001", last_name="Premier")
    url = reverse("members_staff:member-create", kwargs={"coop_slug": coop.slug})
    response = admin.post(url, member_form_data(external_ref="C-001"))
    assert response.status_code == 200
    errors = response.context["form"].errors["external_ref"]
    assert "C-001" in errors[0]
    assert 'href="#id_external_ref"' in response.content.decode()
    with scopes_disabled():
        assert Member.objects.filter(coop=coop).count() == 1


def test_the_same_reference_in_another_coop_is_fine(coop, other_coop, admin):
    make_member(other_coop, external_ref="C-001")
    url = reverse("members_staff:member-create", kwargs={"coop_slug": coop.slug})
    assert admin.post(url, member_form_data()).status_code == 302


def test_edit_a_member(coop, admin, users):
    member = make_member(coop, preferred_channel="post")
    response = admin.post(
        member_url(coop, member, "member-edit"),
        member_form_data(
            first_name=member.first_name,
            last_name=member.last_name,
            email="NOUVELLE@example.org",
            phone=member.phone,
            postal_address=member.postal_address,
            accessibility_notes=member.accessibility_notes,
            external_ref=member.external_ref,
            preferred_channel="email",
        ),
    )
    assert response.status_code == 302
    with scopes_disabled():
        member.refresh_from_db()
        assert (member.email, member.preferred_channel) == ("nouvelle@example.org", "email")
        event = AuditEvent.objects.get(action="members.updated")
        assert set(event.data["fields"]) == {"email", "preferred_channel"}
        assert event.actor == users["admin"]


def test_edit_errors_change_nothing(coop, admin):
    """Bad email, or a reference another member has: the stored member is untouched."""
    make_member(coop, external_ref="TAKEN")
    member = make_member(coop, first_name="Avant")
    base = {
        "first_name": "Après",
        "last_name": member.last_name,
        "external_ref": member.external_ref,
        "preferred_channel": "post",
    }
    bad_email = admin.post(member_url(coop, member, "member-edit"), {**base, "email": "x@"})
    assert "email" in bad_email.context["form"].errors
    taken = admin.post(
        member_url(coop, member, "member-edit"),
        {**base, "email": member.email, "external_ref": "TAKEN"},
    )
    assert taken.status_code == 200 and "external_ref" in taken.context["form"].errors
    # The page still names the member as stored, not as typed.
    assert taken.context["member"].first_name == "Avant"
    with scopes_disabled():
        member.refresh_from_db()
        assert (member.first_name, member.external_ref) != ("Après", "TAKEN")
        assert member.first_name == "Avant"
        assert not AuditEvent.objects.filter(action="members.updated").exists()


def test_the_edit_form_shows_the_stored_values(coop, admin):
    member = make_member(coop, first_name="Odile", needs_digital_help=True)
    form = admin.get(member_url(coop, member, "member-edit")).context["form"]
    assert form["first_name"].value() == "Odile" and form["needs_digital_help"].value() is True


# --- Consents recorded by staff -------------------------------------------------------------


def test_a_consent_given_on_paper_shows_on_the_member_page(coop, admin, users):
    member = make_member(coop)
    response = admin.post(
        member_url(coop, member, "member-consent"),
        {
            "consent-purpose": "bulletin",
            "consent-granted": "yes",
            "consent-source": "paper",
            "consent-note": "Bulletin signé à l'agence",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        record = ConsentRecord.objects.get(member=member)
    assert (record.purpose, record.granted, record.source) == ("bulletin", True, "paper")
    assert record.recorded_by == users["admin"]
    page = admin.get(member_url(coop, member))
    consents = dict(page.context["consents"])
    assert any(r is not None and r.pk == record.pk for r in consents.values())
    assert "Bulletin signé à l&#x27;agence" in page.content.decode()
    assert "members.consent" in [e.kind for e in page.context["timeline"]]


def test_staff_cannot_record_a_web_or_import_consent(coop, admin):
    """Only paper and phone are staff sources: anything else is refused, nothing recorded."""
    member = make_member(coop)
    for source in ("web_form", "import", "unsubscribe"):
        response = admin.post(
            member_url(coop, member, "member-consent"),
            {"consent-purpose": "bulletin", "consent-granted": "yes", "consent-source": source},
        )
        assert response.status_code == 200
        assert "source" in response.context["form"].errors
    with scopes_disabled():
        assert not ConsentRecord.objects.filter(member=member).exists()


def test_a_withdrawal_by_phone_replaces_the_answer_in_force(coop, admin):
    member = make_member(coop)
    url = member_url(coop, member, "member-consent")
    for granted in ("yes", "no"):
        admin.post(
            url,
            {"consent-purpose": "sessions", "consent-granted": granted, "consent-source": "phone"},
        )
    consents = dict(admin.get(member_url(coop, member)).context["consents"])
    in_force = [r for r in consents.values() if r is not None]
    assert len(in_force) == 1 and in_force[0].granted is False
