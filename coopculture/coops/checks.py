from django_scopes.manager import DisabledQuerySet

from django.apps import apps
from django.core import checks
from django.db import models


def _references_coop(model) -> bool:
    from coopculture.coops.models import Coop

    return any(
        isinstance(field, models.ForeignKey) and field.related_model is Coop
        for field in model._meta.get_fields()
        if field.concrete and not field.auto_created
    )


def _is_coop_scoped(model) -> bool:
    """The default manager refuses to query without an active `coop` scope."""
    from django_scopes import scope

    with scope():  # an empty scope: no dimension set, whatever the caller had
        queryset = model._default_manager.get_queryset()
    return isinstance(queryset, DisabledQuerySet) and "coop" in (queryset.missing_scopes or ())


def check_coop_owned_models_are_scoped(app_configs=None, *, models_to_check=None, **kwargs):
    """Every model with a foreign key to Coop must be scoped by coop (fail closed)."""
    if models_to_check is None:
        if app_configs is None:
            models_to_check = apps.get_models()
        else:
            models_to_check = [m for config in app_configs for m in config.get_models()]
    errors = []
    for model in models_to_check:
        if model._meta.proxy or not _references_coop(model):
            continue
        if not _is_coop_scoped(model):
            errors.append(
                checks.Error(
                    f"{model._meta.label} has a foreign key to Coop but its default manager "
                    "is not scoped by coop.",
                    hint="Subclass coopculture.coops.models.CoopOwnedModel, or set "
                    'objects = ScopedManager(coop="coop") as its first manager.',
                    obj=model,
                    id="coops.E001",
                )
            )
    return errors
