"""Campaign mail in a real browser: the unsubscribe page (axe, no JavaScript) and the email
itself, rendered by Chromium from the bytes the SMTP server would receive."""

from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from django_scopes import scopes_disabled

from django.core import mail

from coopculture.learning.demo import load_demo_content
from coopculture.members.models import ConsentRecord
from tests.browser.conftest import assert_no_axe_violations, console_errors, goto, screenshot
from tests.campaigns.factories import make_members, make_message, make_send, start


@pytest.fixture
def sent_mail(coop, settings):
    load_demo_content()
    [member] = make_members(coop, 1, first_name="Josiane <l'Été>")
    with scopes_disabled():
        from coopculture.learning.models import Activity

        video = Activity.objects.filter(kind="video").order_by("module__position").first()
        quote = Activity.objects.filter(kind="testimonial").first()
        leaflet = Activity.objects.filter(kind="leaflet").first()
    blocks = [
        {"type": "video", "module": video.module.slug, "position": video.position},
        {"type": "next_module"},
    ]
    if quote is not None:
        blocks.append(
            {"type": "testimonial", "module": quote.module.slug, "position": quote.position}
        )
    if leaflet is not None:
        blocks.append(
            {"type": "leaflet", "module": leaflet.module.slug, "position": leaflet.position}
        )
    message = make_message(coop, blocks=blocks)
    send = make_send(coop, message)
    start(coop, send)
    [email] = mail.outbox
    raw = email.message().as_bytes()
    return member, message_from_bytes(raw, policy=policy.default)


def test_the_email_renders_with_its_blocks_and_escapes_names(page, sent_mail, live_server):
    _member, message = sent_mail
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Josiane &lt;l&#x27;Été&gt;" in html and "<l'Été>" not in html  # escaped
    assert "Josiane <l'Été>" in text  # the text part is not HTML
    page.set_viewport_size({"width": 640, "height": 900})
    page.set_content(html.replace("http://127.0.0.1:8000", live_server.url))
    screenshot(page, "campaign-email")
    assert page.get_by_role("heading", level=1).count() == 1
    assert page.get_by_role("link", name="Regarder la vidéo").count() >= 1
    assert page.get_by_role("link", name="Se désinscrire").count() == 1
    assert page.get_by_role("link", name="Commencer le module").count() == 1
    # The video card's poster image is there and loads.
    poster = page.locator("img.poster, a img").last
    assert poster.get_attribute("alt").startswith("Regarder la vidéo")
    natural = page.evaluate("() => Array.from(document.images).map(i => i.naturalWidth)")
    assert all(width > 0 for width in natural), natural
    with open("/tmp/shots/campaign-email.txt", "w") as out:
        out.write(text)


def test_unsubscribe_page_has_no_axe_violations_and_works_without_javascript(
    new_page, coop, sent_mail
):
    member, message = sent_mail
    url = message["List-Unsubscribe"].split(",")[0].strip(" <>")
    path = urlsplit(url).path
    # Without JavaScript: the GET page, its button, the confirmation.
    page = new_page(java_script_enabled=False)
    goto(page, path)
    screenshot(page, "campaign-unsubscribe")
    with scopes_disabled():
        assert ConsentRecord.objects.filter(member=member, granted=False).count() == 0
    page.get_by_role("button", name="Oui, me désinscrire").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Vous êtes désinscrit")
    screenshot(page, "campaign-unsubscribed")
    with scopes_disabled():
        latest = ConsentRecord.objects.filter(member=member).order_by("-id").first()
    assert (latest.granted, latest.source) == (False, "unsubscribe")
    # axe-core needs JavaScript: both states again in a normal page.
    page = new_page()
    goto(page, path)
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Oui, me désinscrire").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Vous êtes désinscrit")
    assert_no_axe_violations(page)
    assert not console_errors(page)
