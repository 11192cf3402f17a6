"""The demo coops' print kit texts (called by `load_demo`; fictional coops)."""

from django_scopes import scopes_disabled

from coopculture.coops.models import Coop
from coopculture.coops.scoping import coop_scope
from coopculture.kit.models import KitSettings

TEXTS = {
    "coop-horizon": {
        "tagline": "Acheter avec sa coop, ça s'apprend : 7 modules courts, gratuits, en ligne.",
        "message": (
            "VEFA, PSLA, BRS : quelles garanties ? Qui décide dans votre coopérative ? "
            "Coop'Horizon vous accompagne jusqu'à la remise des clés, et après. Le parcours "
            "Culture Coop' vous explique tout, en vidéos de 3 minutes."
        ),
        "welcome_text": (
            "Bienvenue chez Coop'Horizon ! En achetant votre logement avec une coopérative "
            "Hlm, vous devenez associé : vous avez une voix à l'assemblée générale, comme "
            "chaque coopérateur.\n\nCe livret vous guide vers les vidéos du parcours "
            "« Culture Coop' » qui concernent votre achat : scannez un code avec votre "
            "téléphone et regardez la vidéo, où que vous soyez. Notre équipe reste à votre "
            "écoute pour toute question."
        ),
    },
    "habitat-coteaux": {
        "tagline": "Votre coop, votre copro, votre voix : découvrez Culture Coop'.",
        "message": (
            "Syndic, conseil syndical, assemblée générale : qui fait quoi ? Habitat Solidaire "
            "des Coteaux vous propose un parcours en ligne, à suivre à votre rythme."
        ),
        "welcome_text": (
            "Bienvenue dans votre résidence ! Habitat Solidaire des Coteaux est une "
            "coopérative : ses associés — vous — décident ensemble.\n\nLes vidéos de ce "
            "livret expliquent en quelques minutes la copropriété, la gouvernance et les "
            "façons de participer."
        ),
    },
    "val-dorme": {
        "tagline": "Locataires, accédants, copropriétaires : la coop, c'est vous !",
        "message": (
            "Où va mon loyer ? Comment voter à l'AG ? Val d'Orme Coop'Habitat vous invite à "
            "suivre Culture Coop', le parcours de la vie coopérative : des vidéos, des quiz "
            "et des jeux, gratuits et en ligne."
        ),
        "welcome_text": (
            "Bienvenue à Val d'Orme Coop'Habitat ! Que vous soyez locataire, accédant ou "
            "copropriétaire, vous faites partie d'une coopérative Hlm.\n\nScannez les codes "
            "de ce livret pour découvrir, en vidéo, ce que cela change pour vous."
        ),
    },
}


def load_demo_kit_texts(stdout=None) -> int:
    """Write the kit texts of the demo coops that exist (idempotent)."""
    done = 0
    with scopes_disabled():
        coops = list(Coop.objects.filter(slug__in=list(TEXTS)))
    for coop in coops:
        with coop_scope(coop):
            KitSettings.objects.update_or_create(coop=coop, defaults=TEXTS[coop.slug])
            done += 1
    if stdout is not None:
        stdout.write(f"Kit d'impression : textes de {done} coopératives de démonstration.")
    return done
