"""The federation's preview of the path: any module, drafts included, as a given coop
would show it (its status, its note, example notices). Under /federation/parcours/."""

from dataclasses import dataclass, field

from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from coopculture.coops.models import Coop
from coopculture.coops.scoping import coop_scope
from coopculture.coops.views.decorators import federation_required
from coopculture.learning import selectors
from coopculture.learning.models import Activity, Module, ModuleStatus
from coopculture.learning.rendering import GlossaryLinker, markdown_to_html, render_body
from coopculture.learning.views.staff import activity_labels, default_status_reason


@federation_required
def index(request):
    """Every module (drafts too) and every coop; the form opens one module as one coop."""
    modules = list(
        Module.objects.annotate(activity_count=Count("steps")).order_by("position", "id")
    )
    for module in modules:
        module.concerns_labels = activity_labels(module.concerns)
    coops = list(Coop.objects.filter(is_active=True).order_by("name"))
    module_slug, coop_slug = request.GET.get("module", ""), request.GET.get("coop", "")
    if module_slug in {m.slug for m in modules} and coop_slug in {c.slug for c in coops}:
        return redirect("learning_preview:module", coop_slug=coop_slug, module_slug=module_slug)
    return render(
        request,
        "learning/staff/preview_index.html",
        {"modules": modules, "coops": coops, "selected_module": module_slug},
    )


@dataclass
class Block:
    """One piece of an activity, ready to show: a title and safe HTML, or a list."""

    html: str = ""
    title: str = ""
    items: list = field(default_factory=list)


def _render_activity(activity: Activity, *, coop, linker) -> list[Block]:
    """Every text of `activity` rendered for `coop` (example blocks flagged)."""
    content = activity.content or {}

    def body(text) -> str:
        return render_body(text if isinstance(text, str) else "", coop=coop, linker=linker)

    kind = activity.kind
    if kind == "text":
        return [Block(html=body(content.get("body")))]
    if kind == "video":
        return [Block(html=body(content.get("transcript")))]
    if kind == "testimonial":
        blocks = [Block(html=body(content.get("quote")))]
        if content.get("transcript"):
            blocks.append(Block(html=body(content["transcript"])))
        return blocks
    if kind == "quiz":
        return [
            Block(
                html=body(question.get("text")),
                items=[
                    {
                        "text": choice.get("text", ""),
                        "correct": bool(choice.get("correct")),
                        "explanation": body(choice.get("explanation", "")),
                    }
                    for choice in question.get("choices", [])
                    if isinstance(choice, dict)
                ],
            )
            for question in content.get("questions", [])
            if isinstance(question, dict)
        ]
    if kind == "game":
        blocks = [Block(html=body(content.get("intro")))]
        game = content.get("game")
        if game == "true_false":
            blocks += [
                Block(
                    html=body(statement.get("text")),
                    items=[
                        {
                            "answer": statement.get("answer"),
                            "explanation": body(statement.get("explanation", "")),
                        }
                    ],
                )
                for statement in content.get("statements", [])
                if isinstance(statement, dict)
            ]
        elif game == "ordering":
            blocks.append(Block(items=[{"text": step} for step in content.get("steps", [])]))
        elif game == "matching":
            blocks.append(
                Block(
                    items=[
                        {"text": pair.get("item", ""), "match": pair.get("match", "")}
                        for pair in content.get("pairs", [])
                        if isinstance(pair, dict)
                    ]
                )
            )
        return blocks
    if kind == "leaflet":
        blocks = [Block(html=body(content.get("intro")))]
        blocks += [
            Block(title=section.get("title", ""), html=body(section.get("body")))
            for section in content.get("sections", [])
            if isinstance(section, dict)
        ]
        return blocks
    return []


def _not_applicable_reason(item, coop) -> dict:
    """As on the member page: the activities the module is about that the coop lacks,
    or else the coop's own choice (for learning/member/_reason.html)."""
    concerns = item.module.concerns or []
    lacking = [a for a in concerns if not coop.has_activity(a)]
    by_activities = bool(concerns) and len(lacking) == len(concerns)
    return {"lacking": lacking if by_activities else [], "coop_choice": not by_activities}


def _glossary_linker(coop) -> GlossaryLinker:
    """Links to the coop's glossary page."""
    url = reverse("learning:glossary", kwargs={"coop_slug": coop.slug})
    return GlossaryLinker(terms=selectors.glossary_terms(), glossary_url=url)


@federation_required
def module_preview(request, coop_slug, module_slug):
    coop = Coop.objects.filter(slug=coop_slug, is_active=True).first()
    if coop is None:
        raise Http404
    with coop_scope(coop):
        item = selectors.access_coop_module(coop=coop, slug=module_slug, include_drafts=True)
        linker = _glossary_linker(coop)
        activities = [
            {"activity": activity, "blocks": _render_activity(activity, coop=coop, linker=linker)}
            for activity in item.module.steps.all()
        ]
        return render(
            request,
            "learning/staff/preview_module.html",
            {
                "item": item,
                "coop": coop,
                "activities": activities,
                "status_reason": default_status_reason(item.module, coop),
                "note_html": markdown_to_html(item.note_sentence) if item.note else "",
                "reason": (
                    _not_applicable_reason(item, coop)
                    if item.status == ModuleStatus.NOT_APPLICABLE
                    else None
                ),
                "other_coops": Coop.objects.filter(is_active=True)
                .exclude(pk=coop.pk)
                .order_by("name"),
            },
        )
