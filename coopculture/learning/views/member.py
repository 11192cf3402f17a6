"""The learning path as members see it, under /c/<coop_slug>/parcours/.

The coop middleware has resolved request.coop and opened its scope. Anyone may follow
the path: progress belongs to the browser session's learner key (created on the first
recorded activity, never on a plain visit) and, once signed in, to the account.
Reads go through learning.selectors, writes through learning.services; GETs write nothing.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from coopculture.core import attribution
from coopculture.core.ratelimit import rate_limited
from coopculture.learning import grading, learners, selectors, services
from coopculture.learning.forms import answer_form_for
from coopculture.learning.models import ActivityKind, ModuleStatus
from coopculture.learning.rendering import GlossaryLinker, markdown_to_html, render_body

# The last answers to each quiz or game, so that the result page can follow a redirect.
SESSION_ANSWERS = "learning_answers"
MAX_KEPT_ANSWERS = 20
# Kinds whose Markdown may hold glossary terms (the others need no glossary query).
KINDS_WITH_TEXT = {
    ActivityKind.TEXT,
    ActivityKind.VIDEO,
    ActivityKind.TESTIMONIAL,
    ActivityKind.LEAFLET,
}
GRADED_KINDS = {ActivityKind.QUIZ, ActivityKind.GAME}


# --- Helpers -------------------------------------------------------------------------------


def _progress(request) -> selectors.Progress:
    """This learner's progress in the coop (no session is created just to read it)."""
    return selectors.learner_progress(
        coop=request.coop,
        learner_key=learners.learner_key_for(request, create=False),
        user=request.user,
    )


def _not_applicable_reason(item: selectors.CoopModule, coop) -> dict:
    """Why a module does not concern the coop: the activities it is about that the coop
    lacks, or else the coop's own choice."""
    lacking = [a for a in item.module.concerns or [] if not coop.has_activity(a)]
    by_activities = bool(item.module.concerns) and len(lacking) == len(item.module.concerns)
    return {"lacking": lacking if by_activities else [], "coop_choice": not by_activities}


@dataclass
class ModuleCard:
    item: selectors.CoopModule
    state: str  # new, started, completed
    reason: dict | None = None

    @property
    def module(self):
        return self.item.module


def _module_and_activity(request, module_slug: str, position: int):
    item = selectors.access_coop_module(coop=request.coop, slug=module_slug)
    activities = list(item.module.steps.all())  # prefetched, in order
    index = next((i for i, a in enumerate(activities) if a.position == position), None)
    if index is None:
        raise Http404
    return item, activities, index


def _activity_url(coop, module, activity) -> str:
    return reverse(
        "learning:activity",
        kwargs={"coop_slug": coop.slug, "module_slug": module.slug, "position": activity.position},
    )


def _module_url(coop, module) -> str:
    return reverse("learning:module", kwargs={"coop_slug": coop.slug, "module_slug": module.slug})


def _leaflet_url(coop, module, activity) -> str:
    """The leaflet's PDF (built by the documents app)."""
    return reverse(
        "learning_documents:leaflet",
        kwargs={"coop_slug": coop.slug, "module_slug": module.slug, "position": activity.position},
    )


def _keep_answers(request, activity, raw: dict) -> None:
    kept = dict(request.session.get(SESSION_ANSWERS, {}))
    kept.pop(str(activity.pk), None)
    kept[str(activity.pk)] = raw
    while len(kept) > MAX_KEPT_ANSWERS:
        kept.pop(next(iter(kept)))
    request.session[SESSION_ANSWERS] = kept


def _kept_answers(request, activity) -> dict | None:
    return request.session.get(SESSION_ANSWERS, {}).get(str(activity.pk))


def _grade(activity, form):
    if activity.kind == ActivityKind.QUIZ:
        return grading.grade_quiz(activity.content, form.answers())
    return grading.grade_game(activity.content, form.answers())


