"""What other feature apps (kit, campaigns, ...) may use of the learning path.

DESIGN.md §4: feature apps never import each other's models. The import contract lets them
import this module only; everything here returns plain values or the selectors' read-only
dataclasses, so that the learning app stays free to change its tables.
"""

from coopculture.learning.selectors import CoopModule, access_coop_module, coop_module_list

__all__ = ["CoopModule", "access_coop_module", "coop_module_list"]


# --- campaigns ---------------------------------------------------------------------------
# What the mail pipeline (campaigns app) draws from the MOOC: items to show in an email,
# what a member (through their account) has seen, started or completed.

from dataclasses import dataclass as _mail_dataclass


@_mail_dataclass(frozen=True)
class MailItem:
    """A video, testimonial or leaflet of a module, as an email shows it."""

    key: str  # "<module slug>:<position>"
    kind: str  # "video", "testimonial" or "leaflet"
    module_slug: str
    module_title: str
    position: int
    title: str
    path: str  # the activity's page, under the coop
    poster_path: str = ""  # media URL of the poster image ("" if none)
    quote: str = ""
    person: str = ""
    role: str = ""
    leaflet_path: str = ""  # the leaflet PDF (leaflets only)


MAIL_ITEM_KINDS = ("video", "testimonial", "leaflet")


def _mail_item(coop, module, activity) -> MailItem:
    from django.urls import reverse

    kwargs = {"coop_slug": coop.slug, "module_slug": module.slug, "position": activity.position}
    content = activity.content or {}
    return MailItem(
        key=f"{module.slug}:{activity.position}",
        kind=activity.kind,
        module_slug=module.slug,
        module_title=module.title,
        position=activity.position,
        title=activity.title,
        path=reverse("learning:activity", kwargs=kwargs),
        poster_path=activity.poster.url if activity.poster else "",
        quote=content.get("quote", "") if activity.kind == "testimonial" else "",
        person=content.get("person", "") if activity.kind == "testimonial" else "",
        role=content.get("role", "") if activity.kind == "testimonial" else "",
        leaflet_path=reverse("learning_documents:leaflet", kwargs=kwargs)
        if activity.kind == "leaflet"
        else "",
    )


def mail_items(*, coop, kinds=("video", "testimonial")) -> list[MailItem]:
    """The coop's items of these kinds, in the order the coop shows its modules (modules
    that do not concern the coop left out). Two queries."""
    from coopculture.learning.models import Activity, ModuleStatus

    modules = [
        item.module
        for item in coop_module_list(coop=coop)
        if item.status != ModuleStatus.NOT_APPLICABLE
    ]
    steps: dict[int, list] = {}
    for activity in Activity.objects.filter(module__in=modules, kind__in=kinds).order_by(
        "position"
    ):
        steps.setdefault(activity.module_id, []).append(activity)
    return [_mail_item(coop, m, a) for m in modules for a in steps.get(m.pk, [])]


def mail_item(*, coop, module_slug: str, position: int) -> MailItem | None:
    from coopculture.learning.models import Activity

    activity = (
        Activity.objects.filter(
            module__slug=module_slug, position=position, kind__in=MAIL_ITEM_KINDS
        )
        .select_related("module")
        .first()
    )
    return _mail_item(coop, activity.module, activity) if activity else None


def seen_item_keys(*, coop, user_ids) -> dict[int, set[str]]:
    """For each account, the keys ("<slug>:<position>") of the activities it has done."""
    from coopculture.learning.models import EventKind, LearningEvent

    seen: dict[int, set[str]] = {}
    rows = LearningEvent.objects.filter(
        coop=coop, user_id__in=list(user_ids), kind=EventKind.ACTIVITY_DONE
    ).values_list("user_id", "module__slug", "activity__position")
    for user_id, slug, position in rows:
        seen.setdefault(user_id, set()).add(f"{slug}:{position}")
    return seen


def users_with_module(*, coop, module_slug: str, completed: bool = False) -> set[int]:
    """Accounts that started (or, completed=True, completed) the module in this coop."""
    from coopculture.learning.models import EventKind, LearningEvent

    kind = EventKind.MODULE_COMPLETED if completed else EventKind.MODULE_STARTED
    return set(
        LearningEvent.objects.filter(
            coop=coop, module__slug=module_slug, kind=kind, user_id__isnull=False
        ).values_list("user_id", flat=True)
    )


