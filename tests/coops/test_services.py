import pytest
from django_scopes import scopes_disabled

from coopculture.coops import services
from coopculture.coops.errors import CoopError
from coopculture.coops.models import AuditEvent, Coop, Invitation, Membership, Role
from coopculture.coops.scoping import coop_scope, ensure_same_coop
from tests.conftest import add_member, make_user

pytestmark = pytest.mark.django_db


def test_coop_scope_refuses_none():
    """django-scopes reads scope(coop=None) as "every coop": our helper refuses it."""
    with pytest.raises(ValueError), coop_scope(None):
        pass


def test_coop_owned_queries_fail_outside_a_scope(coop):
    from django_scopes import ScopeError

    with pytest.raises(ScopeError):
        list(Membership.objects.all())


def test_a_scope_shows_only_its_coops_rows(coop, other_coop, users):
    with coop_scope(coop):
        assert {m.user.email for m in Membership.objects.all()} == {
            "admin@coop-a.example.org",
            "editor@coop-a.example.org",
            "animateur@coop-a.example.org",
        }


def test_ensure_same_coop_refuses_another_coops_row(coop, other_coop, users):
    with scopes_disabled():
        foreign = Membership.objects.get(user=users["other_admin"])
    with pytest.raises(ValueError):
        ensure_same_coop(coop, foreign)


def test_the_last_administrator_cannot_leave_or_be_demoted(coop, users):
    with coop_scope(coop):
        admin = Membership.objects.get(user=users["admin"])
        with pytest.raises(CoopError):
            services.membership_remove(coop=coop, actor=users["admin"], membership=admin)
        with pytest.raises(CoopError):
            services.membership_change_role(
                coop=coop, actor=users["admin"], membership=admin, role=Role.EDITOR
            )
        assert Membership.objects.get(user=users["admin"]).role == Role.ADMIN


def test_with_two_administrators_one_may_step_down(coop, users):
    add_member(coop, make_user("second@coop-a.example.org"), Role.ADMIN)
    with coop_scope(coop):
        admin = Membership.objects.get(user=users["admin"])
        services.membership_change_role(
            coop=coop, actor=users["admin"], membership=admin, role=Role.EDITOR
        )
        assert Membership.objects.get(user=users["admin"]).role == Role.EDITOR
        assert AuditEvent.objects.filter(action="team.role_changed").count() == 1


def test_inviting_someone_already_in_the_team_is_refused(coop, users, mailoutbox):
    with coop_scope(coop), pytest.raises(CoopError):
        services.invitation_create(
            coop=coop, actor=users["admin"], email="EDITOR@coop-a.example.org", role=Role.ADMIN
        )
    with coop_scope(coop):
        assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_a_new_invitation_replaces_the_pending_one(
    coop, users, mailoutbox, django_capture_on_commit_callbacks
):
    with coop_scope(coop), django_capture_on_commit_callbacks(execute=True):
        first = services.invitation_create(
            coop=coop, actor=users["admin"], email="new@example.org", role=Role.EDITOR
        )
        second = services.invitation_create(
            coop=coop, actor=users["admin"], email="new@example.org", role=Role.ANIMATEUR
        )
        first.refresh_from_db()
        assert first.revoked_at is not None
        assert second.is_pending
    # The first invitation's email task finds it cancelled and sends nothing.
    [message] = mailoutbox
    assert "Animat" in message.body


def test_invitation_email_has_a_french_plain_text_part_and_the_link(
    coop, users, mailoutbox, django_capture_on_commit_callbacks
):
    with coop_scope(coop), django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            coop=coop, actor=users["admin"], email="new@example.org", role=Role.EDITOR
        )
    [message] = mailoutbox
    assert message.body.startswith("Bonjour")
    assert "/invitation/" in message.body
    assert coop.name in message.subject
    assert message.alternatives[0].mimetype == "text/html"


def test_coop_creation_validates_activities_and_invites_the_first_admin(
    users, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(CoopError):
        services.coop_create(
            actor=users["federation"],
            name="Coop X",
            slug="coop-x",
            legal_form="scic",
            activities=["piscine"],
        )
    assert not Coop.objects.filter(slug="coop-x").exists()
    with django_capture_on_commit_callbacks(execute=True):
        coop = services.coop_create(
            actor=users["federation"],
            name="Coop X",
            slug="coop-x",
            legal_form="scic",
            activities=["syndic", "psla"],
            first_admin_email="boss@coop-x.example.org",
        )
    assert coop.activities == ["psla", "syndic"]  # canonical order
    assert [m.to for m in mailoutbox] == [["boss@coop-x.example.org"]]
