"""The mail pipeline against a real SMTP server (aiosmtpd): headers, parts, answers."""

import pytest
from django_scopes import scopes_disabled

from coopculture.campaigns.models import Recipient, RecipientState, Send, SendStatus, Suppression
from coopculture.campaigns.services import email_hash
from coopculture.members.models import Channel, Purpose
from tests.campaigns.factories import make_members, make_send, start


def states(send) -> dict[str, str]:
    with scopes_disabled():
        return dict(Recipient.objects.filter(send=send).values_list("email", "state"))


@pytest.mark.django_db
def test_a_campaign_reaches_each_consenting_member_once_with_rfc8058_headers(
    coop, smtp_mailers, settings
):
    members = make_members(coop, 3)
    send = make_send(coop)
    counts = start(coop, send)

    assert counts == {"queued": 3}
    messages = smtp_mailers.wait_for(3)
    assert sorted(m["To"] for m in messages) == sorted(m.email for m in members)
    message = next(m for m in messages if m["To"] == members[0].email)
    first_name = members[0].first_name
    assert message["Subject"] == f"Bonjour {first_name}, des nouvelles de votre résidence"
    # RFC 8058: an HTTPS (here the site's) URL and a mailto, and the one-click POST header.
    unsubscribe = message["List-Unsubscribe"]
    url, mailto = [part.strip(" <>") for part in unsubscribe.split(",")]
    assert url.startswith(settings.SITE_URL + "/c/coop-a/courriels/desinscription/")
    assert mailto.startswith("mailto:")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Bulk mail leaves from the bulk sender, with the coop's name.
    assert "lettre@" in message["From"] and "Coop A" in message["From"]
    # Message-ID is the ledger row's idempotency key.
    with scopes_disabled():
        row = Recipient.objects.get(send=send, member=members[0])
    assert message["Message-ID"] == f"<{row.idempotency_key}@culture-coop.example.org>"
    # A plain-text part and an HTML part, both with the visible unsubscribe link.
    text = smtp_mailers.text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"Bonjour {members[0].first_name}," in text
    assert "Se désinscrire" in text and url in text
    assert url.replace("&", "&amp;") in html and "Se désinscrire" in html
    assert 'style="' in html and "<style>" not in html  # CSS inlined
    with scopes_disabled():
        send.refresh_from_db()
        assert send.status == SendStatus.DONE
        assert set(Recipient.objects.filter(send=send).values_list("state", flat=True)) == {
            RecipientState.SENT
        }


@pytest.mark.django_db
def test_a_second_start_sends_nothing_more(coop, smtp_mailers):
    make_members(coop, 2)
    send = make_send(coop)
    start(coop, send)
    smtp_mailers.wait_for(2)
    with scopes_disabled():
        send.status = SendStatus.SENDING
        send.save()
    assert start(coop, send) == {"queued": 2}  # the rows exist: ignore_conflicts
    with scopes_disabled():
        assert Recipient.objects.filter(send=send).count() == 2
    assert len(smtp_mailers.messages) == 2


@pytest.mark.django_db
def test_members_without_consent_email_or_on_the_suppression_list_are_skipped(coop, smtp_mailers):
    [consenting] = make_members(coop, 1)
    [refusing] = make_members(coop, 1, consent=False)
    [other_purpose] = make_members(coop, 1, purpose=Purpose.BULLETIN)
    [no_email] = make_members(coop, 1, email="")
    [by_post] = make_members(coop, 1, preferred_channel=Channel.POST)
    [suppressed] = make_members(coop, 1)
    with scopes_disabled():
        Suppression.objects.create(
            coop=coop, email_hash=email_hash(suppressed.email.upper()), reason="manual", source="t"
        )
    send = make_send(coop)
    start(coop, send)

    [message] = smtp_mailers.wait_for(1)
    assert message["To"] == consenting.email
    with scopes_disabled():
        by_member = dict(Recipient.objects.filter(send=send).values_list("member_id", "state"))
    assert by_member == {
        consenting.pk: "sent",
        refusing.pk: "no_consent",
        other_purpose.pk: "no_consent",
        no_email.pk: "no_email",
        by_post.pk: "letter",
        suppressed.pk: "suppressed",
    }


class FlakySink:
    """An SMTP server that answers `code` to the first attempt for some recipients."""

    def __init__(self, sink, code: str, refuse: set[str], always: bool = False):
        self.sink, self.code, self.refuse, self.always = sink, code, refuse, always
        self.refused: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        [rcpt] = envelope.rcpt_tos
        if rcpt in self.refuse and (self.always or rcpt not in self.refused):
            self.refused.append(rcpt)
            return self.code
        return await self.sink.handle_DATA(server, session, envelope)


@pytest.fixture
def flaky_smtp(settings, smtp_sink):
    from aiosmtpd.controller import Controller

    from tests.conftest import free_port

    controllers = []

    def build(code, refuse, always=False):
        handler = FlakySink(smtp_sink, code, refuse, always)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        options = {"host": "127.0.0.1", "port": port, "timeout": 10}
        backend = "django.core.mail.backends.smtp.EmailBackend"
        settings.MAILERS = {
            "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
            "bulk": {"BACKEND": backend, "OPTIONS": options},
        }
        return handler

    yield build
    for controller in controllers:
        controller.stop()


