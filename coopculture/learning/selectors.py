"""Reads of the learning path: the canonical content seen through a coop's overlay."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext as _

from coopculture.learning.models import (
    Activity,
    ActivityKind,
    CoopModuleSetting,
    EventKind,
    GlossaryTerm,
    LearningEvent,
    Module,
    ModuleStatus,
    PublicationStatus,
)

STATUS_ORDER = {
    ModuleStatus.RECOMMENDED: 0,
    ModuleStatus.OPTIONAL: 1,
    ModuleStatus.NOT_APPLICABLE: 2,
}


@dataclass
class CoopModule:
    """A module as one coop shows it."""

    module: Module
    status: str
    default_status: str
    highlighted: bool = False
    highlight_position: int = 0
    note: str = ""
    setting: CoopModuleSetting | None = None
    coop_name: str = ""

    @property
    def note_sentence(self) -> str:
        """The coop's note as a whole sentence: notes are written to follow "Chez <coop>, …"
        (the staff form says so), so one that starts in lower case gets that start."""
        return note_sentence(self.note, self.coop_name)

    @property
    def status_label(self) -> str:
        return str(ModuleStatus(self.status).label)

    @property
    def sort_key(self):
        return (
            0 if self.highlighted else 1,
            self.highlight_position if self.highlighted else 0,
            STATUS_ORDER[self.status],
            self.module.position,
            self.module.pk,
        )


def note_sentence(note: str, coop_name: str) -> str:
    text = (note or "").strip()
    first = next((c for c in text if c.isalpha()), "")
    if not first or not first.islower() or not coop_name:
        return text
    return _("At %(name)s, %(note)s") % {"name": coop_name, "note": text}


def _published_modules():
    return Module.objects.filter(status=PublicationStatus.PUBLISHED)


def coop_module_list(
    *, coop, include_drafts: bool = False, with_steps: bool = False
) -> list[CoopModule]:
    """Every module for `coop`: highlighted first (in their order), then recommended,
    optional, and the ones that do not concern the coop last. Two queries (three
    `with_steps`: each module's activities, in order)."""
    modules = Module.objects.all() if include_drafts else _published_modules()
    if with_steps:
        modules = modules.prefetch_related(
            Prefetch("steps", queryset=Activity.objects.order_by("position"))
        )
    settings_by_module = {s.module_id: s for s in CoopModuleSetting.objects.filter(coop=coop)}
    return _coop_items(coop, modules.order_by("position", "id"), settings_by_module)


def _coop_items(coop, modules, settings_by_module) -> list[CoopModule]:
    """`modules` as `coop` shows them, given its settings by module id (no query)."""
    items = []
    for module in modules:
        default = module.default_status_for(coop.activities)
        setting = settings_by_module.get(module.pk)
        items.append(
            CoopModule(
                module=module,
                status=(setting.status if setting and setting.status else default),
                default_status=default,
                highlighted=bool(setting and setting.highlighted),
                highlight_position=setting.highlight_position if setting else 0,
                note=setting.note if setting else "",
                setting=setting,
                coop_name=coop.name,
            )
        )
    return sorted(items, key=lambda item: item.sort_key)


def printed_modules(*, coop) -> list[CoopModule]:
    """The modules the print kit shows for `coop`: published, not marked as not concerning
    it, in the coop's order, each with its activities in order. Three queries."""
    return [
        item
        for item in coop_module_list(coop=coop, with_steps=True)
        if item.status != ModuleStatus.NOT_APPLICABLE
    ]


def access_coop_module(*, coop, slug: str, include_drafts: bool = False) -> CoopModule:
    """One module with its activities, as `coop` shows it (404 if unpublished)."""
    modules = Module.objects.all() if include_drafts else _published_modules()
    module = (
        modules.filter(slug=slug)
        .prefetch_related(Prefetch("steps", queryset=Activity.objects.order_by("position")))
        .first()
    )
    if module is None:
        raise Http404
    setting = CoopModuleSetting.objects.filter(coop=coop, module=module).first()
    default = module.default_status_for(coop.activities)
    return CoopModule(
        module=module,
        status=(setting.status if setting and setting.status else default),
        default_status=default,
        highlighted=bool(setting and setting.highlighted),
        highlight_position=setting.highlight_position if setting else 0,
        note=setting.note if setting else "",
        setting=setting,
        coop_name=coop.name,
    )


def glossary_terms() -> list[GlossaryTerm]:
    return list(GlossaryTerm.objects.order_by("term"))


@dataclass
class Progress:
    """What one learner has done in one coop's space (from a single query)."""

    started: set[int] = field(default_factory=set)
    completed: set[int] = field(default_factory=set)
    done: dict[int, bool | None] = field(default_factory=dict)  # activity id -> passed
    scores: dict[int, int | None] = field(default_factory=dict)  # activity id -> best score
    last_module_id: int | None = None

    def is_done(self, activity: Activity) -> bool:
        return activity.pk in self.done

    def module_state(self, module: Module) -> str:
        if module.pk in self.completed:
            return "completed"
        if module.pk in self.started:
            return "started"
        return "new"


def learner_progress(*, coop, learner_key, user=None) -> Progress:
    who = Q(learner_key=learner_key) if learner_key else Q(pk__in=[])
    if user is not None and user.is_authenticated:
        who |= Q(user=user)
    rows = (
        LearningEvent.objects.filter(who, coop=coop)
        .order_by("updated_at")
        .values_list("kind", "module_id", "activity_id", "passed", "score")
    )
    return _progress_from(rows)


def _progress_from(rows) -> Progress:
    """Progress from event rows (kind, module id, activity id, passed, score), oldest first."""
    progress = Progress()
    for kind, module_id, activity_id, passed, score in rows:
        if kind == EventKind.MODULE_STARTED:
            progress.started.add(module_id)
            progress.last_module_id = module_id
        elif kind == EventKind.MODULE_COMPLETED:
            progress.completed.add(module_id)
        elif kind == EventKind.ACTIVITY_DONE:
            # Passed on any device counts as passed; the best score is kept.
            progress.done[activity_id] = progress.done.get(activity_id) or passed
            best = progress.scores.get(activity_id)
            if score is not None and (best is None or score > best):
                progress.scores[activity_id] = score
            progress.last_module_id = module_id
    return progress


# --- Completion: the one definition ---------------------------------------------------------
# A module is complete when every required activity is done and every required quiz is
# PASSED (its pass mark reached; a survey always passes). Games count once played. The
# MODULE_COMPLETED event is recorded (services.learning_record_activity) only when this
# holds, so every figure that counts completions (staff, kit, campaigns) agrees with it.


def must_pass(activity: Activity) -> bool:
    """Whether `activity` must be passed, not only done, for its module to be complete."""
    return activity.required and activity.kind == ActivityKind.QUIZ


def activity_state(activity: Activity, progress: Progress) -> str:
    """ "todo" (never done), "retry" (a quiz that must be passed and is not yet) or "done"."""
    if activity.pk not in progress.done:
        return "todo"
    if must_pass(activity) and not progress.done[activity.pk]:
        return "retry"
    return "done"


def activities_left(activities, progress: Progress) -> list[Activity]:
    """The required activities that still stand between the learner and completion."""
    return [a for a in activities if a.required and activity_state(a, progress) != "done"]


def module_is_complete(module: Module, activities, progress: Progress) -> bool:
    return not activities_left(activities, progress)


def next_step(module: Module, activities, progress: Progress):
    """Where "continue" leads: the first activity not done, or else the first required
    quiz not passed yet; None when there is nothing left."""
    step = next((a for a in activities if a.pk not in progress.done), None)
    if step is None:
        step = next((a for a in activities if activity_state(a, progress) == "retry"), None)
    return step


def path_required(items: list[CoopModule]) -> list[CoopModule]:
    """The modules the whole-path certificate requires: the coop's recommended ones (the
    ones shown as "Optional" or as not concerning the coop are not required)."""
    return [item for item in items if item.status == ModuleStatus.RECOMMENDED]


def resume_module(items: list[CoopModule], progress: Progress) -> CoopModule | None:
    """Where "Reprendre où j'en étais" leads: the last module touched, if not complete."""
    by_id = {item.module.pk: item for item in items}
    if progress.last_module_id in by_id and progress.last_module_id not in progress.completed:
        return by_id[progress.last_module_id]
    return next(
        (
            item
            for item in items
            if item.module.pk in progress.started and item.module.pk not in progress.completed
        ),
        None,
    )


# --- "Mon espace": a signed-in learner's coops, progress and certificates ------------------


@dataclass
class SpaceModule:
    item: CoopModule
    state: str  # new, started, completed
    done: int
    total: int


@dataclass
class LearnerSpace:
    """One coop of a signed-in learner, as "Mon espace" shows it."""

    coop: object
    modules: list[SpaceModule]
    required_total: int
    required_done: int

    @property
    def path_certificate(self) -> bool:
        return bool(self.required_total) and self.required_done == self.required_total

    @property
    def completed(self) -> list[SpaceModule]:
        return [m for m in self.modules if m.state == "completed"]


def learner_spaces(*, user, learner_key=None) -> list[LearnerSpace]:
    """The coops where `user` is a member or has learnt (signed in), by name, each with
    its modules (those that concern the coop, and any other one started) and where the
    learner stands. A fixed number of queries, however many coops."""
    from django_scopes import scopes_disabled

    from coopculture.coops.models import Coop
    from coopculture.members.selectors import member_coop_ids

    if user is None or not user.is_authenticated:
        return []
    who = Q(user=user) | (Q(learner_key=learner_key) if learner_key else Q(pk__in=[]))
    rows_by_coop: dict[int, list] = {}
    with scopes_disabled():  # the person's own progress and records, wherever they are
        for coop_id, *row in (
            LearningEvent.objects.filter(who)
            .order_by("updated_at")
            .values_list("coop_id", "kind", "module_id", "activity_id", "passed", "score")
        ):
            rows_by_coop.setdefault(coop_id, []).append(row)
        coops = list(
            Coop.objects.filter(
                pk__in=set(rows_by_coop) | member_coop_ids(user=user), is_active=True
            ).order_by("name")
        )
        settings: dict[int, dict[int, CoopModuleSetting]] = {}
        for setting in CoopModuleSetting.objects.filter(coop__in=coops):
            settings.setdefault(setting.coop_id, {})[setting.module_id] = setting
    modules = list(
        _published_modules()
        .prefetch_related(Prefetch("steps", queryset=Activity.objects.order_by("position")))
        .order_by("position", "id")
    )
    spaces = []
    for coop in coops:
        items = _coop_items(coop, modules, settings.get(coop.pk, {}))
        progress = _progress_from(rows_by_coop.get(coop.pk, []))
        rows = []
        for item in items:
            state = progress.module_state(item.module)
            if item.status == ModuleStatus.NOT_APPLICABLE and state == "new":
                continue
            steps = list(item.module.steps.all())
            rows.append(
                SpaceModule(
                    item=item,
                    state=state,
                    done=sum(activity_state(a, progress) == "done" for a in steps),
                    total=len(steps),
                )
            )
        required = path_required(items)
        spaces.append(
            LearnerSpace(
                coop=coop,
                modules=rows,
                required_total=len(required),
                required_done=sum(i.module.pk in progress.completed for i in required),
            )
        )
    return spaces
