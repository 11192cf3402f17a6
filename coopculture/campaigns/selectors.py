"""Reads of the campaigns domain: sends, their figures, a member's mail history."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coopculture.campaigns.models import (
    AutomationKind,
    LinkClicks,
    MessageVersion,
    Recipient,
    RecipientState,
    Send,
    SendKind,
)
from coopculture.campaigns.rendering import PLACEHOLDER
from coopculture.kit import api as kit_api
from coopculture.learning import api as learning_api
from coopculture.members.models import MemberProfile


def send_list(*, coop, kinds=None) -> list[Send]:
    sends = Send.objects.filter(coop=coop)
    if kinds:
        sends = sends.filter(kind__in=kinds)
    return list(sends.select_related("created_by", "approved_by").order_by("-created_at", "-id"))


def access_send(*, coop, public_id) -> Send:
    send = (
        Send.objects.filter(coop=coop, public_id=public_id)
        .exclude(kind=SendKind.TEST)
        .select_related("message", "version", "created_by", "approved_by")
        .first()
    )
    if send is None:
        raise Http404
    return send


@dataclass(frozen=True)
class SendFigures:
    total: int = 0
    queued: int = 0  # waiting or being sent
    delivered: int = 0  # accepted by the server
    bounced: int = 0
    failed: int = 0
    suppressed: int = 0
    letters: int = 0
    no_consent: int = 0
    no_email: int = 0
    unsubscribed: int = 0
    clicks: int = 0
    clickers: int = 0
    completions: int = 0  # modules completed after the send by its recipients

    @property
    def click_rate(self) -> float:
        return self.clickers / self.delivered if self.delivered else 0.0


def _figures_query(sends_filter: Q):
    return (
        Recipient.objects.filter(sends_filter)
        .values("send_id")
        .annotate(
            total=Count("id"),
            queued=Count("id", filter=Q(state__in=[RecipientState.QUEUED, RecipientState.SENDING])),
            delivered=Count("id", filter=Q(state=RecipientState.SENT)),
            bounced=Count("id", filter=Q(state=RecipientState.BOUNCED)),
            failed=Count("id", filter=Q(state=RecipientState.FAILED)),
            suppressed=Count("id", filter=Q(state=RecipientState.SUPPRESSED)),
            letters=Count("id", filter=Q(state=RecipientState.LETTER)),
            no_consent=Count("id", filter=Q(state=RecipientState.NO_CONSENT)),
            no_email=Count("id", filter=Q(state=RecipientState.NO_EMAIL)),
            unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
            clicks=Sum("click_count"),
            clickers=Count("id", filter=Q(click_count__gt=0)),
        )
    )


def send_figures(*, coop, send: Send, with_completions: bool = True) -> SendFigures:
    """The figures of one send (two or three queries)."""
    [row] = list(_figures_query(Q(coop=coop, send=send))) or [{}]
    values = {key: value or 0 for key, value in row.items() if key != "send_id"}
    if (
        with_completions
        and send.started_at is not None
        and (values.get("delivered") or values.get("letters"))
    ):
        user_ids = set(
            Recipient.objects.filter(
                coop=coop,
                send=send,
                state__in=[RecipientState.SENT, RecipientState.LETTER],
                member__user__isnull=False,
            ).values_list("member__user_id", flat=True)
        )
        values["completions"] = learning_api.completions_after(
            coop=coop, user_ids=user_ids, since=send.started_at
        )
    return SendFigures(**values)


def sends_figures(*, coop, sends: list[Send]) -> dict[int, SendFigures]:
    """Figures of many sends at once (one query; no completions: see send_figures)."""
    rows = _figures_query(Q(coop=coop, send__in=[s.pk for s in sends]))
    return {
        row["send_id"]: SendFigures(
            **{key: value or 0 for key, value in row.items() if key != "send_id"}
        )
        for row in rows
    }


def link_clicks(*, coop, send: Send) -> list[tuple[str, str, int]]:
    """(code, target URL, clicks) of each tracked link of the send, most clicked first."""
    targets = (send.version.links or {}) if send.version else {}
    counts = dict(LinkClicks.objects.filter(coop=coop, send=send).values_list("code", "clicks"))
    rows = [(code, url, counts.get(code, 0)) for code, url in targets.items()]
    return sorted(rows, key=lambda row: (-row[2], row[0]))


# --- What a member is told about a message ---------------------------------------------------

# Where the member got a link from, in their words (a send's name is the team's own label:
# "Relance inactifs T4", "Bienvenue après la réservation - Les Embruns").
MESSAGE_ORIGINS = {
    AutomationKind.WELCOME: _(
        "You received this link in the welcome email %(coop)s sends after a reservation."
    ),
    AutomationKind.DELIVERY_POSTPONED: _(
        "You received this link in the email %(coop)s sends when the delivery date of your "
        "home moves."
    ),
    AutomationKind.DELIVERED: _(
        "You received this link in the email %(coop)s sends when your home is delivered."
    ),
    AutomationKind.AG_REMINDER: _(
        "You received this link in the reminder of the general assembly of %(coop)s."
    ),
    SendKind.BULLETIN: _("You received this link in the monthly bulletin of %(coop)s."),
}
DEFAULT_ORIGIN = _("You received this link in an email from %(coop)s.")


def message_origin(*, coop, recipient: Recipient) -> dict:
    """What the unsubscribe page says of the message a link came in: which kind of email
    of which coop, and its subject as the coop wrote it. The page opens from a link alone
    (it may have been forwarded): the member's own details (first name…) are left out."""
    send = recipient.send
    origin = MESSAGE_ORIGINS.get(send.automation_kind) or MESSAGE_ORIGINS.get(send.kind)
    subject = send.version.subject if send.version else ""
    return {
        "origin": (origin or DEFAULT_ORIGIN) % {"coop": coop.name},
        "subject": PLACEHOLDER.sub("…", subject),
    }


