from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KitConfig(AppConfig):
    name = "coopculture.kit"
    label = "kit"
    verbose_name = _("Spreading kit")

    def ready(self):
        from coopculture.coops import dashboard
        from coopculture.kit import dashboard as kit_dashboard

        dashboard.register(kit_dashboard.CARD)  # the coop dashboard's card
        from coopculture.kit import signals  # noqa: F401 (sign-in carries the first source)
        from coopculture.kit.build_tasks import register_print_ticks  # print kit (k2)

        register_print_ticks()

        from coopculture.kit.links import describe_source
        from coopculture.kit.models import AccountSource
        from coopculture.members import personal_data

        # The link through which a member's account first came: exported with the member's
        # data (named, not as a code), deleted when the member is erased.
        personal_data.register(
            AccountSource,
            fields=[],
            member_path="user__member_records",
            delete_on_erasure=True,
            describe=describe_source,
        )