@pytest.mark.django_db
def test_451_is_retried_later_and_delivered(coop, flaky_smtp, smtp_sink, settings):
    settings.CAMPAIGNS_RETRY_BASE = 0.2  # seconds: the retry is due almost at once
    members = make_members(coop, 4)
    refused = {members[1].email, members[3].email}
    handler = flaky_smtp("451 4.7.1 Greylisted, try again later", refused)
    send = make_send(coop)
    start(coop, send)
    # The first pass delivers two, defers two (due in 0.2 s); the tick resumes the send.
    assert len(smtp_sink.messages) == 2
    assert sorted(handler.refused) == sorted(refused)
    with scopes_disabled():
        waiting = Recipient.objects.filter(send=send, state=RecipientState.QUEUED)
        assert {r.email for r in waiting} == refused
        assert all(r.attempts == 1 and r.next_attempt_at and "451" in r.last_error for r in waiting)
    import time

    from django.test import TestCase
    from django.utils import timezone

    from coopculture.campaigns.tasks import resume_sends

    time.sleep(0.3)  # the retries are due, and the worker's next visit is overdue
    with scopes_disabled():
        Send.objects.filter(pk=send.pk).update(worker_due_at=timezone.now())
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert resume_sends() == [send.pk]
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(m.email for m in members)
    assert set(states(send).values()) == {"sent"}
    with scopes_disabled():
        assert Suppression.objects.count() == 0
        send.refresh_from_db()
        assert send.status == SendStatus.DONE


@pytest.mark.django_db
def test_550_suppresses_the_address_and_later_sends_skip_it(coop, flaky_smtp, smtp_sink):
    members = make_members(coop, 3)
    bad = members[0].email
    flaky_smtp("550 5.1.1 No such user here", {bad}, always=True)
    send = make_send(coop)
    start(coop, send)

    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(m.email for m in members[1:])
    assert states(send)[bad] == "bounced"
    with scopes_disabled():
        [suppression] = Suppression.objects.all()
    assert suppression.email_hash == email_hash(bad) and suppression.reason == "hard_bounce"
    assert "550" in suppression.detail

    second = make_send(coop, name="Deuxième envoi")
    start(coop, second)
    assert states(second)[bad] == "suppressed"
    assert len(smtp_sink.messages) == 4  # two more, none to the bounced address


@pytest.mark.django_db
def test_transactional_mail_keeps_its_own_mailer_and_sender(coop, settings, mailoutbox):
    """Bulk mail uses BULK_MAILER and BULK_FROM_EMAIL; core.mail's transactional path is
    untouched (its own mailer, DEFAULT_FROM_EMAIL)."""
    from django.core import mail

    make_members(coop, 1)
    send = make_send(coop)
    start(coop, send)
    [message] = mail.outbox
    assert message.from_email.endswith("<lettre@culture-coop.example.org>")
    assert settings.TRANSACTIONAL_MAILER != settings.BULK_MAILER
    assert settings.DEFAULT_FROM_EMAIL != settings.BULK_FROM_EMAIL


@pytest.mark.django_db
def test_the_daily_rate_pauses_until_the_next_day_and_drops_nothing(coop, smtp_mailers):
    import datetime as dt

    from django.test import TestCase
    from django.utils import timezone

    from coopculture.campaigns.models import SendRateSettings
    from coopculture.campaigns.tasks import resume_sends

    with scopes_disabled():
        SendRateSettings.objects.create(coop=coop, per_second=100, per_day=2)
    members = make_members(coop, 3)
    send = make_send(coop)
    start(coop, send)
    assert len(smtp_mailers.messages) == 2
    with scopes_disabled():
        send.refresh_from_db()
        assert send.status == SendStatus.SENDING
        tomorrow = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        assert send.worker_due_at == tomorrow + dt.timedelta(days=1)  # comes back then
        assert sorted(states(send).values()) == ["queued", "sent", "sent"]
        # The next day: yesterday's messages no longer count.
        Recipient.objects.filter(send=send, state="sent").update(
            sent_at=timezone.now() - dt.timedelta(days=1)
        )
        Send.objects.filter(pk=send.pk).update(worker_due_at=timezone.now())
    with TestCase.captureOnCommitCallbacks(execute=True):
        resume_sends()
    assert sorted(m["To"] for m in smtp_mailers.messages) == sorted(m.email for m in members)
    assert set(states(send).values()) == {"sent"}


@pytest.mark.django_db
def test_the_rate_per_second_paces_the_worker(coop, smtp_mailers):
    import time

    from coopculture.campaigns.models import SendRateSettings

    with scopes_disabled():
        SendRateSettings.objects.create(coop=coop, per_second=10, per_day=1000)
    make_members(coop, 12)
    send = make_send(coop)
    started = time.monotonic()
    start(coop, send)
    assert len(smtp_mailers.messages) == 12
    assert time.monotonic() - started >= 1.0  # 12 messages at 10 per second


@pytest.mark.django_db
def test_a_paused_send_stops_and_resumes_where_it_stopped(coop, smtp_mailers, settings):
    from django.test import TestCase

    from coopculture.campaigns import services
    from coopculture.coops.scoping import coop_scope

    settings.CAMPAIGNS_BATCH_SIZE = 2
    members = make_members(coop, 5)
    send = make_send(coop)
    # Started, but paused before its worker ran (the on-commit enqueue is not run here).
    with coop_scope(coop):
        services.send_start(coop=coop, send=send)
        assert services.send_pause(coop=coop, send=send, reason="Relire le texte")
        from coopculture.campaigns.sending import send_batch

        assert send_batch(coop=coop, send_id=send.pk).done  # a paused send sends nothing
    assert smtp_mailers.messages == []
    with TestCase.captureOnCommitCallbacks(execute=True), coop_scope(coop):
        assert services.send_resume(coop=coop, send=send)
    assert sorted(m["To"] for m in smtp_mailers.messages) == sorted(m.email for m in members)
