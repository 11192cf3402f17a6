"""Life-cycle automations (c2): welcome on reservation, delivery postponed, delivered (now
co-owner), the yearly general assembly reminder. Each is turned on or off by the coop,
with a text it edits (AutomationSetting + Message, created with the default texts below).

Events are found by a tick job every 5 minutes (registered in campaigns/apps.py): the job
only enqueues one task per coop; the task looks at the database for events that have no
AutomationOccurrence yet, so running it twice sends nothing twice. The occurrence rows
(unique per member, kind and event) are written in the same transaction as the send: a
member gets each automation at most once per event, even with two workers racing (the
loser's transaction fails on the unique constraint and is rolled back).

Event keys:   welcome             "reservation:<reservation id>"
              delivery_postponed  "delivery:<programme id>:<change id>"
              delivered           "coownership:<programme id>"
              ag_reminder         "ag:<year>"
"""

import datetime as dt
import logging
import uuid

from django_scopes import scopes_disabled

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.tasks import task
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from coopculture.campaigns import approvals, services
from coopculture.campaigns.models import (
    AutomationKind,
    AutomationOccurrence,
    AutomationSetting,
    Message,
    Recipient,
    RecipientState,
    Send,
    SendKind,
    SendStatus,
)
from coopculture.coops.tasks import coop_task
from coopculture.members.models import (
    ContractKind,
    DeliveryDateChange,
    Member,
    Programme,
    ProgrammeKind,
    Purpose,
    Reservation,
)

logger = logging.getLogger(__name__)

# How far back an event still triggers its message (a coop turning an automation on does
# not mail every buyer of the last ten years).
WELCOME_WINDOW = dt.timedelta(days=14)
DELIVERY_CHANGE_WINDOW = dt.timedelta(days=30)
DELIVERED_WINDOW = dt.timedelta(days=30)

NBSP = "\u00a0"

DESCRIPTIONS = {
    AutomationKind.WELCOME: _(
        "Sent once to each member whose reservation was signed in the last 14 days: a "
        "welcome, one MOOC video and the welcome booklet."
    ),
    AutomationKind.DELIVERY_POSTPONED: _(
        "Sent to the buyers of a programme when its expected delivery date moves later "
        "(Programmes page): the new date and the reason you gave."
    ),
    AutomationKind.DELIVERED: _(
        "Sent to the buyers of a programme once its delivery date is reached: they are now "
        "co-owners. With the co-ownership module and its leaflet."
    ),
    AutomationKind.AG_REMINDER: _(
        "Sent once a year to every member, the chosen number of days before your general "
        "assembly. It is a reminder, not the legal notice."
    ),
}

# Words staff may use in each text, replaced for each event.
PLACEHOLDERS = {
    AutomationKind.WELCOME: ("{first_name}", "{coop}", "{programme}"),
    AutomationKind.DELIVERY_POSTPONED: (
        "{first_name}",
        "{coop}",
        "{programme}",
        "{previous_date}",
        "{new_date}",
        "{reason}",
    ),
    AutomationKind.DELIVERED: ("{first_name}", "{coop}", "{programme}"),
    AutomationKind.AG_REMINDER: ("{first_name}", "{coop}", "{ag_date}"),
}

