from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The fictional demo federation: the top layer, it may use every app's demo data."""

    name = "coopculture.demo"
    label = "demo"
    verbose_name = _("Demo")
