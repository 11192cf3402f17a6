from allauth.account.adapter import DefaultAccountAdapter

from django.conf import settings

from coopculture.core.mail import platform_headers


class AccountAdapter(DefaultAccountAdapter):
    """allauth, the Culture Coop' way.

    - Nobody signs up through a public form: members get an account by asking for a
      sign-in code (which proves they own the address), staff by invitation.
    - Account mail is transactional: it goes through its own mailer and sender.
    """

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        from allauth.core import context as allauth_context

        request = allauth_context.request
        ctx = {"request": request, "email": email, "site_name": "Culture Coop'"}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx, headers=platform_headers())
        message.send(using=settings.TRANSACTIONAL_MAILER)
