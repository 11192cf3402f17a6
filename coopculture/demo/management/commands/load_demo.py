from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from coopculture.coops.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from coopculture.coops.demo import load_demo as load_demo_coops


class Command(BaseCommand):
    help = "Load (or refresh) the fictional demo federation. Demo mode only (DJANGO_DEMO=1)."

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError(
                "load_demo creates accounts with a known password: run it only with DJANGO_DEMO=1."
            )
        logins = load_demo_coops()
        for step in DEMO_STEPS:
            step(self.stdout)
        self.stdout.write(self.style.SUCCESS("Démo chargée (données fictives)."))
        self.stdout.write(f"Mot de passe de tous les comptes de démonstration : {DEMO_PASSWORD}")
        self.stdout.write(
            "Administrateurs et fédération : code TOTP en plus, donné par "
            "`manage.py demo_totp` (ou une application d'authentification avec le secret "
            f"{DEMO_TOTP_SECRET})."
        )
        for email, what in logins:
            self.stdout.write(f"  {email:<40} {what}")


def _load_members(stdout) -> None:
    from coopculture.members.demo import load_demo_members

    load_demo_members(stdout)


def _load_learning(stdout) -> None:
    from coopculture.learning.demo import load_demo_content

    load_demo_content(stdout)


def _load_kit_texts(stdout) -> None:
    from coopculture.kit.demo_print import load_demo_kit_texts

    load_demo_kit_texts(stdout)


# Each app's demo data, in dependency order (later issues append theirs).
DEMO_STEPS = [_load_members, _load_learning]
DEMO_STEPS.append(_load_kit_texts)


def _load_kit_links(stdout) -> None:
    from coopculture.kit.links_demo import load_demo_links

    load_demo_links(stdout)


DEMO_STEPS.append(_load_kit_links)


def _load_campaigns(stdout) -> None:
    from coopculture.campaigns.demo import load_demo_campaigns

    load_demo_campaigns(stdout)


DEMO_STEPS.append(_load_campaigns)
