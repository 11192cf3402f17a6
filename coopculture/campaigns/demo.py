"""Demo data of the campaigns app (c2), for the three fictional coops of DOMAIN.md §7.1:
automations on with their texts, the monthly bulletin with a news item, one past campaign
with its figures and one awaiting approval. Idempotent: a second load changes nothing.

The past campaign is recorded as sent (ledger rows marked sent, a few clicks) without
mailing anyone: the demo must never send real mail at load time.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from coopculture.campaigns import automations, bulletin, letters, segments, services
from coopculture.campaigns.models import (
    AutomationKind,
    BulletinNews,
    Message,
    Recipient,
    RecipientState,
    Send,
    SendKind,
    SendStatus,
)
from coopculture.coops.models import Coop
from coopculture.coops.scoping import coop_scope
from coopculture.members.models import Member, Purpose

NBSP = "\u00a0"

# slug -> (days from today to the coop's general assembly, bulletin day, news, campaigns)
DEMO = {
    "coop-horizon": {
        "ag_in_days": 75,
        "bulletin_day": 5,
        "news": (
            "Visite de chantier des Embruns",
            "Les futurs habitants de la Résidence Les Embruns sont invités à visiter le "
            "chantier un samedi matin du mois prochain. Nous tiendrons un stand Culture "
            "Coop' avec les flyers du parcours, et Camille Durand-Lemoine, notre référente "
            "Vie coopérative, répondra à vos questions.",
        ),
        "past": {
            "name": "Votre chantier en images",
            "subject": "Votre chantier en images — et 3 minutes pour comprendre les appels "
            "de fonds",
            "body": "Bonjour {first_name},\n\nLe gros œuvre de la Résidence Les Embruns "
            "avance : le deuxième étage est coulé. Vous recevrez bientôt l'appel de fonds "
            "« hors d'eau », qui suit l'avancement des travaux et non le calendrier.\n\n"
            "Léa et Karim, accédants comme vous, racontent comment ils ont vécu cette "
            "attente, jusqu'au jour des clés.\n\nL'équipe de Coop'Horizon Accession",
            "blocks": [{"type": "testimonial", "module": "du-chantier-aux-cles", "position": 1}],
            "segment": {"stage": "en_chantier"},
        },
        "awaiting": {
            "name": "PSLA, BRS : on vous explique la différence",
            "subject": "PSLA, BRS : on vous explique la différence",
            "body": "Bonjour {first_name},\n\nLe Clos des Salines ouvre ses réservations "
            "en PSLA. Location-accession, bail réel solidaire : deux façons d'acheter moins "
            "cher, avec des règles différentes. La vidéo ci-dessous les compare en 5 minutes."
            "\n\nL'équipe de Coop'Horizon Accession",
            "blocks": [{"type": "video", "module": "devenir-proprietaire", "position": 1}],
            "segment": {"stage": "reservataire"},
        },
    },
    "habitat-coteaux": {
        "ag_in_days": 60,
        "bulletin_day": 10,
        "news": (
            "Jeu de rôle « Ma première AG de copro »",
            "Pour les copropriétaires des Terrasses du Moulin, trois semaines avant la "
            "vraie assemblée : venez vous entraîner à voter le budget et à élire le conseil "
            "syndical, autour d'un café. Le module 5 du parcours est une bonne préparation.",
        ),
        "past": {
            "name": "Première AG de copropriété : venez vous entraîner",
            "subject": "Première AG de copropriété : venez vous entraîner !",
            "body": "Bonjour {first_name},\n\nLa première assemblée générale de "
            "copropriété des Terrasses du Moulin aura lieu dans six semaines. Syndic, "
            "conseil syndical, tantièmes : la vidéo ci-dessous remet ces mots à leur "
            "place.\n\nL'équipe d'Habitat Solidaire des Coteaux",
            "blocks": [
                {"type": "video", "module": "vivre-en-copropriete", "position": 1},
                {"type": "leaflet", "module": "vivre-en-copropriete", "position": 5},
            ],
            "segment": {"stage": "coproprietaire"},
        },
        "awaiting": {
            "name": "L'AG de votre coop approche",
            "subject": "L'AG de votre coop approche : pourquoi votre voix compte",
            "body": "Bonjour {first_name},\n\nDans une coop, chaque associé a une voix, "
            "quel que soit le nombre de ses parts. Marc, administrateur, raconte ce qu'il "
            "défend au conseil d'administration.\n\nL'équipe d'Habitat Solidaire des "
            "Coteaux",
            "blocks": [{"type": "testimonial", "module": "une-voix-pour-chacun", "position": 1}],
            "segment": {},
        },
    },
    "val-dorme": {
        "ag_in_days": 45,
        "bulletin_day": 3,
        "news": (
            "Ateliers MOOC près de chez vous",
            "Un atelier collectif « Ma coop, c'est quoi ? » a lieu le mardi à 14 h à "
            "l'agence du centre, 5 places. Inscription en ligne, par téléphone ou avec le "
            "bulletin papier : pas besoin d'ordinateur.",
        ),
        "past": {
            "name": "Ils ont créé un jardin partagé avec leur coop",
            "subject": "Ils ont créé un jardin partagé avec leur coop",
            "body": "Bonjour {first_name},\n\nÀ l'Îlot des Tisserands, un groupe de "
            "coopérateurs a monté un jardin partagé avec le soutien de la coop. Ils "
            "racontent comment ils s'y sont pris.\n\nL'équipe de Val d'Orme Coop'Habitat",
            "blocks": [
                {"type": "testimonial", "module": "s-impliquer-dans-sa-coop", "position": 1}
            ],
            "segment": {},
        },
        "awaiting": {
            "name": "Charges locatives : comment lire votre régularisation",
            "subject": "Charges locatives : comment lire votre régularisation",
            "body": "Bonjour {first_name},\n\nVous allez recevoir la régularisation annuelle "
            "de vos charges. Où va votre argent, et pourquoi ce montant ? La vidéo "
            "ci-dessous l'explique en 3 minutes.\n\nL'équipe de Val d'Orme Coop'Habitat",
            "blocks": [{"type": "video", "module": "locataire-bien-vivre-chez-soi", "position": 1}],
            "segment": {"profile": "locataire"},
        },
    },
}


def _typo(text: str) -> str:
    """French typography for the demo texts: a no-break space before : ; ? !"""
    for mark in (":", ";", "?", "!"):
        text = text.replace(f" {mark}", f"{NBSP}{mark}")
    return text.replace("« ", f"«{NBSP}").replace(" »", f"{NBSP}»")


def _staff(coop, prefix: str):
    return get_user_model().objects.filter(email=f"{prefix}@{coop.slug}.example.org").first()


def _campaign(coop, spec: dict, *, author) -> Send:
    send = Send.objects.filter(coop=coop, kind=SendKind.CAMPAIGN, name=spec["name"]).first()
    if send is not None:
        return send
    message = Message.objects.create(
        coop=coop,
        kind=SendKind.CAMPAIGN,
        name=spec["name"],
        subject=_typo(spec["subject"]),
        body=_typo(spec["body"]),
        blocks=spec["blocks"],
        updated_by=author,
    )
    return Send.objects.create(
        coop=coop,
        kind=SendKind.CAMPAIGN,
        name=spec["name"],
        message=message,
        purpose=Purpose.COOP_NEWS,
        segment=spec["segment"],
        created_by=author,
    )


FIGURE_FIELDS = [
    "state",
    "sent_at",
    "attempts",
    "click_count",
    "first_clicked_at",
    "unsubscribed_at",
    "last_error",
]


def _record_past_send(coop, send: Send, *, approver, today: dt.date) -> None:
    """Mark a demo campaign as sent 12 days ago, with believable figures; no mail leaves."""
    if send.status == SendStatus.DONE:
        return
    sent_at = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=12), dt.time(9, 30))
    )
    send.version = services.version_freeze(message=send.message, actor=send.created_by)
    send.save(update_fields=["version"])
    members = segments.segment_members(coop=coop, segment=send.segment or {})
    services.ledger_build(coop=coop, send=send, members=members)
    rows = list(
        Recipient.objects.filter(coop=coop, send=send, state=RecipientState.QUEUED).order_by("id")
    )
    for index, row in enumerate(rows):
        row.state = RecipientState.SENT
        row.sent_at = sent_at
        row.attempts = 1
        if index % 3 == 0:  # about a third clicked
            row.click_count = 1 + index % 2
            row.first_clicked_at = sent_at + dt.timedelta(hours=2 + index % 20)
        if index == 4:
            row.unsubscribed_at = sent_at + dt.timedelta(days=1)
    if len(rows) > 10:  # one address refused by its server
        rows[-1].state = RecipientState.BOUNCED
        rows[-1].last_error = "550 5.1.1 Adresse inconnue (démo)"
    Recipient.objects.bulk_update(
        rows,
        FIGURE_FIELDS,
    )
    Recipient.objects.filter(coop=coop, send=send).update(created_at=sent_at)
    Send.objects.filter(pk=send.pk).update(
        status=SendStatus.DONE,
        approved_by=approver,
        approved_at=sent_at - dt.timedelta(hours=20),
        started_at=sent_at,
        finished_at=sent_at + dt.timedelta(minutes=3),
        created_at=sent_at - dt.timedelta(days=1),
    )
    if Recipient.objects.filter(coop=coop, send=send, state=RecipientState.LETTER).exists():
        letters.build_letters(coop=coop, send_id=send.pk)


def _load_coop(coop: Coop, spec: dict, today: dt.date) -> None:
    admin = _staff(coop, "admin")
    editor = _staff(coop, "editeur")
    settings_by_kind = automations.ensure_settings(coop=coop)
    for kind, setting in settings_by_kind.items():
        if setting.enabled:
            continue
        setting.enabled = True
        setting.updated_by = admin
        if kind == AutomationKind.AG_REMINDER:
            setting.event_date = today + dt.timedelta(days=spec["ag_in_days"])
            setting.days_before = 30
        setting.save()
    bulletin_row = bulletin.ensure_settings(coop=coop)
    if not bulletin_row.enabled:
        bulletin_row.enabled = True
        bulletin_row.day_of_month = spec["bulletin_day"]
        bulletin_row.save(update_fields=["enabled", "day_of_month"])
    month = bulletin.next_bulletin_month(coop=coop, settings_row=bulletin_row, today=today)
    title, body = spec["news"]
    BulletinNews.objects.get_or_create(
        coop=coop,
        month=month,
        defaults={"title": _typo(title), "body": _typo(body), "updated_by": editor},
    )
    past = _campaign(coop, spec["past"], author=editor)
    _record_past_send(coop, past, approver=admin, today=today)
    awaiting = _campaign(coop, spec["awaiting"], author=editor)
    if awaiting.status == SendStatus.DRAFT:
        services.campaign_submit(coop=coop, send=awaiting, actor=editor)


@transaction.atomic
def load_demo_campaigns(stdout=None, today: dt.date | None = None) -> None:
    today = today or timezone.localdate()
    for slug, spec in DEMO.items():
        coop = Coop.objects.filter(slug=slug).first()
        if coop is None:
            continue
        with coop_scope(coop):
            if not Member.objects.filter(coop=coop).exists():
                continue
            _load_coop(coop, spec, today)
    if stdout is not None:
        stdout.write(
            "Envois de démonstration : envois automatiques et bulletin activés, une "
            "campagne passée avec ses chiffres et une en attente d'approbation par coop."
        )
