from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from coopculture.accounts import selectors
from coopculture.core.mail import platform_headers


class AccountAdapter(DefaultAccountAdapter):
    """allauth, the Culture Coop' way.

    - Nobody signs up through a public form: members get an account by asking for a
      sign-in code (which proves they own the address), staff by invitation.
    - Team accounts sign in with their password: a code request for their address gets an
      email saying so, and a code sign-in is refused for them.
    - Account mail is transactional: it goes through its own mailer and sender.
    """

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        from allauth.core import context as allauth_context

        from coopculture.accounts.forms import STAFF_CODE_REFUSED

        request = allauth_context.request
        if (
            template_prefix == "account/email/unknown_account"
            and getattr(request, STAFF_CODE_REFUSED, None) == (email or "").lower()
        ):
            # allauth sends its "no account" mail when no code is sent: for a team
            # account, tell the owner how to sign in instead (the page says the same
            # whatever the address, so nothing is revealed to whoever asked).
            template_prefix = "accounts/email/staff_code_refused"
        ctx = {"request": request, "email": email, "site_name": "Culture Coop'"}
        ctx.update(context)
        ctx.setdefault("site_url", settings.SITE_URL.rstrip("/"))
        message = self.render_mail(template_prefix, email, ctx, headers=platform_headers())
        message.send(using=settings.TRANSACTIONAL_MAILER)

    def pre_login(self, request, user, **kwargs):
        """A code sign-in never opens a team account (a code sent before the person got a
        role, typed after, included)."""
        methods = [r.get("method") for r in _records(request, user)]
        if (
            methods
            and methods[-1] == "code"
            and "password" not in methods
            and selectors.required_assurance(user) != selectors.MEMBER
        ):
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            messages.error(
                request,
                _(
                    "Team accounts sign in with their email address and their password, "
                    "not with an emailed code. Please sign in with your password."
                ),
            )
            return redirect("account_login")
        return super().pre_login(request, user, **kwargs)


def _records(request, user) -> list[dict]:
    from allauth.account.authentication import get_authentication_records

    return get_authentication_records(request, user)


class MFAAdapter(DefaultMFAAdapter):
    """Coop administrators and the federation must keep TOTP: they cannot turn it off."""

    def can_delete_authenticator(self, authenticator) -> bool:
        if (
            authenticator.type in (authenticator.Type.TOTP, authenticator.Type.RECOVERY_CODES)
            and selectors.required_assurance(authenticator.user) == selectors.TOTP
        ):
            return False
        return super().can_delete_authenticator(authenticator)
