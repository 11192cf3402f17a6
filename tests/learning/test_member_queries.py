"""The member learning pages run a fixed number of SQL queries (at most 10, DESIGN.md §6),
whatever the number of modules, activities and progress rows."""

import uuid

import pytest
from django_scopes import scopes_disabled

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coopculture.coops.scoping import coop_scope
from coopculture.learning import services
from coopculture.learning.models import Activity, CoopModuleSetting, GlossaryTerm, LearningEvent
from tests.learning.factories import CONTENT, make_glossary, make_module

pytestmark = pytest.mark.django_db

BUDGET = 10
SMALL_KINDS = (("text", "video", "quiz"), ("testimonial", "game", "leaflet"))
ALL_KINDS = ("text", "video", "testimonial", "quiz", "game", "leaflet")


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def page_urls(coop, modules) -> dict[str, str]:
    """Home, glossary, both module pages, every activity page (all six kinds) and the
    result pages of the quiz and the game."""
    kwargs = {"coop_slug": coop.slug}
    urls = {
        "home": reverse("learning:home", kwargs=kwargs),
        "glossary": reverse("learning:glossary", kwargs=kwargs),
    }
    for module, kinds in zip(modules, SMALL_KINDS, strict=True):
        urls[f"module {module.slug}"] = reverse(
            "learning:module", kwargs={**kwargs, "module_slug": module.slug}
        )
        for position, kind in enumerate(kinds, start=1):
            args = {**kwargs, "module_slug": module.slug, "position": position}
            urls[kind] = reverse("learning:activity", kwargs=args)
            if kind in ("quiz", "game"):
                urls[f"{kind} result"] = reverse("learning:activity-result", kwargs=args)
    return urls


def grow(coop, modules, *, learner_key, user) -> None:
    """From 2 modules of 3 activities to 8 modules of 6, with 50+ progress rows of this
    learner, more glossary terms and coop settings."""
    for module in modules:
        for position, kind in enumerate(ALL_KINDS[:3], start=4):
            Activity.objects.create(
                module=module, position=position, kind=kind, title=kind, content=CONTENT[kind]
            )
    extra = [make_module(kinds=ALL_KINDS) for _ in range(6)]
    with scopes_disabled():
        for module in extra[:3]:
            CoopModuleSetting.objects.create(coop=coop, module=module, highlighted=True, note="x")
    for i in range(10):
        GlossaryTerm.objects.create(term=f"terme {i}", slug=f"terme-{i}", definition="d")
    with coop_scope(coop):
        for module in extra:
            for activity in module.steps.all():
                services.learning_record_activity(
                    coop=coop,
                    learner_key=learner_key,
                    user=user,
                    activity=activity,
                    passed=True,  # quizzes passed: the modules complete
                )
        # Someone else's progress too.
        for activity in extra[0].steps.all():
            services.learning_record_activity(
                coop=coop, learner_key=uuid.uuid4(), user=None, activity=activity
            )
    with scopes_disabled():
        assert LearningEvent.objects.filter(learner_key=learner_key).count() >= 50


@pytest.mark.parametrize("actor", ["anonymous", "member"])
def test_member_pages_keep_a_fixed_number_of_queries(actor, coop, users, client_for):
    make_glossary()
    modules = [make_module(kinds=kinds) for kinds in SMALL_KINDS]
    client = client_for(users["member"] if actor == "member" else None)
    urls = page_urls(coop, modules)

    # Progress on the first module (the "resume" card), and answers for the result pages.
    first = urls["text"]
    client.post(first)
    client.post(urls["quiz"], {"q0": "1", "q1": "0"})
    client.post(urls["game"], {"s0": "false", "s1": "false"})
    learner_key = uuid.UUID(client.session["learner_key"])
    user = users["member"] if actor == "member" else None

    for url in urls.values():
        client.get(url)  # warm the session
    small = {name: count_queries(client, url) for name, url in urls.items()}

    grow(coop, modules, learner_key=learner_key, user=user)
    large = {name: count_queries(client, url) for name, url in urls.items()}

    assert small == large
    over = {name: n for name, n in large.items() if n > BUDGET}
    assert not over, f"over the budget of {BUDGET} queries: {over}"
