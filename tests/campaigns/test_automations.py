"""Life-cycle automations (c2): found by the tick, sent once per member and event, through
the real pipeline to a real SMTP server."""

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from django.utils import timezone

from coopculture.campaigns import automations
from coopculture.campaigns.models import (
    AutomationKind,
    AutomationOccurrence,
    AutomationSetting,
    Recipient,
    RecipientState,
    Send,
    SendKind,
)
from coopculture.coops.scoping import coop_scope
from coopculture.core import ticks
from coopculture.members.models import Channel, Purpose
from coopculture.members.services import consent_record, programme_change_expected_delivery
from tests.campaigns.c2_factories import run_in_coop
from tests.campaigns.factories import make_members
from tests.members.factories import make_programme, reserve

pytestmark = pytest.mark.django_db


def plain(header: str) -> str:
    """The text with its no-break spaces as plain spaces (for expected strings typed here)."""
    return header.replace("\u00a0", " ")


def switch_on(coop, kind, **fields):
    with scopes_disabled():
        setting = run_in_coop(coop, automations.ensure_settings)[kind]
        setting.enabled = True
        for name, value in fields.items():
            setattr(setting, name, value)
        setting.save()
        return setting


def cycle(coop, now=None):
    return run_in_coop(coop, automations.run_cycle, now=now)


def test_welcome_on_reservation_is_sent_once_with_the_video_and_the_booklet(
    coop, demo_path, smtp_mailers, settings
):
    switch_on(coop, AutomationKind.WELCOME)
    programme = make_programme(coop, name="Résidence Les Embruns")
    [lea] = make_members(coop, 1, first_name="Léa")
    [old] = make_members(coop, 1, first_name="Ancien")
    reserve(coop, lea, programme, signed_on=timezone.localdate() - dt.timedelta(days=2))
    # A reservation signed long ago does not get a welcome when the coop turns it on.
    reserve(coop, old, programme, signed_on=timezone.localdate() - dt.timedelta(days=400))

    assert cycle(coop)["automations"] == 1
    [message] = smtp_mailers.wait_for(1)
    assert message["To"] == lea.email
    # French typography survives the header encoding: a no-break space before "!".
    assert message["Subject"] == "Bienvenue chez vous… et dans votre coop\u00a0!"
    text = smtp_mailers.text_of(message)
    assert "Bonjour Léa," in text
    assert "Vous venez de réserver votre logement avec Coop A." in text
    assert "Une coopérative Hlm en 3 minutes" in text  # the MOOC video (module 1)
    assert "Votre livret d'accueil" in text  # the booklet (or landing page) link
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Regarder la vidéo" in html

    # Later ticks find nothing new: at most once per member and event.
    assert cycle(coop)["automations"] == 0
    assert cycle(coop)["automations"] == 0
    assert len(smtp_mailers.messages) == 1
    with scopes_disabled():
        [occurrence] = AutomationOccurrence.objects.filter(coop=coop)
        assert occurrence.member == lea
        assert occurrence.event_key.startswith("reservation:")


def test_an_automation_that_is_off_sends_nothing(coop, demo_path, smtp_mailers):
    run_in_coop(coop, automations.ensure_settings)
    programme = make_programme(coop)
    [member] = make_members(coop, 1)
    reserve(coop, member, programme, signed_on=timezone.localdate())
    assert cycle(coop)["automations"] == 0
    with scopes_disabled():
        assert not Send.objects.filter(coop=coop).exists()


def test_delivery_postponed_tells_the_new_date_and_the_reason_once(
    coop, demo_path, smtp_mailers, users
):
    switch_on(coop, AutomationKind.DELIVERY_POSTPONED)
    programme = make_programme(coop, name="Villa Garance", expected_delivery_on=dt.date(2027, 3, 1))
    buyers = make_members(coop, 2)
    [elsewhere] = make_members(coop, 1)
    for member in buyers:
        reserve(coop, member, programme)
    reserve(coop, elsewhere, make_programme(coop))

    def change(new_date, reason):
        with scopes_disabled():
            programme.refresh_from_db()
            return run_in_coop(
                coop,
                programme_change_expected_delivery,
                actor=users["admin"],
                programme=programme,
                new_date=new_date,
                reason=reason,
            )

    # Earlier: good news, no "postponed" message.
    change(dt.date(2027, 2, 1), "Le gros œuvre a pris de l'avance.")
    assert cycle(coop)["automations"] == 0
    # Later: an honest message to each buyer of this programme.
    change(dt.date(2027, 6, 15), "Les intempéries de l'hiver ont arrêté le chantier six semaines.")
    assert cycle(coop)["automations"] == 1
    messages = smtp_mailers.wait_for(2)
    assert sorted(m["To"] for m in messages) == sorted(m.email for m in buyers)
    text = smtp_mailers.text_of(messages[0])
    assert plain(messages[0]["Subject"]) == (
        "Villa Garance : la livraison est repoussée au mardi 15 juin 2027"
    )
    assert (
        "votre futur logement (Villa Garance) : sa livraison, prévue le lundi 1 février 2027, "
        "est repoussée au mardi 15 juin 2027" in plain(" ".join(text.split()))
    )
    assert "Les intempéries de l'hiver ont arrêté le chantier six semaines." in text
    assert "Du chantier à la remise des clés" in text  # the reassuring testimonial's module
    assert cycle(coop)["automations"] == 0
    # A second postponement is a new event: a new message.
    change(dt.date(2027, 9, 1), "Un sous-traitant a fait faillite.")
    assert cycle(coop)["automations"] == 1
    assert len(smtp_mailers.wait_for(4)) == 4


