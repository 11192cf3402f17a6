"""Valid learning content for tests: one module per call, any activity kinds."""

import itertools

from coopculture.learning.models import Activity, GlossaryTerm, Module, PublicationStatus

_counter = itertools.count(1)

CONTENT = {
    "text": {
        "body": (
            "Une coopérative appartient à ses **associés**.\n\n"
            "::: exemple gestion_locative\n"
            "Votre loyer finance l'entretien de votre résidence.\n"
            ":::\n"
        )
    },
    "video": {
        "transcript": "Sami découvre qu'il devient associé de sa coop.",
        "external_url": "",
        "duration_seconds": 180,
        "demo": True,
    },
    "testimonial": {
        "quote": "J'ai découvert que ma voix comptait.",
        "person": "Marc (fictif)",
        "role": "locataire et administrateur",
        "transcript": "",
    },
    "quiz": {
        "pass_mark": 50,
        "questions": [
            {
                "text": "En devenant coopérateur, je souscris…",
                "multiple": False,
                "choices": [
                    {"text": "une action en Bourse", "correct": False, "explanation": "Non."},
                    {"text": "au moins une part sociale", "correct": True, "explanation": "Oui."},
                ],
            },
            {
                "text": "Qui élit les administrateurs ?",
                "multiple": False,
                "choices": [
                    {"text": "le directeur", "correct": False, "explanation": ""},
                    {"text": "l'assemblée générale", "correct": True, "explanation": ""},
                ],
            },
        ],
    },
    "game": {
        "game": "true_false",
        "intro": "Vrai ou faux ?",
        "statements": [
            {"text": "Le conseil syndical remplace l'AG.", "answer": False, "explanation": ""},
            {
                "text": "L'AG de copropriété se réunit chaque année.",
                "answer": True,
                "explanation": "",
            },
        ],
    },
    "leaflet": {
        "intro": "Les mots de la copro.",
        "sections": [{"title": "Syndic", "body": "Le gestionnaire de l'immeuble."}],
    },
}


def make_module(
    *,
    kinds=("text", "quiz"),
    concerns=(),
    recommended_for=(),
    status=PublicationStatus.PUBLISHED,
    **fields,
) -> Module:
    n = next(_counter)
    module = Module.objects.create(
        slug=fields.pop("slug", f"module-{n}"),
        title=fields.pop("title", f"Module {n}"),
        summary=fields.pop("summary", "Un module de test."),
        duration_minutes=fields.pop("duration_minutes", 10),
        position=fields.pop("position", n),
        concerns=list(concerns),
        recommended_for=list(recommended_for),
        status=status,
        **fields,
    )
    for position, kind in enumerate(kinds, start=1):
        Activity.objects.create(
            module=module,
            position=position,
            kind=kind,
            title=f"{kind} {position}",
            content=CONTENT[kind],
        )
    return module


def make_glossary() -> list[GlossaryTerm]:
    return [
        GlossaryTerm.objects.create(
            term="associé",
            slug="associe",
            definition="Personne qui détient au moins une part sociale.",
            variants=["associés", "associée"],
        ),
        GlossaryTerm.objects.create(
            term="part sociale",
            slug="part-sociale",
            definition="Petite somme qui fait de vous un associé de la coop.",
            variants=["parts sociales"],
        ),
    ]
