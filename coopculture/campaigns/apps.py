from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "coopculture.campaigns"
    label = "campaigns"
    verbose_name = _("Email and letters")

    def ready(self):
        from coopculture.campaigns import dashboard as campaigns_dashboard
        from coopculture.coops import dashboard

        dashboard.register(campaigns_dashboard.CARD)  # the coop dashboard's card
        from coopculture.campaigns import tasks, timeline  # noqa: F401 (registers providers)
        from coopculture.campaigns.models import AutomationOccurrence, Recipient
        from coopculture.core import ticks
        from coopculture.members import personal_data

        # The ledger says what a member received (exported); erasure clears the address
        # and the per-member items and keeps the anonymous row for the send's figures.
        personal_data.register(
            Recipient, fields=["email", "variables", "last_error"], member_path="member"
        )
        personal_data.register(AutomationOccurrence, fields=[], member_path="member")
        ticks.register("campaigns.resume", every=timedelta(minutes=1))(tasks.resume_sends)
        # c2: scheduled campaigns, life-cycle automations, the monthly bulletin, letters.
        from coopculture.campaigns import automations

        ticks.register("campaigns.automations", every=timedelta(minutes=5))(automations.tick)
