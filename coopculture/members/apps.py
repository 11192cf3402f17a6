from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "coopculture.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self):
        from coopculture.coops import dashboard
        from coopculture.members import dashboard as members_dashboard

        dashboard.register(members_dashboard.CARD)  # the coop dashboard's card
        from coopculture.core import ticks
        from coopculture.members import import_tasks, listing, personal_data, tasks

        listing.connect_signals()

        personal_data.register_core_models()
        ticks.register("members.retention", every=timedelta(days=1))(tasks.enqueue_retention)
        # Import files and their error lists hold personal data: uploads of unfinished
        # imports go after a day, orphan files after an hour, the rest after 7 days.
        ticks.register("members.import_files", every=timedelta(hours=1))(import_tasks.enqueue_purge)