# The default texts (French: the platform's language; "vous", plain words). {first_name}
# stays for the mail pipeline; the other placeholders are filled per event.
DEFAULT_TEXTS = {
    AutomationKind.WELCOME: {
        "name": "Bienvenue après la réservation",
        "subject": "Bienvenue chez vous… et dans votre coop !",
        "preheader": "Vous êtes désormais coopérateur ou coopératrice : 3 minutes pour "
        "tout comprendre.",
        "body": (
            "Bonjour {first_name},\n\n"
            "Vous venez de réserver votre logement avec {coop}. Toute l'équipe vous "
            "souhaite la bienvenue !\n\n"
            "En achetant avec une coopérative Hlm, vous ne devenez pas seulement "
            "propriétaire. Vous devenez aussi coopérateur ou coopératrice de la coop, "
            "avec une voix comme chacun à son assemblée générale.\n\n"
            "Pour commencer, une courte vidéo explique en 3 minutes ce que la coop change "
            "pour vous. Votre livret d'accueil, juste en dessous, rassemble le reste : "
            "les étapes de votre achat et les personnes à contacter.\n\n"
            "Un rappel utile : la loi vous laisse 10 jours pour changer d'avis après la "
            "réception de votre contrat de réservation.\n\n"
            "Une question ? Répondez simplement à ce message : il arrive chez nous.\n\n"
            "À bientôt,\n"
            "L'équipe {coop}"
        ),
        # The letter to members who prefer the post: a letter's words (no "reply to this
        # message", no "just below": the code to scan is at the bottom of the page).
        "letter_body": (
            "Bonjour {first_name},\n\n"
            "Vous venez de réserver votre logement avec {coop}. Toute l'équipe vous "
            "souhaite la bienvenue !\n\n"
            "En achetant avec une coopérative Hlm, vous ne devenez pas seulement "
            "propriétaire. Vous devenez aussi coopérateur ou coopératrice de la coop, "
            "avec une voix comme chacun à son assemblée générale.\n\n"
            "Pour commencer, une courte vidéo explique en 3 minutes ce que la coop change "
            "pour vous : le code carré en bas de cette lettre l'ouvre sur votre téléphone. "
            "Votre livret d'accueil rassemble le reste : les étapes de votre achat et les "
            "personnes à contacter. Vous ne l'avez pas reçu ? Demandez-le-nous : nous vous "
            "l'envoyons par la poste.\n\n"
            "Un rappel utile : la loi vous laisse 10 jours pour changer d'avis après la "
            "réception de votre contrat de réservation.\n\n"
            "Une question ? Appelez-nous ou écrivez-nous : nos coordonnées sont en haut de "
            "cette lettre.\n\n"
            "À bientôt,\n"
            "L'équipe {coop}"
        ),
        "blocks": [
            {"type": "video", "module": "ma-coop-c-est-quoi", "position": 1},
            # The welcome booklet of the member's profile (a buyer's when none is known).
            {"type": "booklet", "profile": "accedant"},
        ],
    },
    AutomationKind.DELIVERY_POSTPONED: {
        "name": "Livraison repoussée",
        "subject": "{programme} : la livraison est repoussée au {new_date}",
        "preheader": "Ce qui change, pourquoi, et ce que nous faisons pour vous.",
        "body": (
            "Bonjour {first_name},\n\n"
            "Nous vous devons une information importante sur votre futur logement "
            "({programme}) : sa livraison, prévue le {previous_date}, est repoussée au "
            "{new_date}.\n\n"
            "La raison : {reason}\n\n"
            "Nous savons qu'un report bouscule vos projets : déménagement, préavis, "
            "budget. Nous en sommes sincèrement désolés. Nous vous tiendrons au courant de "
            "l'avancement du chantier, et nous vous préviendrons tout de suite si la date "
            "devait encore changer.\n\n"
            "Si ce report vous met en difficulté (bail à prolonger, double loyer, prêt…), "
            "parlez-nous-en : répondez à ce message ou appelez-nous. Nous chercherons "
            "une solution avec vous.\n\n"
            "En attendant, d'autres accédants racontent ci-dessous comment ils ont vécu "
            "l'attente, jusqu'au jour des clés.\n\n"
            "L'équipe {coop}"
        ),
        "letter_body": (
            "Bonjour {first_name},\n\n"
            "Nous vous devons une information importante sur votre future résidence, "
            "{programme} : sa livraison, prévue le {previous_date}, est repoussée au "
            "{new_date}.\n\n"
            "La raison : {reason}\n\n"
            "Nous savons qu'un report bouscule vos projets : déménagement, préavis, "
            "budget. Nous en sommes sincèrement désolés. Nous vous tiendrons au courant de "
            "l'avancement du chantier, et nous vous préviendrons tout de suite si la date "
            "devait encore changer.\n\n"
            "Si ce report vous met en difficulté (bail à prolonger, double loyer, prêt…), "
            "parlez-nous-en : appelez-nous ou écrivez-nous, nos coordonnées sont en haut de "
            "cette lettre. Nous chercherons une solution avec vous.\n\n"
            "En attendant, d'autres accédants racontent comment ils ont vécu l'attente, "
            "jusqu'au jour des clés : le code carré en bas de cette lettre ouvre leur "
            "témoignage sur votre téléphone.\n\n"
            "L'équipe {coop}"
        ),
        "blocks": [{"type": "testimonial", "module": "du-chantier-aux-cles", "position": 1}],
    },
    AutomationKind.DELIVERED: {
        "name": "Livré : vous voilà copropriétaire",
        "subject": "Bienvenue chez vous ! Vous voilà copropriétaire",
        "preheader": "Syndic, conseil syndical, AG de copropriété : qui fait quoi.",
        "body": (
            "Bonjour {first_name},\n\n"
            "C'est fait : votre logement ({programme}) est livré. Bienvenue chez vous !\n\n"
            "Votre immeuble est maintenant une copropriété, et vous en êtes "
            "copropriétaire. Les décisions sur les parties communes (budget, entretien, "
            "travaux) se prennent ensemble, à l'assemblée générale de copropriété, au moins "
            "une fois par an.\n\n"
            "Syndic, syndicat des copropriétaires, conseil syndical : ces mots se "
            "ressemblent mais ne désignent pas la même chose. La vidéo ci-dessous les "
            "explique simplement, et la plaquette les garde à portée de main.\n\n"
            "Un conseil : dans le mois qui suit la remise des clés, signalez par écrit "
            "les défauts que vous n'auriez pas vus le jour de la livraison.\n\n"
            "L'équipe {coop}"
        ),
        "letter_body": (
            "Bonjour {first_name},\n\n"
            "Votre résidence, {programme}, est livrée : bienvenue chez vous !\n\n"
            "Votre immeuble est maintenant une copropriété, et vous en êtes "
            "copropriétaire. Les décisions sur les parties communes (budget, entretien, "
            "travaux) se prennent ensemble, à l'assemblée générale de copropriété, au moins "
            "une fois par an.\n\n"
            "Syndic, syndicat des copropriétaires, conseil syndical : ces mots se "
            "ressemblent mais ne désignent pas la même chose. Une courte vidéo les explique "
            "simplement : le code carré en bas de cette lettre l'ouvre sur votre téléphone. "
            "Une plaquette les garde à portée de main : demandez-la-nous, nous vous "
            "l'envoyons sur papier.\n\n"
            "Un conseil : dans le mois qui suit la remise des clés, signalez par écrit "
            "les défauts que vous n'auriez pas vus le jour de la livraison.\n\n"
            "L'équipe {coop}"
        ),
        "blocks": [
            {"type": "video", "module": "vivre-en-copropriete", "position": 1},
            {"type": "leaflet", "module": "vivre-en-copropriete", "position": 5},
        ],
    },
    AutomationKind.AG_REMINDER: {
        "name": "Rappel de l'assemblée générale",
        "subject": "Assemblée générale le {ag_date} : votre voix compte",
        "preheader": "Un associé, une voix : ce qui se décide et comment participer.",
        "body": (
            "Bonjour {first_name},\n\n"
            "L'assemblée générale de votre coop, {coop}, aura lieu le {ag_date}.\n\n"
            "C'est le moment de l'année où les associés de la coop, dont vous faites "
            "partie, approuvent les comptes, élisent les administrateurs et votent les "
            "grandes décisions. Chacun y a une voix, quel que soit le nombre de ses parts "
            "sociales.\n\n"
            "Ce message est un rappel. La convocation officielle, avec l'ordre du jour et "
            "la façon de voter si vous ne pouvez pas venir, vous parviendra séparément.\n\n"
            "Pour vous y préparer, un administrateur raconte ci-dessous ce qu'il défend au "
            "conseil d'administration, et la plaquette explique comment se passe l'AG.\n\n"
            "Nous serons heureux de vous y retrouver !\n\n"
            "L'équipe {coop}"
        ),
        "letter_body": (
            "Bonjour {first_name},\n\n"
            "L'assemblée générale de votre coop, {coop}, aura lieu le {ag_date}.\n\n"
            "C'est le moment de l'année où les associés de la coop, dont vous faites "
            "partie, approuvent les comptes, élisent les administrateurs et votent les "
            "grandes décisions. Chacun y a une voix, quel que soit le nombre de ses parts "
            "sociales.\n\n"
            "Cette lettre est un rappel. La convocation officielle, avec l'ordre du jour et "
            "la façon de voter si vous ne pouvez pas venir, vous parviendra séparément.\n\n"
            "Pour vous y préparer, un administrateur raconte ce qu'il défend au conseil "
            "d'administration : le code carré en bas de cette lettre ouvre son témoignage "
            "sur votre téléphone. Une plaquette explique comment se passe l'AG : "
            "demandez-la-nous, nous vous l'envoyons sur papier.\n\n"
            "Nous serons heureux de vous y retrouver !\n\n"
            "L'équipe {coop}"
        ),
        "blocks": [
            {"type": "testimonial", "module": "une-voix-pour-chacun", "position": 1},
            {"type": "leaflet", "module": "une-voix-pour-chacun", "position": 5},
        ],
    },
}


