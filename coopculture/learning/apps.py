from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "coopculture.learning"
    label = "learning"
    verbose_name = _("Learning path")

    def ready(self):
        from coopculture.coops import dashboard
        from coopculture.learning import dashboard as learning_dashboard

        dashboard.register(learning_dashboard.CARD)  # the coop dashboard's card
        from coopculture.learning import signals  # noqa: F401 (connects receivers)
