"""The one way the platform renders and sends an email: a subject, a plain-text part
and an optional HTML part, from templates, through a named mailer (Django 6.1 MAILERS).

Every email the platform sends (sign-in codes, invitations, campaigns) is a PlatformEmail:
it carries the headers of platform_headers(), its language first. Campaigns assemble
their bytes themselves (campaigns.rendering.PreparedVersion.email) and take the same
headers from here."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation


def platform_headers() -> dict[str, str]:
    """The headers of every email of the platform: the language it is written in (the
    platform speaks French; screen readers and translation tools read it)."""
    return {"Content-Language": settings.LANGUAGE_CODE}


class PlatformEmail(EmailMultiAlternatives):
    """An email of the platform: Django's, with platform_headers() (a header given by the
    caller wins)."""

    def __init__(self, *args, headers=None, **kwargs):
        super().__init__(*args, headers={**platform_headers(), **(headers or {})}, **kwargs)


def render_email(
    template_prefix: str, *, to: list[str], context: dict, from_email: str | None = None
) -> PlatformEmail:
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
        text = render_to_string(f"{template_prefix}_message.txt", context).strip() + "\n"
        try:
            html = render_to_string(f"{template_prefix}_message.html", context)
        except TemplateDoesNotExist:
            html = None
    message = PlatformEmail(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def send_transactional_email(template_prefix: str, *, to: list[str], context: dict) -> None:
    """Account and team mail (codes, invitations): its own mailer and sender address."""
    message = render_email(template_prefix, to=to, context=context)
    message.send(using=settings.TRANSACTIONAL_MAILER)
