"""No text a coop writes is ever output as markup: not in a page, a PDF or an email.

A coop holding `<meta http-equiv=refresh …>` in its name once redirected the browsers of
its own staff (a help text rendered with |safe). tests/markup.py puts such payloads in
every text field of every coop-owned row; this file builds a coop with a row in each of
those models, then requests every page of its back office, its member pages and the
federation's pages, and sends its emails."""

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from coopculture.core import pdf
from tests import markup
from tests.tenancy import GLOBAL_FACTORIES, OBJECT_FACTORIES, coop_routes

pytestmark = pytest.mark.django_db

# Models a coop writes no text into through any page (links' daily counts, versions...),
# or whose rows only exist once something has been sent. Everything else must have a row.
ROWLESS_OK = {
    "coops.Membership",
    "members.MemberListVersion",
    "kit.LinkDailyCount",
    "campaigns.SendRateSettings",
    "campaigns.BulletinSettings",
    "campaigns.LetterBatch",
}
# Query-string parameters the views read (filters, pages, "next"), reflected or not.
QUERY_PARAMS = ("q", "page", "canal", "coop", "membre", "module", "next", "semaines", "statut")


def build_rows(coop, users):
    """At least one row of every coop-owned model that holds text, as the app makes them."""
    from coopculture.campaigns.models import (
        AutomationSetting,
        BulletinNews,
        Recipient,
        Suppression,
    )
    from coopculture.coops.models import AuditEvent, Invitation, Role
    from coopculture.kit.models import AccountSource, KitSettings
    from coopculture.learning.models import CoopModuleSetting, LearningEvent
    from coopculture.members.models import (
        ColumnMapping,
        ConsentRecord,
        DeliveryDateChange,
        MemberProfile,
        Purpose,
    )
    from tests.campaigns.c2_factories import make_campaign, make_letter_batch
    from tests.learning.factories import make_module
    from tests.members.factories import make_member, make_programme, reserve

    module = make_module(kinds=("text", "quiz", "game", "leaflet"), slug="module-charge")
    member = make_member(coop)
    programme = make_programme(coop)
    send = make_campaign(coop)
    make_letter_batch(coop)
    with scopes_disabled():
        reserve(coop, member, programme, home_type="T3")
        MemberProfile.objects.create(
            coop=coop, member=member, kind="accedant", start_date=dt.date(2024, 1, 1)
        )
        DeliveryDateChange.objects.create(
            coop=coop, programme=programme, new_date=dt.date(2027, 6, 1), reason="Intempéries"
        )
        ConsentRecord.objects.create(
            coop=coop,
            member=member,
            purpose=Purpose.COOP_NEWS,
            granted=True,
            legal_basis="consent",
            source="staff",
            note="Au téléphone",
        )
        ColumnMapping.objects.create(coop=coop, headers_signature="x" * 64, mapping={})
        Invitation.objects.create(
            coop=coop,
            email="nouvelle@example.org",
            role=Role.EDITOR,
            expires_at=timezone.now() + dt.timedelta(days=7),
        )
        AuditEvent.objects.create(coop=coop, actor=users["admin"], action="coop.settings_changed")
        CoopModuleSetting.objects.create(coop=coop, module=module, note="Chez nous…")
        LearningEvent.objects.create(
            coop=coop, module=module, learner_key=member.public_id, kind="started"
        )
        KitSettings.objects.create(coop=coop, tagline="Une ligne", message="Un message")
        AccountSource.objects.create(coop=coop, user=users["editor"], source="flyer")
        BulletinNews.objects.create(
            coop=coop,
            month=timezone.localdate().replace(day=1),
            title="Nouvelles",
            body="Le chantier avance.",
            link_url="https://example.org/",
            link_label="Lire",
        )
        AutomationSetting.objects.create(coop=coop, kind="welcome")
        Recipient.objects.create(
            coop=coop, send=send, member=member, email=member.email, last_error="550 refusé"
        )
        Suppression.objects.create(
            coop=coop, email_hash="y" * 64, reason="bounce", source="smtp", detail="550"
        )
    from coopculture.campaigns.services import version_freeze
    from coopculture.coops.scoping import coop_scope

    with coop_scope(coop):
        version_freeze(message=send.message, actor=users["admin"], news=None)
    return module


def route_kwargs(coop) -> dict:
    """URL arguments for every coop route, objects of `coop` (made before the payloads go
    in, so that the payloads reach them too)."""
    return {route.name: fill_route(route, coop) for route in coop_routes()}


