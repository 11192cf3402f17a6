"""Where personal data lives: every app declares its models' personal fields here.

GDPR export and erasure walk this registry, so an app that stores something about a
member plugs in with one call from its AppConfig.ready():

    personal_data.register(MyModel, fields=["free_text"], member_path="member")

A test fails when a model that points to Member is missing from the registry.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from coopculture.coops.models import CoopOwnedModel


@dataclass(frozen=True)
class PersonalModel:
    model: type[models.Model]
    fields: tuple[str, ...]  # cleared (or replaced) on erasure, exported as they are
    member_path: str  # lookup from this model to the Member ("" for Member itself)
    delete_on_erasure: bool = False  # rows that make no sense without the person
    # Makes an exported row readable (a code replaced by what it names): (object, row).
    describe: Callable[[models.Model, dict], dict] | None = None

    def rows_of(self, member) -> models.QuerySet:
        """This model's rows about `member`, in the member's coop only (a row reached
        through the member's account may belong to another coop the person is in)."""
        manager = self.model._default_manager
        if self.member_path == "":
            return manager.filter(pk=member.pk)
        rows = manager.filter(**{self.member_path: member})
        if issubclass(self.model, CoopOwnedModel):
            rows = rows.filter(coop_id=member.coop_id)
        return rows


_registry: dict[str, PersonalModel] = {}


def register(
    model,
    *,
    fields,
    member_path: str,
    delete_on_erasure: bool = False,
    describe: Callable[[models.Model, dict], dict] | None = None,
) -> None:
    if (
        member_path
        and not member_path.startswith("member")
        and not issubclass(model, CoopOwnedModel)
    ):
        # Rows reached through the person's account may belong to any coop: without a
        # coop field, an export or an erasure would cross coops.
        raise ImproperlyConfigured(
            f"{model._meta.label} is reached from the member through "
            f"{member_path!r} and must be a CoopOwnedModel (its own coop field)."
        )
    _registry[model._meta.label] = PersonalModel(
        model=model,
        fields=tuple(fields),
        member_path=member_path,
        delete_on_erasure=delete_on_erasure,
        describe=describe,
    )


def registered() -> list[PersonalModel]:
    return list(_registry.values())


def is_registered(model) -> bool:
    return model._meta.label in _registry


def register_core_models() -> None:
    from coopculture.members.models import (
        ConsentRecord,
        Member,
        MemberProfile,
        Reservation,
    )

    register(
        Member,
        fields=[
            "first_name",
            "last_name",
            "email",
            "phone",
            "postal_address",
            "accessibility_notes",
            "external_ref",
            "needs_large_print",
            "needs_digital_help",
            "user",
        ],
        member_path="",
    )
    # Profiles, reservations and consents stay (anonymous) for the coop's figures;
    # their free text goes.
    register(MemberProfile, fields=[], member_path="member")
    register(Reservation, fields=["lot_number"], member_path="member")
    register(ConsentRecord, fields=["note"], member_path="member")