def french_typography(text: str) -> str:
    """A no-break space before : ; ? ! and inside « » (the texts are written with plain
    spaces here, for readability)."""
    for mark in (":", ";", "?", "!"):
        text = text.replace(f" {mark}", f"{NBSP}{mark}")
    return text.replace("« ", f"«{NBSP}").replace(" »", f"{NBSP}»")


for _text in DEFAULT_TEXTS.values():
    for _field in ("name", "subject", "preheader", "body", "letter_body"):
        _text[_field] = french_typography(_text[_field])


def _default_blocks(coop, kind: str) -> list[dict]:
    return [dict(block) for block in DEFAULT_TEXTS[kind]["blocks"]]


def default_message(*, coop, kind: str) -> Message:
    text = DEFAULT_TEXTS[kind]
    return Message.objects.create(
        coop=coop,
        kind=SendKind.AUTOMATION,
        automation_kind=kind,
        name=text["name"],
        subject=text["subject"],
        preheader=text["preheader"],
        body=text["body"],
        letter_body=text["letter_body"],
        blocks=_default_blocks(coop, kind),
    )


def ensure_settings(*, coop) -> dict[str, AutomationSetting]:
    """The coop's automation settings, created (off, with the default texts) if missing."""
    existing = {s.kind: s for s in AutomationSetting.objects.filter(coop=coop)}
    for kind in AutomationKind.values:
        setting = existing.get(kind)
        if setting is None:
            with transaction.atomic():
                setting, _created = AutomationSetting.objects.get_or_create(coop=coop, kind=kind)
        if setting.message_id is None:
            setting.message = default_message(coop=coop, kind=kind)
            setting.save(update_fields=["message"])
            approvals.approve_text(row=setting)  # the platform's default text
        existing[kind] = setting
    return existing


