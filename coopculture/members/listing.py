"""The member list's counts, computed once per change of the coop's members.

Counting 50,000 members with filters costs tens of milliseconds on PostgreSQL and is the
same answer on every page of the list and for every staff member until something changes;
so is a page of results (the rows' stages, programmes and consents, rendered).
`MemberListVersion` is bumped by every write that can change a list (model signals for
single saves and deletes, explicit calls for bulk writes: the import, erasure, profile
ends); counts are cached under the version, so a stale count is never served, even by
another process with its own local-memory cache.
"""

import hashlib
import json
import secrets

from django_scopes import scopes_disabled

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.utils.functional import cached_property
from django.utils.translation import get_language

from coopculture.members.models import (
    ConsentRecord,
    MemberListVersion,
    MemberProfile,
    Programme,
    Reservation,
)

COUNT_TTL = 15 * 60  # seconds: a bound on memory, not on freshness


def _fresh_version() -> int:
    # Not 1: a cache that outlived the database (a restore, a reloaded demo) must never
    # find its old counts under the new rows' version.
    return secrets.randbits(62)


def bump(coop_id: int) -> None:
    """Every list count of the coop is stale from the end of the current transaction."""
    with scopes_disabled():  # explicit coop_id; signals may fire outside a scope
        updated = MemberListVersion.objects.filter(coop_id=coop_id).update(version=F("version") + 1)
    if not updated:
        _create(coop_id)


def version(coop_id: int) -> int:
    with scopes_disabled():
        value = (
            MemberListVersion.objects.filter(coop_id=coop_id)
            .values_list("version", flat=True)
            .first()
        )
    return value if value is not None else _create(coop_id)


def _create(coop_id: int) -> int:
    with scopes_disabled():
        try:
            with transaction.atomic():
                return MemberListVersion.objects.create(
                    coop_id=coop_id, version=_fresh_version()
                ).version
        except IntegrityError:  # created meanwhile by another request
            return MemberListVersion.objects.get(coop_id=coop_id).version


def _cached(kind: str, coop_id: int, list_version: int, parts, ttl: int, compute):
    """The value kept under (kind, coop, list version, digest of `parts`), computed on a miss."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    key = f"members:{kind}:{coop_id}:{list_version}:{digest[:24]}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    return value


def cached_count(*, coop, filters: dict, today, queryset, list_version: int | None = None) -> int:
    if list_version is None:
        list_version = version(coop.pk)
    return _cached(
        "count", coop.pk, list_version, [filters, today.isoformat()], COUNT_TTL, queryset.count
    )


RESULTS_TTL = 5 * 60  # seconds


def cached_results(*, coop, request, today, build, list_version: int):
    """The rendered results of a member list page, built once per change of the coop's
    members for the same query string (filters, page) and day; `build()` returns the
    picklable value to keep (the table's HTML and the page numbers)."""
    query = sorted(request.GET.lists())
    parts = [query, get_language(), today.isoformat()]
    return _cached("results", coop.pk, list_version, parts, RESULTS_TTL, build)


class CountedPaginator(Paginator):
    """A paginator that is told its count instead of counting."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _on_change(sender, instance, **kwargs):
    bump(instance.coop_id)


def connect_signals() -> None:
    from coopculture.members.models import Member

    for model in (Member, MemberProfile, Reservation, Programme, ConsentRecord):
        uid = f"members.listing.{model.__name__}"
        post_save.connect(_on_change, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=uid + ".delete")
