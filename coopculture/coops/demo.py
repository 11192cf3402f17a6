"""The demo federation of DOMAIN.md §7.1: fictional coops, people and places."""

import io

from allauth.account.models import EmailAddress
from PIL import Image, ImageDraw, ImageFont

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction

from coopculture.coops.models import Coop, Membership, Role
from coopculture.coops.scoping import coop_scope

DEMO_PASSWORD = "culture-coop-demo"  # noqa: S105 (demo mode only, printed for the visitor)
# Coop administrators and the federation sign in with a TOTP code too (accounts.middleware):
# in the demo they all share this known secret (base32). Add it to an authenticator app, or
# print the current code with `manage.py demo_totp` (both demo mode only, see README).
DEMO_TOTP_SECRET = "CULTURECOOPDEMOTOTPSECRET234567A"  # noqa: S105 (demo mode only)

COOPS = [
    {
        "slug": "coop-horizon",
        "name": "Coop'Horizon Accession",
        "legal_form": "scp",
        "activities": ["accession_vefa", "psla", "brs_ofs"],
        "main_colour": "#0f5f7a",
        "contact_email": "contact@coop-horizon.example.org",
        "contact_phone": "01 99 00 12 34",
        "postal_address": "12 quai des Salines\n99100 Port-Salicorne (commune fictive)",
        "website": "https://coop-horizon.example.org",
        "initials": "CH",
    },
    {
        "slug": "habitat-coteaux",
        "name": "Habitat Solidaire des Coteaux",
        "legal_form": "scic",
        "activities": ["accession_vefa", "psla", "syndic"],
        "main_colour": "#7a3e9d",
        "contact_email": "vie-cooperative@habitat-coteaux.example.org",
        "contact_phone": "01 99 00 56 78",
        "postal_address": "3 rue du Moulin\n99200 Les Coteaux-de-Brume (commune fictive)",
        "website": "https://habitat-coteaux.example.org",
        "tracks_ag_email_consent": True,
        "initials": "HC",
    },
    {
        "slug": "val-dorme",
        "name": "Val d'Orme Coop'Habitat",
        "legal_form": "scic",
        "activities": [
            "gestion_locative",
            "accession_vefa",
            "psla",
            "brs_ofs",
            "syndic",
            "habitat_participatif",
        ],
        # Deliberately too light for white text: pages use a darker shade.
        "main_colour": "#5cb85c",
        "tracks_ag_email_consent": True,
        "contact_email": "accueil@val-dorme.example.org",
        "contact_phone": "01 99 00 90 12",
        "postal_address": (
            "Agence centre, 8 place des Tisserands\n99300 Vald'Orme-sur-Lys (commune fictive)"
        ),
        "website": "https://val-dorme.example.org",
        "initials": "VO",
    },
]

FEDERATION_USER = ("federation@example.org", "Équipe fédérale (fictive)")
MEMBER_EMAIL = "membre@example.org"
STAFF = [
    ("admin", Role.ADMIN, "Administratrice"),
    ("editeur", Role.EDITOR, "Éditeur"),
    ("animateur", Role.ANIMATEUR, "Animatrice"),
]


def make_logo(initials: str, colour: str) -> bytes:
    """A square PNG logo: the coop's initials, white on its colour."""
    from coopculture.coops.branding import readable_colour

    size = 256
    image = Image.new("RGB", (size, size), readable_colour(colour))
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 110)
    except OSError:
        font = ImageFont.load_default(size=110)
    draw.rounded_rectangle((16, 16, size - 16, size - 16), radius=28, outline="white", width=8)
    draw.text((size / 2, size / 2), initials, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _set_demo_totp(user) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)


def _user(
    email: str,
    full_name: str,
    *,
    password: str | None,
    federation: bool = False,
    totp: bool = False,
):
    user_model = get_user_model()
    user, _created = user_model.objects.get_or_create(email=email)
    user.full_name = full_name
    user.is_federation_staff = federation
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"primary": True, "verified": True}
    )
    if totp:
        _set_demo_totp(user)
    return user


@transaction.atomic
def load_demo() -> list[tuple[str, str]]:
    """Create or refresh the demo data; returns (login, what it is) pairs to show."""
    logins = []
    _user(*FEDERATION_USER, password=DEMO_PASSWORD, federation=True, totp=True)
    logins.append((FEDERATION_USER[0], "équipe de la fédération (mot de passe + code TOTP)"))
    _user(MEMBER_EMAIL, "Léa Moreau (fictive)", password=None)
    logins.append((MEMBER_EMAIL, "coopératrice, connexion par code (affiché dans ce terminal)"))

    for spec in COOPS:
        fields = {k: v for k, v in spec.items() if k not in {"slug", "initials"}}
        coop, _created = Coop.objects.update_or_create(slug=spec["slug"], defaults=fields)
        if not coop.logo:
            coop.logo.save(
                f"{spec['slug']}.png",
                ContentFile(make_logo(spec["initials"], spec["main_colour"])),
                save=True,
            )
        with coop_scope(coop):
            for prefix, role, label in STAFF:
                email = f"{prefix}@{spec['slug']}.example.org"
                user = _user(
                    email,
                    f"{label} {spec['initials']} (fictif)",
                    password=DEMO_PASSWORD,
                    totp=role == Role.ADMIN,
                )
                Membership.objects.update_or_create(coop=coop, user=user, defaults={"role": role})
                suffix = " (mot de passe + code TOTP)" if role == Role.ADMIN else ""
                logins.append((email, f"{role.label} – {coop.name}{suffix}"))
    return logins