# --- Filling a text for one event -------------------------------------------------------


def long_date(value) -> str:
    """ "jeudi 20 mai 2027" (the platform speaks French)."""
    if not value:
        return ""
    with translation.override("fr"):
        return formats.date_format(value, "l j F Y")


def _fill(text: str, values: dict) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def event_message(
    *, coop, setting: AutomationSetting, values: dict, label: str, approved: bool = True
) -> Message:
    """An unsaved copy of the automation's APPROVED text (campaigns.approvals: an edit
    waiting for approval never reaches members) with this event's words filled in (the
    member's first name stays a placeholder for the mail pipeline). `approved=False`: the
    text as edited, for the staff's preview."""
    source = approvals.approved_message(setting) if approved else setting.message
    values = {"coop": coop.name, **values}
    return Message(
        coop=coop,
        kind=SendKind.AUTOMATION,
        automation_kind=setting.kind,
        name=f"{source.name} – {label}"[:120],
        subject=_fill(source.subject, values)[:150],
        preheader=_fill(source.preheader, values)[:150],
        body=_fill(source.body, values),
        letter_body=_fill(source.letter_body, values),
        blocks=list(source.blocks or []),
    )


def example_message(*, coop, setting: AutomationSetting) -> Message:
    """The text with example words, for the preview on the automation's page."""
    programme = Programme.objects.filter(coop=coop).exclude(kind=ProgrammeKind.LOCATIF).first()
    today = timezone.localdate()
    values = {
        "programme": programme.name if programme else "Résidence Exemple",
        "previous_date": long_date(today + dt.timedelta(days=60)),
        "new_date": long_date(today + dt.timedelta(days=150)),
        "reason": "(exemple) les intempéries de l'hiver ont retardé le gros œuvre de trois mois.",
        "ag_date": long_date(setting.event_date or today + dt.timedelta(days=30)),
    }
    return event_message(coop=coop, setting=setting, values=values, label="exemple", approved=False)


