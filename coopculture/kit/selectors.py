"""Reads of the kit: tracked links (the print kit adds its own reads below)."""

from dataclasses import dataclass

from django_scopes import scopes_disabled

from django.db.models import Q, Sum
from django.http import Http404
from django.urls import reverse

from coopculture.coops.models import Coop
from coopculture.kit.models import KitBuild, TargetKind, TrackedLink
from coopculture.learning import api as learning_api

# --- Tracked links ---------------------------------------------------------------------------


def access_link(*, coop: Coop, public_id) -> TrackedLink:
    """One of `coop`'s links, archived or not (404 otherwise)."""
    link = TrackedLink.objects.filter(coop=coop, public_id=public_id).first()
    if link is None:
        raise Http404
    return link


def link_total_visits(link: TrackedLink) -> int:
    """Every visit counted for `link` since it was made. One query."""
    return link.daily_counts.aggregate(n=Sum("visits"))["n"] or 0


def link_list(*, coop: Coop, archived: bool = False) -> list[TrackedLink]:
    """The coop's links, newest first, each with `total_visits`. One query."""
    return list(
        TrackedLink.objects.filter(coop=coop, archived_at__isnull=not archived)
        .annotate(total_visits=Sum("daily_counts__visits"))
        .order_by("-created_at", "-pk")
    )


def piece_links(*, coop: Coop, pieces=(), prefixes=()) -> dict[str, TrackedLink]:
    """The coop's printed-piece links (by piece) among `pieces`, or whose piece starts with
    one of `prefixes`. One query."""
    wanted = Q(piece__in=list(pieces))
    for prefix in prefixes:
        wanted |= Q(piece__startswith=prefix)
    return {link.piece: link for link in TrackedLink.objects.filter(wanted, coop=coop)}


def link_by_code(code: str) -> TrackedLink | None:
    """The link printed as `/l/<code>`, whichever coop it belongs to (the short URL names
    no coop: this is the one cross-coop read of the kit), with its coop. One query."""
    if not code or len(code) > 16:
        return None
    with scopes_disabled():
        return (
            TrackedLink.objects.select_related("coop")
            .filter(code=code.lower(), coop__is_active=True)
            .first()
        )


def landing_url(coop: Coop) -> str:
    return reverse("kit_public:landing", kwargs={"coop_slug": coop.slug})


def link_target_url(link: TrackedLink) -> str:
    """Where `link` leads now: its target inside its own coop's space, or that coop's
    landing page when the link is archived or its target is gone. Never another coop's
    page, never a 404 for a printed code. At most one query."""
    coop = link.coop
    if link.archived_at is None:
        if link.target_kind == TargetKind.MODULE:
            url = learning_api.target_url(coop=coop, module_slug=link.module_slug)
            if url:
                return url
        elif link.target_kind == TargetKind.ACTIVITY and link.activity_position is not None:
            url = learning_api.target_url(
                coop=coop, module_slug=link.module_slug, position=link.activity_position
            )
            if url:
                return url
    return landing_url(coop)


@dataclass(frozen=True)
class TargetDescription:
    kind_label: str
    title: str
    missing: bool


def describe_targets(*, coop: Coop, links: list[TrackedLink]) -> dict[int, TargetDescription]:
    """What each link leads to, in words, for the staff pages. Two queries in all."""
    modules = {m.slug: m for m in learning_api.module_targets(coop=coop)}
    described = {}
    for link in links:
        kind_label = str(TargetKind(link.target_kind).label)
        if link.target_kind == TargetKind.LANDING:
            described[link.pk] = TargetDescription(kind_label, "", False)
            continue
        module = modules.get(link.module_slug)
        if module is None:
            described[link.pk] = TargetDescription(kind_label, link.module_slug, True)
            continue
        if link.target_kind == TargetKind.MODULE:
            described[link.pk] = TargetDescription(kind_label, module.title, False)
            continue
        activity = dict(module.activities).get(link.activity_position)
        if activity is None:
            described[link.pk] = TargetDescription(kind_label, module.title, True)
        else:
            described[link.pk] = TargetDescription(
                kind_label, f"{module.title} – {activity}", False
            )
    return described


# --- Print kit -------------------------------------------------------------------------------


def access_build(*, coop: Coop, public_id) -> KitBuild:
    """One of `coop`'s whole-kit ZIPs (404 otherwise)."""
    build = KitBuild.objects.filter(coop=coop, public_id=public_id).first()
    if build is None:
        raise Http404
    return build


def build_history(*, coop: Coop, limit: int = 20) -> list[KitBuild]:
    """The coop's latest whole-kit ZIPs, newest first, with who asked. One query."""
    return list(
        KitBuild.objects.filter(coop=coop)
        .select_related("requested_by")
        .order_by("-created_at")[:limit]
    )
