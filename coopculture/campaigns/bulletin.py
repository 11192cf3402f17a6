"""The monthly bulletin (c2): on the day of the month the coop chooses, every member who
agreed to the bulletin gets one. Its main item is, for each member, the next MOOC video
or testimonial they have neither seen (learning events) nor been sent (the ledger): the
"next_item" block, chosen per member when the ledger is built (campaigns.services). Then
resource links and the coop's news of the month (BulletinNews, written once by staff).

Scheduled by the campaigns tick, idempotently: one Send per coop and month, whose
occurrence_key "bulletin:YYYY-MM" is unique per coop.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation

from coopculture.campaigns import approvals
from coopculture.campaigns.models import (
    BulletinNews,
    BulletinSettings,
    Message,
    Send,
    SendKind,
    SendStatus,
)
from coopculture.members.models import Purpose

NBSP = "\u00a0"
# A bulletin missed on its day (a tick down, the coop switching it on late) still leaves
# within these days; later, it waits for next month.
CATCH_UP_DAYS = 3

DEFAULT_BULLETIN = {
    "name": "Bulletin mensuel",
    "subject": "Les nouvelles de votre coop",
    "preheader": "Ce mois-ci : une vidéo ou un témoignage choisi pour vous, et nos nouvelles.",
    "body": (
        "Bonjour {first_name},\n\n"
        "Voici les nouvelles du mois. Chaque mois, nous vous proposons une vidéo ou un "
        "témoignage du parcours Culture Coop' que vous n'avez pas encore vu : quelques "
        "minutes pour mieux connaître votre coop et ce qu'elle change pour vous.\n\n"
        f"Bonne lecture{NBSP}!"
    ),
    "letter_body": (
        "Bonjour {first_name},\n\n"
        "Voici les nouvelles du mois. Chaque mois, nous vous proposons une vidéo ou un "
        "témoignage du parcours Culture Coop' que vous n'avez pas encore vu : quelques "
        "minutes pour mieux connaître votre coop et ce qu'elle change pour vous. Le code "
        "carré en bas de cette lettre l'ouvre sur votre téléphone.\n\n"
        f"Bonne lecture{NBSP}!"
    ),
}
DEFAULT_BULLETIN["preheader"] = DEFAULT_BULLETIN["preheader"].replace(" :", f"{NBSP}:")
for _field in ("body", "letter_body"):
    DEFAULT_BULLETIN[_field] = DEFAULT_BULLETIN[_field].replace(
        "pas encore vu :", f"pas encore vu{NBSP}:"
    )


def _default_blocks(coop) -> list[dict]:
    from coopculture.campaigns.automations import learning_home

    glossary = reverse("learning:glossary", kwargs={"coop_slug": coop.slug})
    return [
        {"type": "next_item"},
        {"type": "news"},
        {"type": "link", "url": learning_home(coop), "label": "Tout le parcours Culture Coop'"},
        {"type": "link", "url": glossary, "label": "Les mots de la coop, expliqués simplement"},
    ]


def ensure_settings(*, coop) -> BulletinSettings:
    """The coop's bulletin settings (off, day 5, the default text) created if missing."""
    with transaction.atomic():
        row, _created = BulletinSettings.objects.get_or_create(coop=coop)
    if row.message_id is None:
        row.message = Message.objects.create(
            coop=coop,
            kind=SendKind.BULLETIN,
            name=DEFAULT_BULLETIN["name"],
            subject=DEFAULT_BULLETIN["subject"],
            preheader=DEFAULT_BULLETIN["preheader"],
            body=DEFAULT_BULLETIN["body"],
            letter_body=DEFAULT_BULLETIN["letter_body"],
            blocks=_default_blocks(coop),
        )
        row.save(update_fields=["message"])
        approvals.approve_text(row=row)  # the platform's default text
    return row


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def occurrence_key(month: dt.date) -> str:
    return f"bulletin:{month:%Y-%m}"


def month_of(send: Send) -> dt.date:
    """The month of a bulletin send (from its occurrence key)."""
    key = send.occurrence_key or ""
    try:
        year, month = key.split(":", 1)[1].split("-")
        return dt.date(int(year), int(month), 1)
    except (IndexError, ValueError):
        return first_of_month(timezone.localdate(send.created_at))


def news_of_month(*, coop, month: dt.date) -> BulletinNews | None:
    return BulletinNews.objects.filter(coop=coop, month=first_of_month(month)).first()


def approved_news_of_month(*, coop, month: dt.date) -> BulletinNews | None:
    """The month's news as an admin approved it (None: none, or never approved)."""
    return approvals.approved_news(news_of_month(coop=coop, month=month))


def next_bulletin_date(*, coop, settings_row: BulletinSettings, today=None) -> dt.date:
    """The day the next bulletin leaves, as schedule_bulletin will send it: this month's
    day (or today, within the catch-up days) while this month's has not left; once it has
    left, next month's day."""
    today = today or timezone.localdate()
    day = settings_row.day_of_month
    month = first_of_month(today)
    sent = Send.objects.filter(coop=coop, occurrence_key=occurrence_key(month)).exists()
    if not sent and today.day <= day + CATCH_UP_DAYS:
        return max(today, month.replace(day=day))
    return next_month(month).replace(day=day)


def last_bulletin(*, coop) -> Send | None:
    """The latest bulletin that went out (its date: started_at)."""
    return (
        Send.objects.filter(coop=coop, kind=SendKind.BULLETIN, started_at__isnull=False)
        .order_by("-started_at")
        .first()
    )


def next_bulletin_month(*, coop, settings_row: BulletinSettings, today=None) -> dt.date:
    """The month whose news staff write now: this month's until its bulletin has left,
    then next month's."""
    today = today or timezone.localdate()
    month = first_of_month(today)
    if Send.objects.filter(coop=coop, occurrence_key=occurrence_key(month)).exists():
        return next_month(month)
    if today.day > settings_row.day_of_month + CATCH_UP_DAYS:
        return next_month(month)
    return month


def month_name(month: dt.date) -> str:
    with translation.override("fr"):
        return formats.date_format(month, "F Y")


def schedule_bulletin(*, coop, now=None) -> list[Send]:
    """Start this month's bulletin if its day has come and it has not left yet."""
    from coopculture.campaigns.automations import start_send

    now = now or timezone.now()
    today = timezone.localdate(now)
    settings_row = BulletinSettings.objects.filter(coop=coop, enabled=True).first()
    if settings_row is None:
        return []
    day = settings_row.day_of_month
    if not (day <= today.day <= day + CATCH_UP_DAYS):
        return []
    month = first_of_month(today)
    key = occurrence_key(month)
    if Send.objects.filter(coop=coop, occurrence_key=key).exists():
        return []
    if settings_row.message_id is None:
        settings_row = ensure_settings(coop=coop)
    # What an admin approved, never an edit waiting for approval (campaigns.approvals).
    name = f"Bulletin de {month_name(month)}"
    message = approvals.approved_message(settings_row, name=name)
    if message is None:
        return []
    news = approved_news_of_month(coop=coop, month=month)
    try:
        with transaction.atomic():
            message.save()
            send = Send.objects.create(
                coop=coop,
                kind=SendKind.BULLETIN,
                occurrence_key=key,
                name=name,
                message=message,
                purpose=Purpose.BULLETIN,
                segment={},
                status=SendStatus.APPROVED,
            )
            start_send(coop=coop, send=send, news=news)
    except IntegrityError:
        return []  # another worker created this month's bulletin a moment ago
    return [send]