def fill_route(route, coop) -> dict:
    factories = {**GLOBAL_FACTORIES, **OBJECT_FACTORIES, "module_slug": lambda c: "module-charge"}
    return {"coop_slug": coop.slug, **{param: factories[param](coop) for param in route.params}}


def unsubscribe_url(coop) -> str:
    from coopculture.campaigns.models import Recipient
    from coopculture.campaigns.rendering import unsubscribe_token

    with scopes_disabled():
        recipient = Recipient.objects.filter(coop=coop).first()
    return reverse(
        "campaigns_public:unsubscribe",
        kwargs={"coop_slug": coop.slug, "token": unsubscribe_token(recipient.idempotency_key)},
    )


def other_urls(coop) -> list[tuple[str, str]]:
    """(actor, url) of the pages outside /gestion/ and /c/ that show a coop's texts."""
    from coopculture.coops.models import Invitation
    from coopculture.coops.services import invitation_token

    with scopes_disabled():
        invitation = Invitation.objects.filter(coop=coop).first()
    return [
        ("admin", reverse("spaces")),
        ("federation", reverse("federation:index")),
        ("federation", reverse("kit_federation:batches")),
        ("federation", reverse("learning_preview:index") + f"?coop={coop.slug}"),
        (
            "federation",
            reverse(
                "learning_preview:module",
                kwargs={"coop_slug": coop.slug, "module_slug": "module-charge"},
            ),
        ),
        (None, reverse("invitation-accept", kwargs={"token": invitation_token(invitation)})),
        (None, unsubscribe_url(coop)),
        *activity_urls(coop),
    ]


def activity_urls(coop) -> list[tuple[str | None, str]]:
    """Each activity of the loaded module (the sweep's routes only open the first), and
    its leaflet's PDF."""
    from coopculture.learning.models import Activity

    urls = []
    for step in Activity.objects.filter(module__slug="module-charge").order_by("position"):
        values = {"coop_slug": coop.slug, "module_slug": "module-charge", "position": step.position}
        urls.append((None, reverse("learning:activity", kwargs=values)))
        if step.kind == "leaflet":
            urls.append((None, reverse("learning_documents:leaflet", kwargs=values)))
    return urls


def pdf_body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def sweep(coop, users, client_for, monkeypatch, urlconf=None) -> markup.Findings:
    findings = markup.Findings()
    printed = []
    real_render_html = pdf.render_html

    def recording_render_html(*args, **kwargs):
        html = real_render_html(*args, **kwargs)
        printed.append(html)
        return html

    monkeypatch.setattr(pdf, "render_html", recording_render_html)
    fetched = findings.fetched
    real_fetch = pdf.LocalURLFetcher.fetch

    def recording_fetch(self, url, *args, **kwargs):
        fetched.append(url)
        return real_fetch(self, url, *args, **kwargs)

    monkeypatch.setattr(pdf.LocalURLFetcher, "fetch", recording_fetch)

    clients = {
        name: client_for(users.get(name)) if name else client_for()
        for name in ("admin", "federation", None)
    }
    query = urlencode(dict.fromkeys(QUERY_PARAMS, markup.IMG))
    kwargs = coop.route_kwargs
    changed = markup.inject(coop)
    assert changed["coops.Coop"] == 1

    requests = []
    for route in coop_routes(urlconf):
        values = kwargs.get(route.name) or fill_route(route, coop)
        url = reverse(route.name, kwargs=values, urlconf=urlconf)
        actor = "admin" if route.is_staff else None
        requests += [(actor, url, {}), (actor, f"{url}?{query}", {})]
        if route.is_staff:
            requests.append((actor, url, {"HTTP_HX_REQUEST": "true"}))
    requests += [(actor, url, {}) for actor, url in other_urls(coop)]

    statuses = {}
    for actor, url, headers in requests:
        printed.clear()
        response = clients[actor].get(url, **headers)
        statuses[url] = response.status_code
        assert response.status_code < 500, url
        if (html := markup.response_html(response)) is not None:
            findings.check(f"GET {url} as {actor or 'anonymous'}", html)
        elif response.get("Content-Type") == "application/pdf" and printed:
            findings.check_pdf_text(f"PDF {url}", pdf_body(response))
        for document in printed:
            findings.check(f"PDF printed for {url}", document)
    findings.statuses = statuses
    return findings


@pytest.fixture
def payload_coop(coop, users):
    build_rows(coop, users)
    coop.route_kwargs = route_kwargs(coop)
    return coop


