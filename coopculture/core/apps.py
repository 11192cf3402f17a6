from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "coopculture.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.core import checks as django_checks

        from coopculture.core import checks, tasks, ticks

        django_checks.register(checks.check_site_url, django_checks.Tags.security, deploy=True)
        django_checks.register(checks.check_mail, "mail", deploy=True)
        django_checks.register(checks.check_shared_state, django_checks.Tags.caches, deploy=True)

        ticks.register("core.prune_task_results", every=timedelta(days=1))(
            tasks.enqueue_prune_task_results
        )