# --- Per-member items ------------------------------------------------------------------------


def member_variables(
    *, coop, version: MessageVersion, rows: list[dict], exclude_send: Send | None = None
) -> dict:
    """The per-member items of `version` for each of `rows` ({"id": member id,
    "user_id": its account or None}), by member id: the next video or testimonial of the
    coop's path neither seen by the member nor sent to them by another send, and the next
    module. The ledger stores them; the preview and the test send show the same choice."""
    chosen: dict[int | None, dict] = {row["id"]: {} for row in rows}
    slots = set((version.fragments or {}).keys())
    if not slots:
        return chosen
    user_ids = [row["user_id"] for row in rows if row["user_id"]]
    if "next_item" in slots:
        # The coop's path order, not the JSON's: PostgreSQL's jsonb does not keep key order.
        rendered = version.fragments["next_item"]
        order = [i.key for i in learning_api.mail_items(coop=coop) if i.key in rendered]
        seen = learning_api.seen_item_keys(coop=coop, user_ids=user_ids)
        already_sent: dict[int, set[str]] = {}
        for member_id, variables in (
            Recipient.objects.filter(coop=coop, member_id__in=[r["id"] for r in rows])
            .exclude(send=exclude_send)
            .exclude(variables={})
            .values_list("member_id", "variables")
        ):
            if variables.get("next_item"):
                already_sent.setdefault(member_id, set()).add(variables["next_item"])
        for row in rows:
            done = seen.get(row["user_id"], set()) | already_sent.get(row["id"], set())
            key = next((k for k in order if k not in done), None)
            if key is not None:
                chosen[row["id"]]["next_item"] = key
    if "next_module" in slots:
        nexts = learning_api.next_modules(coop=coop, user_ids=user_ids)
        for row in rows:
            module = nexts.get(row["user_id"]) or nexts.get(None)
            if module is not None:
                chosen[row["id"]]["next_module"] = module[0]
    if "booklet" in slots:
        profiles = member_profiles(coop=coop, member_ids=[row["id"] for row in rows])
        default = booklet_default_profile(version.blocks)
        for row in rows:
            chosen[row["id"]]["booklet"] = profiles.get(row["id"], default)
    return chosen


def booklet_default_profile(blocks) -> str:
    """The booklet a member without a current profile gets: the block's (the welcome on
    reservation says "accedant"), else the home buyers' one."""
    for block in blocks or []:
        if block.get("type") == "booklet" and block.get("profile") in kit_api.BOOKLET_PROFILES:
            return block["profile"]
    return "accedant"


def member_profiles(*, coop, member_ids: list) -> dict[int, str]:
    """The current profile of each member (one query): the latest one still running."""
    today = timezone.localdate()
    current = (
        MemberProfile.objects.filter(coop=coop, member_id__in=[i for i in member_ids if i])
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=today)
        .order_by("member_id", "start_date", "id")
        .values_list("member_id", "kind")
    )
    return {member_id: kind for member_id, kind in current if kind in kit_api.BOOKLET_PROFILES}


def preview_variables(*, coop, version: MessageVersion, member, send: Send | None = None) -> dict:
    """What `member` (None: a member without an account) gets from `version`, saved or
    not: the ledger's own choice. With the `send` under way, its own ledger rows do not
    count as already sent (the preview shows what this send gives)."""
    row = {"id": member.pk if member else None, "user_id": member.user_id if member else None}
    return member_variables(coop=coop, version=version, rows=[row], exclude_send=send)[row["id"]]