def test_every_coop_owned_model_with_text_has_a_row_to_carry_the_payloads(payload_coop):
    """So that a new model's texts are swept too (or listed in ROWLESS_OK)."""
    missing = []
    with scopes_disabled():
        for model in markup.coop_owned_models():
            label = model._meta.label
            has_text = markup.writable_text_fields(model) or any(
                m == label for (m, _f) in markup.JSON_TEXTS
            )
            if has_text and label not in ROWLESS_OK and not markup._rows(model, payload_coop):
                missing.append(label)
    assert missing == []


def test_no_page_outputs_a_coop_text_as_markup(payload_coop, users, client_for, monkeypatch):
    findings = sweep(payload_coop, users, client_for, monkeypatch)

    assert findings.problems == []
    # What the PDFs loaded: only our own files and data: URIs (the QR codes), nothing a
    # coop's text could have named (file:///etc/passwd, another site...).
    assert findings.fetched
    outside = [
        url
        for url in findings.fetched
        if not url.startswith(("data:", "file:///static/", "file:///media/"))
    ]
    assert outside == []
    assert findings.pdfs >= 4  # kit piece, leaflet, certificates: read back as text
    assert findings.pdfs_showing_payloads >= 3  # ... where the coop's texts show as typed
    ok_pages = sum(1 for status in findings.statuses.values() if status == 200)
    assert ok_pages >= 60  # the sweep really saw the pages, not only redirects
    assert findings.checked >= 100


def test_emails_show_coop_texts_as_text(
    payload_coop, users, client_for, django_capture_on_commit_callbacks
):
    """The invitation and a campaign's test copy, with the coop's payloads everywhere."""
    from coopculture.coops.models import Role
    from coopculture.coops.scoping import coop_scope
    from coopculture.coops.services import invitation_create

    kwargs = payload_coop.route_kwargs
    markup.inject(payload_coop)
    with django_capture_on_commit_callbacks(execute=True), coop_scope(payload_coop):
        invitation_create(
            coop=payload_coop, actor=users["admin"], email="equipe@example.org", role=Role.EDITOR
        )
    name = "campaigns_staff:campaign-test"
    test_url = reverse(name, kwargs=kwargs[name])
    assert client_for(users["admin"]).post(test_url).status_code == 302

    findings = markup.Findings()
    html_parts = 0
    for message in mail.outbox:
        for part in markup.email_html_parts(message):
            html_parts += 1
            findings.check(f"email {message.subject!r}", part)
            assert "&lt;" in part, message.subject  # the payloads did reach it, as text
    assert html_parts >= 2
    assert findings.problems == []
    # The payload does reach the mail, as text: the coop's name is in the invitation.
    invitation = next(m for m in mail.outbox if "equipe@example.org" in m.to)
    assert "&lt;meta http-equiv=refresh" in markup.email_html_parts(invitation)[0]
    # ... and plain text stays plain: no HTML entities in the subject or the text part.
    for message in mail.outbox:
        assert "&lt;" not in message.subject and "&quot;" not in message.subject
        assert "&lt;" not in message.body and "&#x27;" not in message.body
    assert markup.META in invitation.subject and markup.META in invitation.body


def test_a_coop_name_with_an_apostrophe_reads_as_typed_in_the_invitation(
    coop, users, django_capture_on_commit_callbacks
):
    from django_scopes import scopes_disabled

    from coopculture.coops.models import Role
    from coopculture.coops.scoping import coop_scope
    from coopculture.coops.services import invitation_create

    with scopes_disabled():
        type(coop).objects.filter(pk=coop.pk).update(name="L'Habitat & Co")
    coop.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True), coop_scope(coop):
        invitation_create(coop=coop, actor=users["admin"], email="eq@example.org", role=Role.EDITOR)

    (message,) = mail.outbox
    assert "L'Habitat & Co" in message.subject
    assert "L'Habitat & Co" in message.body
    assert "L&#x27;Habitat &amp; Co" in markup.email_html_parts(message)[0]


@override_settings(ROOT_URLCONF="tests.markup_urls")
def test_the_sweep_catches_a_coop_text_output_as_markup(
    payload_coop, users, client_for, monkeypatch
):
    """Self-test: a back office view that outputs the coop's name with mark_safe is caught."""
    findings = sweep(payload_coop, users, client_for, monkeypatch, urlconf="tests.markup_urls")
    assert any("/fuite-balisage/" in problem for problem in findings.problems), findings.problems
