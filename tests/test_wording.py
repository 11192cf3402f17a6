"""Member-facing wording: "vous" everywhere (no tutoiement in the French catalogue or in the
demo content), and our own words on the sign-in pages instead of allauth's stock phrases."""

import ast
import html
import json
import re
from pathlib import Path

import pytest

from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, make_user
from tests.test_auth_journeys import _activate_totp, password_sign_in

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "coopculture" / "locale" / "fr" / "LC_MESSAGES" / "django.po"
ALLAUTH_FR = (
    Path(__import__("allauth").__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"
)

# Tutoiement: subject/object pronouns and possessives, "-toi"/"-tu", and the imperatives (in
# -s or without -ez) that instructions start with.
TU_WORDS = re.compile(r"(?i)(?<![\w'’-])(tu|te|toi|ton|ta|tes|t'|t’)(?![\w'’-])|-(toi|tu|te)\b")
TU_IMPERATIVES = re.compile(
    r"(?:^|[.!?:;«\"(]\s*|\n\s*)(Remets|Mets|Choisis|Réponds|Coche|Clique|Lis|Relis|Fais|Écris|"
    r"Remplis|Prends|Dis|Viens|Va|Inscris|Associe|Glisse|Retrouve|Découvre|Regarde|Écoute|"
    r"Essaie|Essaye|Complète|Sélectionne|Indique|Relie|Devine|Imagine|Apprends|Vérifie|"
    r"Sais-tu|Connais-tu)\b(?! automatiquement)"
)


def tutoiement(text: str) -> list[str]:
    return [m.group(0).strip() for m in (*TU_WORDS.finditer(text), *TU_IMPERATIVES.finditer(text))]


def po_strings(path: Path, field: str = "msgstr") -> list[str]:
    source = path.read_text(encoding="utf-8")
    pattern = rf'^{field}(?:\[\d\])? ((?:"(?:[^"\\]|\\.)*"\s*)+)'
    return [
        "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block)).replace("\\n", "\n")
        for block in re.findall(pattern, source, re.M)
    ]


def json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def demo_strings():
    """Every string of the demo content: the bundles (JSON) and coopculture/*/demo*.py."""
    for path in sorted((ROOT / "coopculture").rglob("*.json")):
        for text in json_strings(json.loads(path.read_text(encoding="utf-8"))):
            yield path, text
    for path in sorted((ROOT / "coopculture").glob("*/demo*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield path, node.value


def test_the_scan_catches_tutoiement():
    assert tutoiement("Remets les étapes dans l'ordre.")
    assert tutoiement("Choisis la bonne réponse : tu peux recommencer.")
    assert tutoiement("Dis-toi que ta voix compte.")
    assert not tutoiement("Remettez les étapes dans l'ordre : votre voix compte.")
    assert not tutoiement("Demande de paiement envoyée pendant la construction.")
    assert not tutoiement("Choisis automatiquement")  # a past participle (destinataires)


def test_the_french_catalogue_says_vous():
    found = {text: tutoiement(text) for text in po_strings(CATALOGUE) if tutoiement(text)}
    assert not found, found


def french_literals():
    """French text written in the code rather than the catalogue: the automations' default
    emails (campaigns), templates' literal text, any accented string constant."""
    for path in sorted((ROOT / "coopculture").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and re.search(r"[éèàçêù]", text):
                yield path, text
    for path in sorted((ROOT / "coopculture").rglob("templates/**/*")):
        if path.is_file() and path.suffix in {".html", ".txt"}:
            source = path.read_text(encoding="utf-8")
            yield path, re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}|<[^>]+>", " ", source, flags=re.S)


def test_french_text_in_the_code_says_vous():
    found = [(str(p.relative_to(ROOT)), t[:80]) for p, t in french_literals() if tutoiement(t)]
    assert not found, found


def test_the_demo_content_says_vous():
    found = [(str(p.relative_to(ROOT)), t[:80]) for p, t in demo_strings() if tutoiement(t)]
    assert not found, found


# --- Sign-in pages: our words, not allauth's stock phrases -----------------------------------


# allauth phrases we keep: plain "vous" French, and set in allauth's Python code (the
# reauthentication alternatives), not in a template.
KEPT_STOCK = {"Envoyez-moi un code de connexion"}


def stock_sentences() -> set[str]:
    """allauth's French sentences (long enough to be wording, not a one-word label)."""
    sentences = set()
    for text in po_strings(ALLAUTH_FR):
        text = re.sub(r"%\(\w+\)s", "", text).strip()
        if len(text) >= 30 and text not in KEPT_STOCK:
            sentences.add(text)
    return sentences


def main_text(response) -> str:
    page = response.content.decode()
    if "<main" in page:
        page = page[page.index("<main") : page.index("</main>")]
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", text)


def assert_our_words(response, *expected: str):
    assert response.status_code == 200
    text = main_text(response)
    stock = [sentence for sentence in stock_sentences() if sentence in text]
    assert not stock, f"allauth's stock wording on {response.request['PATH_INFO']}: {stock}"
    for words in expected:
        assert words in text.replace("\xa0", " "), words


@pytest.mark.django_db
def test_the_sign_in_pages_use_our_own_wording(client, coop, users, client_for):
    make_user("lea@example.org", password=None)
    assert_our_words(client.get(reverse("account_login")), "Recevoir un code de connexion")
    assert_our_words(client.get(reverse("account_request_login_code")))
    confirm = client.post(
        reverse("account_request_login_code"), {"email": "lea@example.org"}, follow=True
    )
    assert_our_words(
        confirm,
        "Saisissez le code reçu",
        "Nous venons d'envoyer un code à lea@example.org",
    )
    assert main_text(confirm).count("envoy") == 1  # said once, not in a message as well
    assert "Le code expirera bientôt" not in main_text(confirm)
    assert_our_words(client.get(reverse("account_signup")), "Pas de compte à créer")
    assert_our_words(client.get(reverse("account_reset_password")), "Envoyez-moi le lien")
    assert_our_words(client.get(reverse("account_reset_password_done")))
    assert_our_words(client.get(reverse("account_inactive")), "Compte fermé")

    admin_client = client_for(users["admin"])
    assert_our_words(admin_client.get(reverse("account_logout")), "Voulez-vous vous déconnecter ?")
    assert_our_words(
        admin_client.get(reverse("account_reauthenticate")), "Confirmez que c'est bien vous"
    )
    _activate_totp(admin_client, users["admin"])
    second_step = Client()
    password_sign_in(second_step, users["admin"].email, PASSWORD)
    assert_our_words(second_step.get(reverse("mfa_authenticate")), "Validation en deux étapes")
    signed_out = admin_client.post(reverse("account_logout"), follow=True)
    assert "Déconnexion faite. À bientôt !" in main_text(signed_out).replace("\xa0", " ")
