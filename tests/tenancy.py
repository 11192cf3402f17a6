"""The tenant isolation sweep, shared by the tests and their self-test.

It enumerates every URL pattern under /gestion/<coop_slug>/ and /c/<coop_slug>/ from
the URL resolver, fills each object parameter with an object of *another* coop, and
requests it as that coop's staff, as another coop's staff, as a member and anonymously.
Anything but a 404 (or a 405 for a GET on a POST-only view, answered before any
lookup) is a leak.
"""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django_scopes import scopes_disabled

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from coopculture.coops.models import Coop, Invitation, Membership, Role

COOP_PREFIXES = ("gestion/<slug:coop_slug>/", "c/<slug:coop_slug>/")
PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _invitation(coop: Coop):
    with scopes_disabled():
        return Invitation.objects.create(
            coop=coop,
            email=f"invite-{uuid.uuid4().hex[:6]}@example.org",
            role=Role.EDITOR,
            expires_at=timezone.now() + timezone.timedelta(days=7),
        ).public_id


def _membership(coop: Coop):
    from tests.conftest import make_user

    user = make_user(f"team-{uuid.uuid4().hex[:6]}@example.org")
    with scopes_disabled():
        return Membership.objects.create(coop=coop, user=user, role=Role.EDITOR).public_id


def _member_token(coop: Coop):
    from coopculture.members.links import preferences_token
    from tests.members.factories import make_member

    return preferences_token(make_member(coop))


def _member(coop: Coop):
    from tests.members.factories import make_member

    return make_member(coop).public_id


def _programme(coop: Coop):
    from tests.members.factories import make_programme

    return make_programme(coop).public_id


def _member_import(coop: Coop):
    """A checked import (status "mapped") of a two-row CSV, its file in private storage."""
    from django.core.files.base import ContentFile

    from coopculture.members.models import ImportStatus, MemberImport

    headers = ["N° associé", "Nom", "Prénom"]
    with scopes_disabled():
        job = MemberImport(
            coop=coop,
            original_name="adherents.csv",
            encoding="utf-8",
            delimiter=";",
            headers=headers,
            mapping={"targets": ["external_ref", "last_name", "first_name"]},
            status=ImportStatus.MAPPED,
            total_rows=2,
            created_count=2,
        )
        content = "N° associé;Nom;Prénom\nT001;Durand;Anne\nT002;Petit;Paul\n"
        job.file.save(f"{uuid.uuid4().hex}.csv", ContentFile(content.encode()), save=False)
        job.save()
        return job.public_id


def _tracked_link(coop: Coop):
    from coopculture.kit.links import link_create

    with scopes_disabled():
        return link_create(coop=coop, channel="newsletter", label="Lettre de test").public_id


def _kit_build(coop: Coop):
    """A finished "whole kit" build of `coop`, its (tiny) ZIP in private storage."""
    import io
    import zipfile

    from django.core.files.base import ContentFile

    from coopculture.kit.models import BuildStatus, KitBuild

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("flyer.pdf", b"%PDF-1.7 test")
    with scopes_disabled():
        build = KitBuild(coop=coop, status=BuildStatus.DONE, pieces_done=1, pieces_total=1)
        build.archive.save("kit.zip", ContentFile(buffer.getvalue()), save=False)
        build.finished_at = timezone.now()
        build.save()
        return build.public_id


def _campaign_send(coop: Coop):
    """A draft campaign of `coop` (campaigns, c2)."""
    from tests.campaigns.c2_factories import make_campaign

    return make_campaign(coop).public_id


def _letter_batch(coop: Coop):
    """A printed-letters PDF of one of `coop`'s sends, in private storage (campaigns, c2)."""
    from tests.campaigns.c2_factories import make_letter_batch

    return make_letter_batch(coop).public_id


# URL parameter name -> a function that creates such an object in the given coop and
# returns the value to put in the URL. Every URL parameter must be listed here (the sweep
# refuses parameters it cannot fill), either as coop-owned or as global content.
OBJECT_FACTORIES: dict[str, Callable[[Coop], object]] = {
    "import_id": _member_import,
    "invitation_id": _invitation,
    "membership_id": _membership,
    "member_id": _member,
    "programme_id": _programme,
    "token": _member_token,
    "link_id": _tracked_link,
    "build_id": _kit_build,
    "send_id": _campaign_send,
    "batch_id": _letter_batch,
}


# Parameters naming global content (the federation's modules...), the same for every coop:
# a coop's own URL with them is legitimate, so only the "other coop's space" case applies.
def _module_slug(coop: Coop):
    from tests.learning.factories import make_module

    return make_module(kinds=("text", "quiz", "game", "leaflet")).slug


GLOBAL_FACTORIES: dict[str, Callable[[Coop], object]] = {
    "module_slug": _module_slug,
    "position": lambda coop: 1,
    "piece_key": lambda coop: "flyer",  # the print kit's pieces: the same keys in every coop
    "kind": lambda coop: "welcome",  # campaigns (c2): the automations, the same in every coop
    # kit: the welcome booklet of a profile (public, the same profiles in every coop)
    "profile_slug": lambda coop: "accedants",
}


@dataclass(frozen=True)
class CoopRoute:
    route: str
    name: str  # "namespace:name"
    params: tuple[str, ...]  # besides coop_slug

    @property
    def is_staff(self) -> bool:
        return self.route.startswith("gestion/")

    @property
    def has_coop_owned_params(self) -> bool:
        return any(param not in GLOBAL_FACTORIES for param in self.params)


def coop_routes(urlconf=None) -> list[CoopRoute]:
    found = []

    def walk(patterns, prefix: str, namespace: str | None):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace
                full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
                walk(pattern.url_patterns, route, full_ns)
            elif isinstance(pattern, URLPattern) and route.startswith(COOP_PREFIXES):
                if not pattern.name:
                    raise AssertionError(f"Coop URL {route!r} has no name: name it.")
                params = tuple(m["name"] for m in PARAM.finditer(route) if m["name"] != "coop_slug")
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.append(CoopRoute(route=route, name=name, params=params))

    walk(get_resolver(urlconf).url_patterns, "", None)
    return found


def fill(route: CoopRoute, *, url_coop: Coop, objects_coop: Coop) -> dict:
    kwargs = {"coop_slug": url_coop.slug}
    for param in route.params:
        factory = OBJECT_FACTORIES.get(param) or GLOBAL_FACTORIES.get(param)
        if factory is None:
            raise AssertionError(
                f"{route.name}: no factory for the URL parameter {param!r}; "
                "add one to tests/tenancy.py OBJECT_FACTORIES or GLOBAL_FACTORIES."
            )
        kwargs[param] = factory(objects_coop)
    return kwargs
