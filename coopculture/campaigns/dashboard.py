"""Emails and letters on the coop dashboard (coops.dashboard): what is switched on, what
went out."""

from django.urls import reverse
from django.utils.translation import gettext as _

from coopculture.campaigns.models import (
    AutomationSetting,
    BulletinSettings,
    Recipient,
    RecipientState,
    Send,
    SendKind,
    SendStatus,
)
from coopculture.coops import dashboard


def figures(coop) -> dict:
    recipients = Recipient.objects.filter(coop=coop)
    return {
        "sent": dashboard.count_of(recipients.filter(state=RecipientState.SENT)),
        "letters": dashboard.count_of(recipients.filter(state=RecipientState.LETTER)),
        "campaigns": dashboard.count_of(
            Send.objects.filter(
                coop=coop,
                kind=SendKind.CAMPAIGN,
                status__in=[SendStatus.SENDING, SendStatus.PAUSED, SendStatus.DONE],
            )
        ),
        "automations": dashboard.count_of(
            AutomationSetting.objects.filter(coop=coop, enabled=True)
        ),
        "bulletin": dashboard.count_of(BulletinSettings.objects.filter(coop=coop, enabled=True)),
    }


def present(coop, values: dict) -> dashboard.CardView:
    kwargs = {"coop_slug": coop.slug}
    done = []
    if values["automations"]:
        done.append(
            _("Automatic emails switched on: %(count)s.") % {"count": values["automations"]}
        )
    if values["bulletin"]:
        done.append(_("The monthly bulletin is on."))
    return dashboard.CardView(
        title=_("Emails and letters"),
        done=done,
        figures=[
            dashboard.Figure(_("Emails delivered"), values["sent"]),
            dashboard.Figure(_("Letters to print made"), values["letters"]),
            dashboard.Figure(_("Campaigns sent"), values["campaigns"]),
        ],
        actions=[
            dashboard.Action(
                _("Emails and letters"),
                reverse("campaigns_staff:send-list", kwargs=kwargs),
                "campaigns.view",
            ),
            dashboard.Action(
                _("Automatic emails"),
                reverse("campaigns_staff:automation-list", kwargs=kwargs),
                "campaigns.compose",
            ),
        ],
        empty=not (values["sent"] or values["letters"] or done),
    )


CARD = dashboard.Card(key="campaigns", order=40, figures=figures, present=present)