# --- Sending -------------------------------------------------------------------------------


def start_send(*, coop, send: Send, members=None, actor=None, news=None) -> dict:
    """Start a send through the pipeline (campaigns.services.send_start: version, ledger,
    worker), then have its letters built once the ledger is committed."""
    counts = services.send_start(coop=coop, send=send, members=members, actor=actor, news=news)
    if counts.get(RecipientState.LETTER):
        transaction.on_commit(lambda: build_letters_task.enqueue(coop_id=coop.pk, send_id=send.pk))
    return counts


def _occurrence_send(*, coop, setting, event_key: str, member_ids: list[int], message, key):
    """One send for one event: occurrences first (unique), then the ledger and the worker.
    Returns the send, or None when another worker already took these occurrences."""
    kind = setting.kind
    try:
        with transaction.atomic():
            message.save()
            send = Send.objects.create(
                coop=coop,
                kind=SendKind.AUTOMATION,
                automation_kind=kind,
                occurrence_key=key[:80],
                name=message.name,
                message=message,
                purpose=Purpose.COOP_NEWS,
                segment={"automation": kind, "event": event_key},
                status=SendStatus.APPROVED,
            )
            AutomationOccurrence.objects.bulk_create(
                [
                    AutomationOccurrence(
                        coop=coop, member_id=pk, kind=kind, event_key=event_key, send=send
                    )
                    for pk in member_ids
                ],
                batch_size=1000,
            )
            start_send(coop=coop, send=send, members=Member.objects.filter(pk__in=member_ids))
    except IntegrityError:
        logger.info("automation %s %s already handled", kind, event_key)
        return None
    return send


def _not_yet(members, kind: str, event_key: str):
    done = AutomationOccurrence.objects.filter(
        member=OuterRef("pk"), kind=kind, event_key=event_key
    )
    return members.filter(anonymised_at__isnull=True).exclude(Exists(done))


def run_welcome(*, coop, setting, today) -> list[Send]:
    sends = []
    reservations = (
        Reservation.objects.filter(
            coop=coop,
            kind=ContractKind.RESERVATION,
            ended_on__isnull=True,
            signed_on__gte=today - WELCOME_WINDOW,
            signed_on__lte=today,
            member__anonymised_at__isnull=True,
        )
        .exclude(programme__kind=ProgrammeKind.LOCATIF)
        .select_related("programme")
        .order_by("id")
    )
    for reservation in reservations:
        event_key = f"reservation:{reservation.pk}"
        if AutomationOccurrence.objects.filter(
            coop=coop, kind=setting.kind, event_key=event_key
        ).exists():
            continue
        message = event_message(
            coop=coop,
            setting=setting,
            values={"programme": reservation.programme.name},
            label=reservation.programme.name,
        )
        send = _occurrence_send(
            coop=coop,
            setting=setting,
            event_key=event_key,
            member_ids=[reservation.member_id],
            message=message,
            key=f"automation:welcome:{reservation.pk}",
        )
        if send:
            sends.append(send)
    return sends


