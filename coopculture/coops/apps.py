from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoopsConfig(AppConfig):
    name = "coopculture.coops"
    label = "coops"
    verbose_name = _("Cooperatives")

    def ready(self):
        from django.core import checks

        from coopculture.coops.checks import check_coop_owned_models_are_scoped

        checks.register(check_coop_owned_models_are_scoped, checks.Tags.models)
