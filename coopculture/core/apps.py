from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "coopculture.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from coopculture.core import tasks, ticks

        ticks.register("core.prune_task_results", every=timedelta(days=1))(
            tasks.enqueue_prune_task_results
        )
