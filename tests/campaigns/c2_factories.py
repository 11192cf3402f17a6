"""Test data of the campaigns back office, automations, bulletin and letters (c2)."""

from django_scopes import scopes_disabled

from django.core.files.base import ContentFile
from django.test import TestCase

from coopculture.campaigns.models import LetterBatch, Send, SendKind
from coopculture.coops.scoping import coop_scope
from coopculture.members.models import Purpose
from tests.campaigns.factories import make_message


def make_campaign(coop, **fields) -> Send:
    """A draft one-off campaign (its text from tests.campaigns.factories)."""
    message = make_message(coop)
    values = {"kind": SendKind.CAMPAIGN, "name": message.name, "purpose": Purpose.COOP_NEWS}
    values.update(fields)
    with scopes_disabled():
        return Send.objects.create(coop=coop, message=message, **values)


def make_letter_batch(coop) -> LetterBatch:
    send = make_campaign(coop)
    with scopes_disabled():
        batch = LetterBatch(coop=coop, send=send, letter_count=1)
        batch.file.save("letters.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
        batch.save()
    return batch


def run_in_coop(coop, func, **kwargs):
    """Run `func(coop=coop, **kwargs)` as a task would: in the coop's scope, with the
    on-commit callbacks (the worker, the letters) executed."""
    with TestCase.captureOnCommitCallbacks(execute=True), coop_scope(coop):
        return func(coop=coop, **kwargs)


def forget_prepared_versions():
    """The worker keeps prepared versions per version id for the process
    (campaigns.sending); SQLite reuses ids after each test's rollback."""
    from coopculture.campaigns import sending

    sending._prepared_cache.clear()
