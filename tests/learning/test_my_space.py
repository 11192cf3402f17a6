""" "Mon espace" for a learner: their own coops only (where they are a member or have
learnt), their progress per module and their certificates; never the other coops."""

import re
import uuid

import pytest
from django_scopes import scopes_disabled

from django.urls import reverse

from coopculture.learning.models import CoopModuleSetting, ModuleStatus
from tests.conftest import make_coop, make_user
from tests.learning.factories import make_module
from tests.learning.test_completion import record
from tests.members.factories import make_member

pytestmark = pytest.mark.django_db


def test_my_space_lists_my_coops_with_progress_and_certificates(coop, other_coop, client_for):
    for n in range(5):
        make_coop(f"coop-lointaine-{n}", name=f"Coop lointaine {n}")
    first = make_module(kinds=("text", "quiz"), title="Ma coop, c'est quoi ?")
    second = make_module(kinds=("text", "quiz"), title="L'AG de votre coop")
    syndic = make_module(kinds=("text",), title="Le métier de syndic", concerns=["syndic"])
    lea = make_user("lea@example.org", password=None)
    make_member(coop, user=lea, email="lea@example.org")  # a member of Coop A
    key = uuid.uuid4()
    record(coop, first, learner_key=key, user=lea, passed=True)
    record(coop, second, learner_key=key, user=lea, passed=False)
    record(other_coop, second, learner_key=key, user=lea, passed=True)  # learnt at Coop B

    response = client_for(lea).get(reverse("spaces"))
    assert response.status_code == 200
    page = response.content.decode().replace("\xa0", " ")
    assert "Coop lointaine" not in page
    assert "Suivre le MOOC avec votre coop" not in page
    [space_a, space_b] = response.context["learner_spaces"]
    assert (space_a.coop, space_b.coop) == (coop, other_coop)

    section_a = re.search(r'<section [^>]*"space-coop-a".*?</section>', page, re.S).group(0)
    assert "Modules recommandés terminés : 1 sur 2." in section_a
    first_cert = reverse(
        "learning_documents:certificate-module",
        kwargs={"coop_slug": coop.slug, "module_slug": first.slug},
    )
    second_cert = reverse(
        "learning_documents:certificate-module",
        kwargs={"coop_slug": coop.slug, "module_slug": second.slug},
    )
    assert f'href="{first_cert}"' in section_a
    assert f'href="{second_cert}"' not in section_a  # its quiz is not passed
    assert "En cours" in section_a and "1 sur 2 activités terminées" in section_a
    assert "Le métier de syndic" not in section_a  # does not concern Coop A, not started
    parcours_a = reverse("learning_documents:certificate-parcours", kwargs={"coop_slug": coop.slug})
    assert f'href="{parcours_a}"' not in section_a

    section_b = re.search(r'<section [^>]*"space-coop-b".*?</section>', page, re.S).group(0)
    assert "Le métier de syndic" in section_b  # Coop B does syndic: recommended there
    assert syndic.title in section_b

    # The certificate link gives the PDF.
    pdf = client_for(lea).post(first_cert, {"name": "Léa Moreau"})
    assert pdf["Content-Type"] == "application/pdf"


def test_the_whole_path_certificate_appears_once_the_recommended_modules_are_done(coop, client_for):
    module = make_module(kinds=("text",))
    optional = make_module(kinds=("text",), title="Pour aller plus loin")
    with scopes_disabled():
        CoopModuleSetting.objects.create(coop=coop, module=optional, status=ModuleStatus.OPTIONAL)
    lea = make_user("lea@example.org", password=None)
    record(coop, module, learner_key=uuid.uuid4(), user=lea, passed=True)
    page = client_for(lea).get(reverse("spaces")).content.decode()
    parcours = reverse("learning_documents:certificate-parcours", kwargs={"coop_slug": coop.slug})
    assert f'href="{parcours}"' in page
    assert "Pour aller plus loin" in page and "Facultatif" in page


def test_someone_who_has_learnt_nowhere_is_sent_to_find_a_coop(coop, other_coop, client_for):
    page = client_for(make_user("new@example.org", password=None)).get(reverse("spaces"))
    html = page.content.decode()
    assert "Coop A" not in html and "Coop B" not in html
    assert f'href="{reverse("home")}"' in html
    assert "Vous n'avez encore suivi le parcours d'aucune coop avec ce compte." in html.replace(
        "&#x27;", "'"
    )


def test_my_space_keeps_a_fixed_number_of_queries_however_many_coops(coop, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    module = make_module(kinds=("text", "quiz"))
    lea = make_user("lea@example.org", password=None)
    record(coop, module, learner_key=uuid.uuid4(), user=lea, passed=True)
    client = client_for(lea)
    client.get(reverse("spaces"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("spaces")).status_code == 200
        return len(captured)

    small = queries()
    for n in range(4):
        other = make_coop(f"coop-en-plus-{n}", name=f"Coop en plus {n}")
        make_member(other, user=lea, email="lea@example.org")
        record(other, make_module(kinds=("text",)), learner_key=uuid.uuid4(), user=lea, passed=True)
    large = queries()
    assert len(client.get(reverse("spaces")).context["learner_spaces"]) == 5
    assert small == large <= 10, (small, large)