def test_delivered_buyers_become_co_owners_once_and_psla_buyers_wait(coop, demo_path, smtp_mailers):
    switch_on(coop, AutomationKind.DELIVERED)
    today = timezone.localdate()
    vefa = make_programme(coop, name="Les Terrasses du Moulin", delivered_on=today)
    psla = make_programme(coop, name="Le Clos des Salines", kind="psla", delivered_on=today)
    [owner] = make_members(coop, 1)
    [tenant_buyer] = make_members(coop, 1)
    reserve(coop, owner, vefa)
    reserve(coop, tenant_buyer, psla)
    assert cycle(coop)["automations"] == 1
    [message] = smtp_mailers.wait_for(1)
    assert message["To"] == owner.email
    text = smtp_mailers.text_of(message)
    assert "votre logement (Les Terrasses du Moulin) est livré. Bienvenue" in plain(text)
    assert "résidence, Les Terrasses" not in plain(text)
    assert "Syndic, syndicat, conseil syndical : ne plus confondre" in plain(text)
    assert "Les mots de la copro expliqués simplement" in text  # the leaflet
    assert cycle(coop)["automations"] == 0


def test_the_general_assembly_reminder_goes_once_a_year_to_every_member(
    coop, demo_path, smtp_mailers
):
    today = timezone.localdate()
    ag = today + dt.timedelta(days=20)
    switch_on(coop, AutomationKind.AG_REMINDER, event_date=ag, days_before=30)
    members = make_members(coop, 3)
    [by_post] = make_members(coop, 1, preferred_channel=Channel.POST)
    assert cycle(coop)["automations"] == 1
    smtp_mailers.wait_for(3)
    subject = smtp_mailers.messages[0]["Subject"]
    assert (
        plain(subject) == f"Assemblée générale le {automations.long_date(ag)} : votre voix compte"
    )
    assert "La convocation officielle" in smtp_mailers.text_of(smtp_mailers.messages[0])
    with scopes_disabled():
        send = Send.objects.get(coop=coop, kind=SendKind.AUTOMATION)
        states = dict(Recipient.objects.filter(send=send).values_list("member_id", "state"))
    assert states[by_post.pk] == RecipientState.LETTER
    assert {states[m.pk] for m in members} == {RecipientState.SENT}
    assert cycle(coop)["automations"] == 0
    assert len(smtp_mailers.messages) == 3


def test_the_general_assembly_reminder_waits_for_its_day(coop, demo_path, smtp_mailers):
    ag = timezone.localdate() + dt.timedelta(days=45)
    switch_on(coop, AutomationKind.AG_REMINDER, event_date=ag, days_before=30)
    make_members(coop, 2)
    assert cycle(coop)["automations"] == 0
    later = timezone.now() + dt.timedelta(days=16)
    assert cycle(coop, now=later)["automations"] == 1


def test_the_tick_registers_the_job_and_only_enqueues(coop, demo_path, smtp_mailers, monkeypatch):
    assert "campaigns.automations" in {job.name for job in ticks.registered_jobs()}
    switch_on(coop, AutomationKind.WELCOME)
    programme = make_programme(coop)
    [member] = make_members(coop, 1)
    reserve(coop, member, programme, signed_on=timezone.localdate())
    enqueued = []

    class Recorder:
        def enqueue(self, **kwargs):
            enqueued.append(kwargs)

    monkeypatch.setattr(automations, "cycle_task", Recorder())
    automations.tick()  # immediate backend: tick_task runs now, and enqueues per coop
    assert enqueued == [{"coop_id": coop.pk}]
    with scopes_disabled():
        assert not Send.objects.exists()  # the tick itself sent nothing


def test_default_texts_are_french_with_no_break_spaces():
    for kind, text in automations.DEFAULT_TEXTS.items():
        for field in ("subject", "preheader", "body"):
            value = text[field]
            for mark in ("!", "?", ":", ";"):
                assert f" {mark}" not in value, (kind, field, mark)
        assert "{first_name}" in text["body"]
        assert "{coop}" in text["body"]
        assert "NBSP" not in text["body"] + text["subject"] + text["preheader"]


def test_automations_reach_members_unless_they_said_no(coop, demo_path, smtp_mailers):
    """Life-cycle mail rests on the membership, not on opt-in: a member never asked gets the
    welcome; a member who refused coop news (or unsubscribed) does not."""
    switch_on(coop, AutomationKind.WELCOME)
    programme = make_programme(coop)
    [never_asked] = make_members(coop, 1, consent=False)
    [refusing] = make_members(coop, 1, consent=False)
    with coop_scope(coop):
        consent_record(
            coop=coop, member=refusing, purpose=Purpose.COOP_NEWS, granted=False, source="phone"
        )
    for member in (never_asked, refusing):
        reserve(coop, member, programme, signed_on=timezone.localdate())
    assert cycle(coop)["automations"] == 2
    with scopes_disabled():
        states = dict(Recipient.objects.values_list("member_id", "state"))
    assert states == {never_asked.pk: RecipientState.SENT, refusing.pk: RecipientState.NO_CONSENT}
    assert [m["To"] for m in smtp_mailers.messages] == [never_asked.email]
    with scopes_disabled():
        assert AutomationSetting.objects.filter(coop=coop).count() == 4
