"""The demo learning path (DOMAIN.md §7.2 and §7.4), loaded from its content bundle."""

import io
import json

import pytest
from PIL import Image

from django.core.files.storage import default_storage
from django.core.management import call_command

from coopculture.coops.demo import COOPS
from coopculture.learning.bundles import import_bundle_dir, validate_bundle
from coopculture.learning.content import content_errors
from coopculture.learning.demo import DEMO_BUNDLE, load_demo_content
from coopculture.learning.models import (
    Activity,
    GlossaryTerm,
    Module,
    ModuleStatus,
    PublicationStatus,
)
from coopculture.learning.rendering import split_examples

pytestmark = pytest.mark.django_db

TITLES = [
    "Ma coop, c'est quoi ?",
    "Une voix pour chacun : la gouvernance",
    "Devenir propriétaire avec sa coop",
    "Du chantier à la remise des clés",
    "Vivre en copropriété : qui fait quoi ?",
    "Locataire d'une coop : bien vivre chez soi",
    "S'impliquer dans sa coop",
]
LEAFLETS = [
    "Ma coop en 10 mots",
    "Comment se passe l'AG de ma coop ?",
    "Les trois garanties qui sécurisent votre achat",
    "Ma check-list du jour de livraison",
    "Les mots de la copro expliqués simplement",
    "Bien vivre dans mon logement",
    "Dix façons de participer à la vie coopérative",
]
GAMES = ["matching", "true_false", "ordering", "true_false", "true_false", "matching", "true_false"]
QUIZ_SIZES = [3, 3, 4, 3, 4, 3, 3]
REC, OPT, NOT = ModuleStatus.RECOMMENDED, ModuleStatus.OPTIONAL, ModuleStatus.NOT_APPLICABLE
# DOMAIN.md §7.2 applicability matrix: module -> (Coop'Horizon, Coteaux, Val d'Orme).
MATRIX = [
    (REC, REC, REC),
    (REC, REC, REC),
    (REC, REC, REC),
    (REC, REC, REC),
    (OPT, REC, REC),
    (NOT, NOT, REC),
    (REC, REC, REC),
]


@pytest.fixture
def demo():
    load_demo_content()
    return list(Module.objects.order_by("position").prefetch_related("steps"))


def steps_of(module, kind=None):
    steps = sorted(module.steps.all(), key=lambda a: a.position)
    return [a for a in steps if kind is None or a.kind == kind]


def test_demo_bundle_is_valid():
    """The committed bundle passes the importer's validation without a single error."""
    assert validate_bundle(DEMO_BUNDLE) == []


def test_seven_published_modules_in_order(demo):
    """The 7 modules of §7.2, published, at positions 1 to 7, with their titles."""
    assert [m.title for m in demo] == TITLES
    assert [m.position for m in demo] == list(range(1, 8))
    assert all(m.status == PublicationStatus.PUBLISHED for m in demo)
    assert all(m.summary and m.duration_minutes > 0 for m in demo)


def test_every_activity_content_is_valid(demo):
    """Each activity's JSON passes the content checks of its kind."""
    activities = Activity.objects.all()
    assert activities.count() >= 7 * 4
    for activity in activities:
        assert content_errors(activity.kind, activity.content) == [], activity


def test_applicability_matrix(demo):
    """Badges per demo coop follow the matrix of §7.2 (module 6 only for Val d'Orme...)."""
    coops = {spec["slug"]: spec["activities"] for spec in COOPS}
    order = ["coop-horizon", "habitat-coteaux", "val-dorme"]
    for module, expected in zip(demo, MATRIX, strict=True):
        got = tuple(module.default_status_for(coops[slug]) for slug in order)
        assert got == expected, module.title


def test_each_module_has_a_demo_video_with_poster_and_transcript(demo):
    """The first step is a video or testimonial flagged as a demo, with a real poster."""
    for module in demo:
        first = steps_of(module)[0]
        assert first.kind in {"video", "testimonial"}
        assert first.content["demo"] is True
        assert len(first.content["transcript"].split("\n\n")) >= 3
        assert "démonstration" in first.content["transcript"]
        assert not first.media and first.content.get("external_url", "") == ""
        with default_storage.open(first.poster.name, "rb") as poster:
            data = poster.read()
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (1280, 720)


def test_quizzes_explain_every_choice(demo):
    """Quizzes hold the questions of §7.2, every choice explained; module 7 is a survey."""
    for module, size in zip(demo, QUIZ_SIZES, strict=True):
        (quiz,) = steps_of(module, "quiz")
        assert len(quiz.content["questions"]) == size, module.title
        for question in quiz.content["questions"]:
            assert all(choice["explanation"].strip() for choice in question["choices"])
        if module.position == 7:
            assert quiz.content["survey"] is True
        else:
            assert quiz.content["pass_mark"] == 60
            assert not quiz.content.get("survey")


def test_games_and_leaflets(demo):
    """One game per module (kinds of the brief) and the leaflet named in §7.2."""
    for module, game_kind, leaflet_title in zip(demo, GAMES, LEAFLETS, strict=True):
        (game,) = steps_of(module, "game")
        assert game.content["game"] == game_kind, module.title
        (leaflet,) = steps_of(module, "leaflet")
        assert leaflet.title == leaflet_title
        assert 3 <= len(leaflet.content["sections"]) <= 5
    first_game = steps_of(demo[0], "game")[0].content
    assert first_game["targets"] == ["coopérateur", "associé non utilisateur"]
    assert steps_of(demo[2], "game")[0].content["steps"][0].startswith("Signer le contrat")


def test_example_blocks_for_rental_and_syndic(demo):
    """Text bodies carry examples tagged gestion_locative (modules 1, 2) and syndic."""
    tagged = {}
    for module in demo:
        for text in steps_of(module, "text"):
            for segment in split_examples(text.content["body"]):
                for activity in segment.activities:
                    tagged.setdefault(activity, set()).add(module.position)
    assert {1, 2} <= tagged["gestion_locative"]
    assert tagged["syndic"]


def test_glossary_loaded_with_variants(demo):
    """The glossary of §7.4, each term with its plain definition; plurals as variants."""
    terms = {t.slug: t for t in GlossaryTerm.objects.all()}
    assert len(terms) >= 20
    assert "parts sociales" in terms["part-sociale"].variants
    assert "coopératrices" in terms["cooperateur"].variants
    assert all(t.definition for t in terms.values())


def test_posters_are_small_palette_pngs():
    """The committed posters stay light (palette PNG, under 40 KB each)."""
    data = json.loads((DEMO_BUNDLE / "bundle.json").read_text(encoding="utf-8"))
    posters = {a["poster"] for m in data["modules"] for a in m["activities"] if a["poster"]}
    assert len(posters) == 7
    for path in posters:
        file = DEMO_BUNDLE / path
        assert file.stat().st_size < 40 * 1024
        with Image.open(file) as image:
            assert image.format == "PNG" and image.mode == "P"


def test_loading_twice_changes_nothing(demo):
    """The second load finds everything up to date (no new rows, no new files)."""
    before = {m.slug: m.updated_at for m in Module.objects.all()}
    report = import_bundle_dir(DEMO_BUNDLE)
    assert not report.changed
    assert len(report.modules_unchanged) == 7
    assert report.files_written == 0
    assert {m.slug: m.updated_at for m in Module.objects.all()} == before


def test_load_demo_command_twice(settings):
    """`manage.py load_demo` imports the parcours and can run again safely."""
    settings.DEMO_MODE = True
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)
    assert Module.objects.count() == 7
    assert out.getvalue().count("Parcours de démonstration") == 2
