from django_scopes import ScopedManager

from django.db import models
from django.test.utils import isolate_apps

from coopculture.coops.checks import check_coop_owned_models_are_scoped
from coopculture.coops.models import Coop


def test_every_installed_model_passes_the_scoping_check():
    assert check_coop_owned_models_are_scoped() == []


@isolate_apps("coopculture.coops")
def test_a_model_with_a_coop_key_and_a_plain_manager_is_refused():
    """Adding a coop-owned model without the scoped manager fails `manage.py check`."""

    class Leaky(models.Model):
        coop = models.ForeignKey(Coop, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "coops"

    class Safe(models.Model):
        coop = models.ForeignKey(Coop, on_delete=models.CASCADE, related_name="+")
        objects = ScopedManager(coop="coop")

        class Meta:
            app_label = "coops"

    errors = check_coop_owned_models_are_scoped(models_to_check=[Leaky, Safe])
    labels = {error.obj for error in errors}
    assert {error.id for error in errors} == {"coops.E001"}
    assert Leaky in labels
    assert Safe not in labels
