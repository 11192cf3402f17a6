"""The only ways coop scopes are opened (see docs/decisions/0001-tenancy-and-urls.md)."""

from contextlib import contextmanager

from django_scopes import scope

from coopculture.coops.models import Coop


@contextmanager
def coop_scope(coop: Coop):
    """Run the block with every coop-owned query limited to `coop`.

    Refuses anything but a saved Coop: django-scopes treats `coop=None` as "no filter",
    which would open every coop's data.
    """
    if not isinstance(coop, Coop) or coop.pk is None:
        raise ValueError("coop_scope() needs a saved Coop.")
    with scope(coop=coop):
        yield


def ensure_same_coop(coop: Coop, *objects) -> None:
    """Writes are not guarded by scopes: refuse to link rows of different coops."""
    for obj in objects:
        if obj is not None and getattr(obj, "coop_id", coop.pk) != coop.pk:
            raise ValueError(f"{obj!r} belongs to another coop.")