def run_delivery_postponed(*, coop, setting, now) -> list[Send]:
    sends = []
    changes = (
        DeliveryDateChange.objects.filter(
            coop=coop,
            changed_at__gte=now - DELIVERY_CHANGE_WINDOW,
            previous_date__isnull=False,
            new_date__gt=F("previous_date"),
        )
        .select_related("programme")
        .order_by("id")
    )
    for change in changes:
        programme = change.programme
        if programme.kind == ProgrammeKind.LOCATIF or programme.delivered_on:
            continue
        event_key = f"delivery:{programme.pk}:{change.pk}"
        buyers = Member.objects.filter(
            coop=coop,
            reservations__programme=programme,
            reservations__ended_on__isnull=True,
            reservations__kind=ContractKind.RESERVATION,
        ).distinct()
        member_ids = list(_not_yet(buyers, setting.kind, event_key).values_list("pk", flat=True))
        if not member_ids:
            continue
        message = event_message(
            coop=coop,
            setting=setting,
            values={
                "programme": programme.name,
                "previous_date": long_date(change.previous_date),
                "new_date": long_date(change.new_date),
                "reason": change.reason.strip(),
            },
            label=f"{programme.name} ({long_date(change.new_date)})",
        )
        send = _occurrence_send(
            coop=coop,
            setting=setting,
            event_key=event_key,
            member_ids=member_ids,
            message=message,
            key=f"automation:delivery:{change.pk}:{uuid.uuid4().hex[:8]}",
        )
        if send:
            sends.append(send)
    return sends


def run_delivered(*, coop, setting, today) -> list[Send]:
    """Buyers of a programme (VEFA, BRS) delivered in the last 30 days become co-owners.
    PSLA buyers are not yet owners at delivery (tenant-buyers until they buy): left out."""
    sends = []
    programmes = Programme.objects.filter(
        coop=coop,
        kind__in=[ProgrammeKind.VEFA, ProgrammeKind.BRS],
        delivered_on__lte=today,
        delivered_on__gte=today - DELIVERED_WINDOW,
    ).order_by("id")
    for programme in programmes:
        event_key = f"coownership:{programme.pk}"
        buyers = Member.objects.filter(
            coop=coop,
            reservations__programme=programme,
            reservations__ended_on__isnull=True,
            reservations__kind=ContractKind.RESERVATION,
        ).distinct()
        member_ids = list(_not_yet(buyers, setting.kind, event_key).values_list("pk", flat=True))
        if not member_ids:
            continue
        message = event_message(
            coop=coop, setting=setting, values={"programme": programme.name}, label=programme.name
        )
        send = _occurrence_send(
            coop=coop,
            setting=setting,
            event_key=event_key,
            member_ids=member_ids,
            message=message,
            key=f"automation:coownership:{programme.pk}:{uuid.uuid4().hex[:8]}",
        )
        if send:
            sends.append(send)
    return sends


def run_ag_reminder(*, coop, setting, today) -> list[Send]:
    """Every member, once per year, from `days_before` days before the assembly until
    the day before it."""
    ag_date = setting.event_date
    if ag_date is None:
        return []
    if not (ag_date - dt.timedelta(days=setting.days_before) <= today < ag_date):
        return []
    event_key = f"ag:{ag_date.year}"
    members = Member.objects.filter(coop=coop)
    member_ids = list(_not_yet(members, setting.kind, event_key).values_list("pk", flat=True))
    if not member_ids:
        return []
    message = event_message(
        coop=coop, setting=setting, values={"ag_date": long_date(ag_date)}, label=str(ag_date.year)
    )
    send = _occurrence_send(
        coop=coop,
        setting=setting,
        event_key=event_key,
        member_ids=member_ids,
        message=message,
        key=f"automation:ag:{ag_date.year}:{uuid.uuid4().hex[:8]}",
    )
    return [send] if send else []


RUNNERS = {
    AutomationKind.WELCOME: lambda coop, setting, now: run_welcome(
        coop=coop, setting=setting, today=timezone.localdate(now)
    ),
    AutomationKind.DELIVERY_POSTPONED: lambda coop, setting, now: run_delivery_postponed(
        coop=coop, setting=setting, now=now
    ),
    AutomationKind.DELIVERED: lambda coop, setting, now: run_delivered(
        coop=coop, setting=setting, today=timezone.localdate(now)
    ),
    AutomationKind.AG_REMINDER: lambda coop, setting, now: run_ag_reminder(
        coop=coop, setting=setting, today=timezone.localdate(now)
    ),
}


