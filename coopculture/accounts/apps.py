from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "coopculture.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from coopculture.accounts import signals, tasks  # noqa: F401 (connects receivers)
        from coopculture.core import ticks

        ticks.register("accounts.purge_unconfirmed_accounts", every=timedelta(hours=1))(
            tasks.enqueue_purge_unconfirmed_accounts
        )