# --- Pages ---------------------------------------------------------------------------------


@require_safe
def home(request, coop_slug):
    coop = request.coop
    items = selectors.coop_module_list(coop=coop)
    progress = _progress(request)

    resume, resume_step = selectors.resume_module(items, progress), None
    if resume is not None:
        resume_step = selectors.next_step(
            resume.module, list(resume.module.steps.order_by("position")), progress
        )

    groups = {"highlighted": [], "recommended": [], "optional": [], "not_applicable": []}
    for item in items:
        card = ModuleCard(item=item, state=progress.module_state(item.module))
        if item.status == ModuleStatus.NOT_APPLICABLE:
            card.reason = _not_applicable_reason(item, coop)
        if item.highlighted:
            groups["highlighted"].append(card)
        else:
            groups[item.status].append(card)
    return render(
        request,
        "learning/member/home.html",
        {
            "groups": groups,
            "resume": resume,
            "resume_step": resume_step,
            "has_modules": bool(items),
        },
    )


@require_safe
def glossary(request, coop_slug):
    return render(request, "learning/member/glossary.html", {"terms": selectors.glossary_terms()})


@require_safe
def module_detail(request, coop_slug, module_slug):
    item = selectors.access_coop_module(coop=request.coop, slug=module_slug)
    module = item.module
    activities = list(module.steps.all())
    progress = _progress(request)
    steps = [
        {
            "activity": a,
            "done": progress.is_done(a),
            "state": selectors.activity_state(a, progress),
            "score": progress.scores.get(a.pk),
        }
        for a in activities
    ]
    return render(
        request,
        "learning/member/module.html",
        {
            "item": item,
            "module": module,
            "steps": steps,
            "state": progress.module_state(module),
            "complete": module.pk in progress.completed,
            "next_step": selectors.next_step(module, activities, progress),
            "done_count": sum(s["state"] == "done" for s in steps),
            "note_html": markdown_to_html(item.note_sentence) if item.note else "",
            "reason": (
                _not_applicable_reason(item, request.coop)
                if item.status == ModuleStatus.NOT_APPLICABLE
                else None
            ),
        },
    )


def _activity_context(request, item, activities, index, progress) -> dict:
    coop = request.coop
    module = item.module
    activity = activities[index]
    context = {
        "item": item,
        "module": module,
        "activity": activity,
        "activities": activities,
        "number": index + 1,
        "total": len(activities),
        "previous": activities[index - 1] if index > 0 else None,
        "next": activities[index + 1] if index + 1 < len(activities) else None,
        "done": progress.is_done(activity),
        "passed": progress.done.get(activity.pk),
        "state": selectors.activity_state(activity, progress),
        "score": progress.scores.get(activity.pk),
        "done_count": sum(selectors.activity_state(a, progress) == "done" for a in activities),
        "content": activity.content,
    }
    if activity.kind in KINDS_WITH_TEXT:
        linker = GlossaryLinker(
            selectors.glossary_terms(),
            reverse("learning:glossary", kwargs={"coop_slug": coop.slug}),
        )

        def render_md(text):
            return render_body(text or "", coop=coop, linker=linker)

        content = activity.content
        if activity.kind == ActivityKind.TEXT:
            context["body_html"] = render_md(content.get("body"))
        elif activity.kind == ActivityKind.LEAFLET:
            context["intro_html"] = render_md(content.get("intro"))
            context["sections"] = [
                {"title": s.get("title", ""), "body_html": render_md(s.get("body"))}
                for s in content.get("sections", [])
            ]
            context["leaflet_url"] = _leaflet_url(coop, module, activity)
        else:
            context["transcript_html"] = render_md(content.get("transcript"))
            external = content.get("external_url") or ""
            context["external_url"] = external
            context["external_host"] = urlsplit(external).hostname if external else ""
    return context


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited("learning.answers", limit=120)  # a whole session room may share one address
def activity_detail(request, coop_slug, module_slug, position):
    coop = request.coop
    item, activities, index = _module_and_activity(request, module_slug, position)
    module, activity = item.module, activities[index]
    form = None

    if activity.kind in GRADED_KINDS:
        form = answer_form_for(activity, request.POST if request.method == "POST" else None)
        if form is None:  # content the validation would have refused
            raise Http404
    if request.method == "POST" and (form is None or form.is_valid()):
        score = passed = None
        if form is not None:
            result = _grade(activity, form)
            passed = result.passed
            score = None if getattr(result, "survey", False) else result.score
        completed = services.learning_record_activity(
            coop=coop,
            learner_key=learners.learner_key_for(request),
            user=request.user,
            activity=activity,
            score=score,
            passed=passed,
            channel=attribution.first_source(request),
        )
        if completed:
            messages.success(
                request,
                _("Well done: you have completed the module “%(title)s”.")
                % {"title": module.title},
            )
        if form is not None:
            _keep_answers(request, activity, form.raw())
            return redirect(
                "learning:activity-result",
                coop_slug=coop.slug,
                module_slug=module.slug,
                position=activity.position,
            )
        if not completed:
            messages.success(request, _("Activity done."))
        following = activities[index + 1] if index + 1 < len(activities) else None
        if completed or following is None:
            return redirect(_module_url(coop, module))
        return redirect(_activity_url(coop, module, following))

    # A GET, or answers with a problem: (re)display the page, nothing recorded.
    context = _activity_context(request, item, activities, index, _progress(request))
    context["form"] = form
    return render(request, "learning/member/activity.html", context)