def run_automations(*, coop, now=None) -> list[Send]:
    """Detect this coop's events and start their sends (idempotent)."""
    now = now or timezone.now()
    sends = []
    for setting in (
        AutomationSetting.objects.filter(coop=coop, enabled=True, message__isnull=False)
        .exclude(approved_text={})
        .select_related("message")
    ):
        sends += RUNNERS[setting.kind](coop, setting, now)
    return sends


def start_due_scheduled(*, coop, now=None) -> list[Send]:
    """Approved campaigns whose scheduled moment has come."""
    now = now or timezone.now()
    started = []
    for send in Send.objects.filter(
        coop=coop, status=SendStatus.SCHEDULED, scheduled_at__lte=now, approved_by__isnull=False
    ):
        with transaction.atomic():
            claimed = Send.objects.filter(pk=send.pk, status=SendStatus.SCHEDULED).update(
                status=SendStatus.APPROVED
            )
            if claimed:
                start_send(coop=coop, send=send)
                started.append(send)
    return started


def sends_with_letters_to_build(*, coop) -> list[int]:
    return list(
        Recipient.objects.filter(coop=coop, state=RecipientState.LETTER, letter_batch__isnull=True)
        .values_list("send_id", flat=True)
        .distinct()
    )


def run_cycle(*, coop, now=None) -> dict:
    """Everything periodic of one coop: scheduled campaigns, automations, the monthly
    bulletin, letters left to build."""
    from coopculture.campaigns import bulletin, letters

    now = now or timezone.now()
    scheduled = start_due_scheduled(coop=coop, now=now)
    automated = run_automations(coop=coop, now=now)
    bulletins = bulletin.schedule_bulletin(coop=coop, now=now)
    batches = [
        letters.build_letters(coop=coop, send_id=send_id)
        for send_id in sends_with_letters_to_build(coop=coop)
    ]
    purged = letters.purge_old_letters(coop=coop, now=now)
    return {
        "letters_purged": purged,
        "scheduled": len(scheduled),
        "automations": len(automated),
        "bulletins": len(bulletins),
        "letter_batches": len([b for b in batches if b]),
    }


@coop_task
def cycle_task(coop) -> dict:
    return run_cycle(coop=coop)


@coop_task
def build_letters_task(coop, *, send_id: int):
    from coopculture.campaigns import letters

    batch = letters.build_letters(coop=coop, send_id=send_id)
    return batch.pk if batch else None


def coops_with_work(now=None) -> list[int]:
    """Coops that have something periodic to look at (cheap queries, across coops)."""
    from coopculture.campaigns import letters
    from coopculture.campaigns.models import BulletinSettings, LetterBatch
    from coopculture.coops.models import Coop

    now = now or timezone.now()
    with scopes_disabled():
        ids = set(AutomationSetting.objects.filter(enabled=True).values_list("coop_id", flat=True))
        ids |= set(BulletinSettings.objects.filter(enabled=True).values_list("coop_id", flat=True))
        ids |= set(
            Send.objects.filter(status=SendStatus.SCHEDULED, scheduled_at__lte=now).values_list(
                "coop_id", flat=True
            )
        )
        ids |= set(
            Recipient.objects.filter(state=RecipientState.LETTER, letter_batch__isnull=True)
            .values_list("coop_id", flat=True)
            .distinct()
        )
        ids |= set(
            LetterBatch.objects.filter(created_at__lt=now - letters.LETTER_RETENTION)
            .exclude(file="")
            .values_list("coop_id", flat=True)
        )
        active = set(Coop.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    return sorted(active)


@task()
def tick_task() -> list[int]:
    coop_ids = coops_with_work()
    for coop_id in coop_ids:
        cycle_task.enqueue(coop_id=coop_id)
    return coop_ids


def tick() -> None:
    """The tick job (campaigns/apps.py): only enqueues."""
    tick_task.enqueue()


def learning_home(coop) -> str:
    return reverse("learning:home", kwargs={"coop_slug": coop.slug})
