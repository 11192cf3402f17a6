"""Account services: the member account a code request creates, and its purge by the tick."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django_scopes import scopes_disabled

from django.utils import timezone

from coopculture.accounts.models import User
from coopculture.accounts.services import (
    UNCONFIRMED_ACCOUNT_LIFETIME,
    user_get_or_create_member,
    user_purge_unconfirmed,
)
from coopculture.coops.models import Coop, Membership, Role

pytestmark = pytest.mark.django_db

A_DAY_LATER = UNCONFIRMED_ACCOUNT_LIFETIME + timedelta(minutes=1)


def _coop() -> Coop:
    with scopes_disabled():
        return Coop.objects.create(
            slug="coop-a",
            name="Coop A",
            legal_form="scp",
            activities=["accession_vefa"],
            contact_email="contact@coop-a.example.org",
        )


def _exists(user: User) -> bool:
    return User.objects.filter(pk=user.pk).exists()


# --- user_get_or_create_member ----------------------------------------------------------


def test_a_code_request_creates_a_member_account_without_password():
    """The first code request for an address creates an account with no usable password,
    no role, never signed in, and an unverified primary address."""
    user = user_get_or_create_member(email="Nouvelle.Adherente@Example.org ")

    assert user.email == "nouvelle.adherente@example.org"
    assert not user.has_usable_password()
    assert user.last_login is None
    assert not user.is_federation_staff and not user.is_staff and not user.is_superuser
    address = EmailAddress.objects.get(user=user)
    assert address.email == "nouvelle.adherente@example.org"
    assert address.primary is True
    assert address.verified is False


def test_a_second_code_request_reuses_the_account_whatever_the_case():
    """Asking again (in any letter case) returns the same account, never a second one."""
    first = user_get_or_create_member(email="adherent@example.org")
    again = user_get_or_create_member(email="ADHERENT@example.org")

    assert again.pk == first.pk
    assert User.objects.filter(email__iexact="adherent@example.org").count() == 1
    assert EmailAddress.objects.filter(email__iexact="adherent@example.org").count() == 1


def test_an_existing_staff_account_is_returned_untouched():
    """A code request for a staff address returns that account; its password stays."""
    staff = User.objects.create_user(email="staff@coop-a.example.org", password="x" * 12)

    user = user_get_or_create_member(email="staff@coop-a.example.org")

    assert user.pk == staff.pk
    user.refresh_from_db()
    assert user.has_usable_password()


# --- user_purge_unconfirmed --------------------------------------------------------------


def test_an_unconfirmed_account_is_purged_after_a_day():
    """An account created by a code request and never confirmed is deleted after a day,
    with its email address."""
    user = user_get_or_create_member(email="jamais.venu@example.org")

    user_purge_unconfirmed(now=timezone.now() + A_DAY_LATER)

    assert not _exists(user)
    assert not EmailAddress.objects.filter(email="jamais.venu@example.org").exists()


def test_an_unconfirmed_account_is_kept_during_its_first_day():
    """The member has a day to type the code: a younger account is kept."""
    user = user_get_or_create_member(email="en.chemin@example.org")

    deleted = user_purge_unconfirmed(now=timezone.now() + timedelta(hours=23))

    assert deleted == 0
    assert _exists(user)


def test_a_confirmed_account_is_kept():
    """Once the member has signed in with the code (last_login set), the account stays."""
    user = user_get_or_create_member(email="confirme@example.org")
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])

    user_purge_unconfirmed(now=timezone.now() + A_DAY_LATER)

    assert _exists(user)


def test_an_account_with_a_membership_is_kept():
    """An account with a role in a coop is staff: never purged, even if never signed in."""
    user = user_get_or_create_member(email="invite@coop-a.example.org")
    with scopes_disabled():
        Membership.objects.create(coop=_coop(), user=user, role=Role.EDITOR)

    user_purge_unconfirmed(now=timezone.now() + A_DAY_LATER)

    assert _exists(user)


def test_an_account_with_a_usable_password_is_kept():
    """An account with a password was not created by a code request: it is kept."""
    user = User.objects.create_user(email="avec.mot.de.passe@example.org", password="x" * 12)

    user_purge_unconfirmed(now=timezone.now() + A_DAY_LATER)

    assert _exists(user)


def test_a_federation_account_is_kept():
    """The federation team is never purged, even without a password nor a sign-in."""
    user = User.objects.create_user(email="federation@example.org", is_federation_staff=True)

    user_purge_unconfirmed(now=timezone.now() + A_DAY_LATER)

    assert _exists(user)


def test_the_purge_reports_the_number_of_accounts_deleted():
    """The purge returns how many accounts it deleted (what the tick logs), not the number
    of rows deleted with them (their email addresses...)."""
    user_get_or_create_member(email="un@example.org")
    user_get_or_create_member(email="deux@example.org")

    deleted = user_purge_unconfirmed(now=timezone.now() + A_DAY_LATER)

    assert User.objects.count() == 0
    assert deleted == 2


def test_the_tick_purges_stale_accounts(settings):
    """The hourly tick job enqueues the purge task, which deletes stale accounts only."""
    from coopculture.core.ticks import run_due_jobs

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    stale = user_get_or_create_member(email="ancien@example.org")
    User.objects.filter(pk=stale.pk).update(date_joined=timezone.now() - timedelta(days=2))
    fresh = user_get_or_create_member(email="recent@example.org")

    ran = run_due_jobs()

    assert "accounts.purge_unconfirmed_accounts" in ran
    assert not _exists(stale)
    assert _exists(fresh)