def _quiz_view(activity, result) -> list[dict]:
    questions = []
    for question, graded in zip(
        activity.content.get("questions", []), result.questions, strict=False
    ):
        choices = []
        for ci, choice in enumerate(question.get("choices", [])):
            chosen, correct = ci in graded.chosen, ci in graded.correct
            choices.append(
                {
                    "text": choice.get("text", ""),
                    "chosen": chosen,
                    "correct": correct and not result.survey,
                    "explanation": (
                        choice.get("explanation", "")
                        if (chosen or correct) and not result.survey
                        else ""
                    ),
                }
            )
        questions.append(
            {"text": question.get("text", ""), "right": graded.is_right, "choices": choices}
        )
    return questions


def _game_view(activity, result) -> list[dict]:
    game = activity.content.get("game")
    items = []
    for entry in result.items:
        given, expected = entry["given"], entry["expected"]
        if game == "true_false":
            given = _("True") if given else _("False")
            expected = _("True") if expected else _("False")
        items.append({**entry, "given_label": str(given), "expected_label": str(expected)})
    return items


@require_safe
def activity_result(request, coop_slug, module_slug, position):
    coop = request.coop
    item, activities, index = _module_and_activity(request, module_slug, position)
    module, activity = item.module, activities[index]
    if activity.kind not in GRADED_KINDS:
        raise Http404
    raw = _kept_answers(request, activity)
    form = answer_form_for(activity, MultiValueDict(raw)) if raw is not None else None
    if form is None or not form.is_valid():  # nothing answered yet (or the content changed)
        return redirect(_activity_url(coop, module, activity))
    result = _grade(activity, form)
    context = _activity_context(request, item, activities, index, _progress(request))
    game_items = _game_view(activity, result) if activity.kind == ActivityKind.GAME else []
    context.update(
        {
            "result": result,
            "pass_mark": int(activity.content.get("pass_mark", 0)),
            "survey": bool(getattr(result, "survey", False)),
            "questions": _quiz_view(activity, result) if activity.kind == ActivityKind.QUIZ else [],
            "game_items": game_items,
            "right_count": sum(entry["right"] for entry in game_items),
            "right_order": activity.content.get("steps", []),
        }
    )
    return render(request, "learning/member/activity_result.html", context)
