"""Who a send goes to: the members app's filters plus learning progress."""

from coopculture.learning import api as learning_api
from coopculture.members.selectors import member_list

# Keys of Send.segment understood here (the rest go to members.selectors.member_list).
LEARNING_KEYS = ("not_started_module", "not_completed_module", "completed_module")
MEMBER_KEYS = ("profile", "stage", "programme", "channel", "consent", "has_email", "q")


def segment_members(*, coop, segment: dict):
    """The members a segment designates (a queryset; anonymised members never)."""
    filters = {key: segment[key] for key in MEMBER_KEYS if segment.get(key)}
    members = member_list(coop=coop, filters=filters)
    if slug := segment.get("not_started_module"):
        members = members.exclude(
            user_id__in=learning_api.users_with_module(coop=coop, module_slug=slug)
        )
    if slug := segment.get("not_completed_module"):
        members = members.exclude(
            user_id__in=learning_api.users_with_module(coop=coop, module_slug=slug, completed=True)
        )
    if slug := segment.get("completed_module"):
        members = members.filter(
            user_id__in=learning_api.users_with_module(coop=coop, module_slug=slug, completed=True)
        )
    return members


# --- c2: what staff see of a segment before sending (count, breakdown, words) -----------


def segment_breakdown(*, coop, segment: dict, purpose: str) -> dict[str, int]:
    """How many members the segment designates, and what each will get for a send that
    needs consent to `purpose`: an email, a letter (channel: post), or nothing (no consent,
    no email address). One query. Suppressed addresses are only known when sending."""
    from django.db.models import Count, OuterRef, Q, Subquery

    from coopculture.members.models import Channel, ConsentRecord

    latest = ConsentRecord.objects.filter(member=OuterRef("pk"), purpose=purpose).order_by(
        "-recorded_at", "-id"
    )
    members = segment_members(coop=coop, segment=segment).annotate(
        _granted=Subquery(latest.values("granted")[:1])
    )
    consented = Q(_granted=True)
    by_post = Q(preferred_channel=Channel.POST)
    figures = members.order_by().aggregate(
        total=Count("id"),
        no_consent=Count("id", filter=~consented | Q(_granted__isnull=True)),
        letters=Count("id", filter=consented & by_post),
        emails=Count("id", filter=consented & ~by_post & ~Q(email="")),
        no_email=Count("id", filter=consented & ~by_post & Q(email="")),
    )
    return {key: value or 0 for key, value in figures.items()}


def segment_labels(*, coop, segment: dict) -> list[str]:
    """The segment in words, for the staff pages ("Stage: under construction", ...)."""
    from django.utils.translation import gettext as _

    from coopculture.members.models import Channel, ProfileKind, Programme, Stage

    labels = []
    choices = {
        "profile": (_("Profile"), dict(ProfileKind.choices)),
        "stage": (_("Stage"), dict(Stage.choices)),
        "channel": (_("Preferred channel"), dict(Channel.choices)),
    }
    for key, (title, names) in choices.items():
        if value := segment.get(key):
            labels.append(f"{title}\u00a0: {names.get(value, value)}")
    if value := segment.get("programme"):
        programme = Programme.objects.filter(coop=coop, public_id=value).first()
        labels.append(f"{_('Programme')}\u00a0: {programme.name if programme else '?'}")
    if value := segment.get("has_email"):
        labels.append(
            _("With an email address") if value == "yes" else _("Without an email address")
        )
    modules = {
        item.module.slug: item.module.title for item in learning_api.coop_module_list(coop=coop)
    }
    for key, title in (
        ("not_started_module", _("Has not started the module")),
        ("not_completed_module", _("Has not completed the module")),
        ("completed_module", _("Has completed the module")),
    ):
        if value := segment.get(key):
            labels.append(f"{title}\u00a0: {modules.get(value, value)}")
    return labels
