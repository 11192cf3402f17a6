import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from coopculture.coops.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = (
        "Print the current TOTP code of the demo administrators and federation team "
        "(their shared, known demo secret). Demo mode only (DJANGO_DEMO=1)."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("demo_totp prints codes of a known secret: demo mode only.")
        period = mfa_settings.TOTP_PERIOD
        now = time.time()
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(now) // period))
        left = period - int(now) % period
        self.stdout.write(f"Code TOTP de démonstration : {code} (valable encore {left} s)")
        self.stdout.write(
            f"Secret à ajouter dans une application d'authentification : {DEMO_TOTP_SECRET}"
        )