def next_modules(*, coop, user_ids) -> dict[int | None, tuple[str, str, str]]:
    """For each account (and None: no account), its next module as (slug, title, path):
    the first module in the coop's order it has not completed. Two or three queries."""
    from django.urls import reverse

    from coopculture.learning.models import EventKind, LearningEvent, ModuleStatus

    modules = [
        item.module
        for item in coop_module_list(coop=coop)
        if item.status != ModuleStatus.NOT_APPLICABLE
    ]
    if not modules:
        return {}
    completed: dict[int, set[int]] = {}
    for user_id, module_id in LearningEvent.objects.filter(
        coop=coop, user_id__in=[u for u in user_ids if u], kind=EventKind.MODULE_COMPLETED
    ).values_list("user_id", "module_id"):
        completed.setdefault(user_id, set()).add(module_id)

    def describe(module):
        kwargs = {"coop_slug": coop.slug, "module_slug": module.slug}
        path = reverse("learning:module", kwargs=kwargs)
        return (module.slug, module.title, path)

    result: dict[int | None, tuple[str, str, str]] = {None: describe(modules[0])}
    for user_id in user_ids:
        if not user_id:
            continue
        done = completed.get(user_id, set())
        module = next((m for m in modules if m.pk not in done), None)
        if module is not None:
            result[user_id] = describe(module)
    return result


def completions_after(*, coop, user_ids, since) -> int:
    """How many modules these accounts completed after `since` (a send's figures)."""
    from coopculture.learning.models import EventKind, LearningEvent

    return LearningEvent.objects.filter(
        coop=coop,
        user_id__in=list(user_ids),
        kind=EventKind.MODULE_COMPLETED,
        created_at__gte=since,
    ).count()


__all__ += [
    "MailItem",
    "completions_after",
    "mail_item",
    "mail_items",
    "next_modules",
    "seen_item_keys",
    "users_with_module",
]


# --- kit -------------------------------------------------------------------------------------
# Where a tracked link may lead, and what the learners who came through one did.

from dataclasses import dataclass as _dataclass  # noqa: E402

from django.db.models import Count as _Count  # noqa: E402
from django.db.models.functions import TruncDate as _TruncDate  # noqa: E402
from django.urls import reverse as _reverse  # noqa: E402


@_dataclass(frozen=True)
class ModuleTarget:
    """A published module and its activities, as a link target (plain values)."""

    slug: str
    title: str
    activities: tuple[tuple[int, str], ...]  # (position, title)


def module_targets(*, coop) -> list[ModuleTarget]:
    """The published modules in the coop's order, each with its activities. Two queries."""
    from coopculture.learning.models import Activity

    items = coop_module_list(coop=coop)
    steps: dict[int, list[tuple[int, str]]] = {}
    for module_id, position, title in (
        Activity.objects.filter(module__in=[item.module for item in items])
        .order_by("module_id", "position")
        .values_list("module_id", "position", "title")
    ):
        steps.setdefault(module_id, []).append((position, title))
    return [
        ModuleTarget(
            slug=item.module.slug,
            title=item.module.title,
            activities=tuple(steps.get(item.module.pk, ())),
        )
        for item in items
    ]


def target_url(*, coop, module_slug: str, position: int | None = None) -> str | None:
    """The member page of a published module (or one of its activities) in `coop`'s space;
    None when it does not exist (any more). One query."""
    from coopculture.learning.models import Activity, Module, PublicationStatus

    if not module_slug:
        return None
    kwargs = {"coop_slug": coop.slug, "module_slug": module_slug}
    if position is None:
        if not Module.objects.filter(slug=module_slug, status=PublicationStatus.PUBLISHED).exists():
            return None
        return _reverse("learning:module", kwargs=kwargs)
    if not Activity.objects.filter(
        module__slug=module_slug, module__status=PublicationStatus.PUBLISHED, position=position
    ).exists():
        return None
    return _reverse("learning:activity", kwargs={**kwargs, "position": position})


def source_daily_counts(*, coop, source_prefix: str, since=None) -> list[dict]:
    """Module starts and completions in `coop` per source (LearningEvent.channel starting
    with `source_prefix`) and local day: [{"source", "day", "started", "completed"}].
    One query, aggregated by the database."""
    from coopculture.learning.models import EventKind, LearningEvent

    kinds = {EventKind.MODULE_STARTED: "started", EventKind.MODULE_COMPLETED: "completed"}
    events = LearningEvent.objects.filter(
        coop=coop, kind__in=list(kinds), channel__startswith=source_prefix
    )
    if since is not None:
        events = events.filter(created_at__gte=since)
    rows: dict[tuple[str, object], dict] = {}
    for channel, kind, day, count in (
        events.annotate(day=_TruncDate("created_at"))
        .values("channel", "kind", "day")
        .annotate(n=_Count("id"))
        .values_list("channel", "kind", "day", "n")
        .order_by()
    ):
        row = rows.setdefault(
            (channel, day), {"source": channel, "day": day, "started": 0, "completed": 0}
        )
        row[kinds[kind]] += count
    return list(rows.values())


