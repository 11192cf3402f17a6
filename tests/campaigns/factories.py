"""Test data of campaigns: consenting members in bulk, a message, a send."""

from django_scopes import scopes_disabled

from coopculture.campaigns.models import Message, Send, SendKind
from coopculture.members.models import (
    Channel,
    ConsentRecord,
    ConsentSource,
    LegalBasis,
    Member,
    Purpose,
)


def make_members(coop, count: int, *, consent=True, purpose=Purpose.COOP_NEWS, **fields):
    """`count` members created in bulk (emails m<i>@<coop>.test), with consent."""
    with scopes_disabled():
        start = Member.objects.count()
        members = Member.objects.bulk_create(
            [
                Member(
                    coop=coop,
                    first_name=fields.get("first_name", f"Prénom{start + i}"),
                    last_name=f"Nom{start + i}",
                    email=fields.get("email", f"m{start + i}@{coop.slug}.test"),
                    preferred_channel=fields.get("preferred_channel", Channel.EMAIL),
                    postal_address="3 rue des Lilas\n35000 Rennes",
                )
                for i in range(count)
            ],
            batch_size=1000,
        )
        if consent:
            ConsentRecord.objects.bulk_create(
                [
                    ConsentRecord(
                        coop=coop,
                        member=member,
                        purpose=purpose,
                        granted=True,
                        legal_basis=LegalBasis.CONSENT,
                        source=ConsentSource.WEB_FORM,
                    )
                    for member in members
                ],
                batch_size=1000,
            )
    return members


def make_message(coop, **fields) -> Message:
    values = {
        "kind": SendKind.CAMPAIGN,
        "name": "Nouvelles du chantier",
        "subject": "Bonjour {first_name}, des nouvelles de votre résidence",
        "body": "Bonjour {first_name},\n\nLe chantier avance : la charpente est posée.\n\n"
        "À bientôt,\nL'équipe",
        "blocks": [],
    }
    values.update(fields)
    with scopes_disabled():
        return Message.objects.create(coop=coop, **values)


def make_send(coop, message=None, **fields) -> Send:
    message = message or make_message(coop)
    values = {"kind": SendKind.CAMPAIGN, "name": message.name, "purpose": Purpose.COOP_NEWS}
    values.update(fields)
    with scopes_disabled():
        return Send.objects.create(coop=coop, message=message, **values)


def start(coop, send, members=None):
    from django.test import TestCase

    from coopculture.campaigns import services
    from coopculture.coops.scoping import coop_scope

    # The worker is enqueued on commit: run it (immediate backend in tests).
    with TestCase.captureOnCommitCallbacks(execute=True), coop_scope(coop):
        if members is not None:
            members = Member.objects.filter(pk__in=[m.pk for m in members])
        return services.send_start(coop=coop, send=send, members=members)
