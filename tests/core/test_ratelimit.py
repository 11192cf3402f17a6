"""Public forms are rate limited per client: the refusal is a French page, nothing is done."""

import pytest

from django.urls import reverse

from coopculture.coops.scoping import coop_scope
from coopculture.learning.models import LearningEvent
from coopculture.members.models import ConsentRecord
from tests.learning.factories import make_module
from tests.members.factories import make_member, prove
from tests.members.test_preferences import answers, url_for

pytestmark = pytest.mark.django_db


def test_the_preferences_page_refuses_a_flood_and_records_nothing_more(client, coop):
    member = make_member(coop)
    prove(client, member, REMOTE_ADDR="192.0.2.99")  # the code mailed to the member
    url = url_for(member)
    for _ in range(20):
        assert client.post(url, answers()).status_code in {200, 302}
    with coop_scope(coop):
        recorded = ConsentRecord.objects.filter(member=member).count()

    response = client.post(url, answers(consent_bulletin="no"))
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert "Trop de tentatives" in html
    assert "Rien n’a été enregistré" in html or "Rien n'a été enregistré" in html
    with coop_scope(coop):
        assert ConsentRecord.objects.filter(member=member).count() == recorded

    # Another connection is not affected; reading the page is not limited.
    assert client.get(url).status_code == 200
    other = client.post(url, answers(), REMOTE_ADDR="192.0.2.7")
    assert other.status_code in {200, 302}


def test_quiz_answers_are_limited_generously_per_address(client, coop):
    module = make_module(kinds=("quiz",))
    quiz = module.steps.get()
    url = reverse(
        "learning:activity",
        kwargs={"coop_slug": coop.slug, "module_slug": module.slug, "position": quiz.position},
    )
    for _ in range(120):  # a whole session room behind one address
        assert client.post(url, {}).status_code != 429
    response = client.post(url, {})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    with coop_scope(coop):
        assert not LearningEvent.objects.filter(activity=quiz).exists()