def demo_attributed_progress(
    *, coop, module_slug: str, learner: str, channel: str, started_at, completed_at=None
) -> None:
    """Demo data only (the kit's demo links): a learner who came through `channel` and
    started (and maybe completed) a module, at the given times. Idempotent per learner."""
    import uuid

    from coopculture.learning.models import EventKind, LearningEvent, Module

    module = Module.objects.filter(slug=module_slug).first()
    if module is None:
        return
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"demo-learner:{coop.slug}:{learner}")
    for kind, at in (
        (EventKind.MODULE_STARTED, started_at),
        (EventKind.MODULE_COMPLETED, completed_at),
    ):
        if at is None:
            continue
        event, _created = LearningEvent.objects.get_or_create(
            coop=coop,
            learner_key=key,
            kind=kind,
            module=module,
            activity=None,
            defaults={"channel": channel},
        )
        LearningEvent.objects.filter(pk=event.pk).update(created_at=at, channel=channel)


__all__ += [
    "ModuleTarget",
    "demo_attributed_progress",
    "module_targets",
    "source_daily_counts",
    "target_url",
]


# --- kit (k2): the print kit's pieces (flyer, booklets, leaflets) -----------------------

# Kinds of activity that are a video (a welcome booklet gives each one its QR code).
VIDEO_KINDS = frozenset({"video", "testimonial"})
LEAFLET_KIND = "leaflet"


def audiences() -> list[tuple[str, str]]:
    """(value, label) of the profiles a welcome booklet can be made for."""
    from coopculture.learning.models import Audience

    return list(Audience.choices)


@_dataclass(frozen=True)
class KitActivity:
    position: int
    title: str
    kind: str


@_dataclass(frozen=True)
class KitModule:
    """A module as the print kit shows it for one coop (plain values only)."""

    slug: str
    title: str
    summary: str
    duration_minutes: int
    highlighted: bool
    recommended: bool
    audiences: tuple[str, ...]
    videos: tuple[KitActivity, ...] = ()
    leaflets: tuple[KitActivity, ...] = ()

    def concerns(self, audience: str) -> bool:
        return not self.audiences or audience in self.audiences


def kit_modules(*, coop) -> list[KitModule]:
    """The published modules that concern `coop` (highlighted first, in the coop's order),
    with their videos and leaflets. Three queries."""
    from coopculture.learning.selectors import printed_modules

    return [_kit_module(item) for item in printed_modules(coop=coop)]


def kit_content(*, coop) -> tuple[list[KitModule], dict]:
    """What a whole kit prints, in one read (three queries): kit_modules, and the content
    of every leaflet by (module slug, position), to give back to leaflet_pdf(source=...)."""
    from coopculture.learning.leaflets import leaflet_sources
    from coopculture.learning.selectors import printed_modules

    items = printed_modules(coop=coop)
    return [_kit_module(item) for item in items], leaflet_sources(items)


def _kit_module(item) -> KitModule:
    from coopculture.learning.models import ModuleStatus

    module = item.module
    own = module.steps.all()
    return KitModule(
        slug=module.slug,
        title=module.title,
        summary=module.summary,
        duration_minutes=module.duration_minutes,
        highlighted=item.highlighted,
        recommended=item.status == ModuleStatus.RECOMMENDED,
        audiences=tuple(module.audiences or ()),
        videos=tuple(
            KitActivity(a.position, a.title, a.kind) for a in own if a.kind in VIDEO_KINDS
        ),
        leaflets=tuple(
            KitActivity(a.position, a.title, a.kind) for a in own if a.kind == LEAFLET_KIND
        ),
    )


def leaflet_pdf(**kwargs) -> tuple[str, bytes]:
    """(file name, PDF) of a module's leaflet: see learning.leaflets.leaflet_pdf."""
    from coopculture.learning.leaflets import leaflet_pdf as build

    return build(**kwargs)


__all__ += [
    "KitActivity",
    "KitModule",
    "audiences",
    "kit_content",
    "kit_modules",
    "leaflet_pdf",
]
