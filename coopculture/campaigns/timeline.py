"""What a member received (or why not), on their timeline in the members pages."""

from django.utils.translation import gettext as _

from coopculture.members import timeline


@timeline.register
def mail_received(coop, member) -> list[timeline.TimelineEntry]:
    from coopculture.campaigns.models import Recipient, RecipientState

    entries = []
    rows = (
        Recipient.objects.filter(coop=coop, member=member)
        .select_related("send")
        .order_by("created_at", "id")
    )
    for row in rows:
        values = {"name": row.send.name, "state": row.get_state_display()}
        if row.state == RecipientState.SENT:
            label = _("Email received: %(name)s") % values
        elif row.state == RecipientState.LETTER:
            label = _("Letter to print: %(name)s") % values
        else:
            label = _("%(name)s: %(state)s") % values
        if row.unsubscribed_at:
            label = _("%(event)s (unsubscribed from it)") % {"event": label}
        entries.append(
            timeline.TimelineEntry(
                date=row.sent_at or row.created_at, kind=f"campaigns.{row.state}", label=label
            )
        )
    return entries
