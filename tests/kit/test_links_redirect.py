"""The short links /l/<code>: where they lead, now and after their target changed,
archived links and vanished targets, another coop's space, unknown codes."""

import pytest
from django_scopes import scopes_disabled

from django.test import Client
from django.urls import reverse

from coopculture.kit import links as kit_links
from coopculture.kit.models import TargetKind
from coopculture.learning.models import Module, PublicationStatus
from tests.learning.factories import make_module

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Firefox/128.0"


def make_link(coop, **fields):
    fields.setdefault("channel", "flyer")
    fields.setdefault("label", "Flyer agence")
    with scopes_disabled():
        return kit_links.link_create(coop=coop, **fields)


def visit(link_or_code, *, client=None, method="get", ip="198.51.100.7", agent=BROWSER, **headers):
    client = client or Client()
    code = getattr(link_or_code, "code", link_or_code)
    return getattr(client, method)(f"/l/{code}", REMOTE_ADDR=ip, HTTP_USER_AGENT=agent, **headers)


def landing(coop) -> str:
    return reverse("kit_public:landing", kwargs={"coop_slug": coop.slug})


def module_page(coop, module) -> str:
    return reverse("learning:module", kwargs={"coop_slug": coop.slug, "module_slug": module.slug})


def activity_page(coop, module, position) -> str:
    return reverse(
        "learning:activity",
        kwargs={"coop_slug": coop.slug, "module_slug": module.slug, "position": position},
    )


def test_the_short_path_is_top_level_and_names_no_coop(coop):
    link = make_link(coop)
    assert kit_links.short_path(link) == f"/l/{link.code}"
    assert coop.slug not in kit_links.short_url(link)
    assert kit_links.short_url(link).endswith(f"/l/{link.code}")


def test_a_link_redirects_to_each_kind_of_target_with_an_uncached_302(coop):
    module = make_module(kinds=("text", "quiz"))
    targets = {
        TargetKind.LANDING: ({}, landing(coop)),
        TargetKind.MODULE: ({"module_slug": module.slug}, module_page(coop, module)),
        TargetKind.ACTIVITY: (
            {"module_slug": module.slug, "activity_position": 2},
            activity_page(coop, module, 2),
        ),
    }
    for kind, (fields, expected) in targets.items():
        response = visit(make_link(coop, target_kind=kind, **fields))
        assert response.status_code == 302, kind
        assert response["Location"] == expected, kind
        assert "no-store" in response["Cache-Control"], kind
        assert "max-age=0" in response["Cache-Control"], kind
        # The page it leads to exists.
        assert Client().get(expected).status_code == 200, kind


def test_the_target_changed_after_printing_is_followed_and_the_code_stays(coop):
    first, second = make_module(), make_module(kinds=("text", "video", "quiz"))
    link = make_link(coop, target_kind=TargetKind.MODULE, module_slug=first.slug)
    code = link.code
    assert visit(link)["Location"] == module_page(coop, first)

    with scopes_disabled():
        kit_links.link_update(
            coop=coop,
            link=link,
            label="Flyer agence (v2)",
            target_kind=TargetKind.ACTIVITY,
            module_slug=second.slug,
            activity_position=3,
        )
        link.refresh_from_db()
    assert link.code == code
    assert visit(code)["Location"] == activity_page(coop, second, 3)

    with scopes_disabled():
        kit_links.link_update(coop=coop, link=link, label="x", target_kind=TargetKind.LANDING)
        link.refresh_from_db()
    assert (link.module_slug, link.activity_position) == ("", None)
    assert visit(code)["Location"] == landing(coop)


def test_an_archived_link_leads_to_the_landing_page_and_back_once_restored(coop):
    module = make_module()
    link = make_link(coop, target_kind=TargetKind.MODULE, module_slug=module.slug)
    with scopes_disabled():
        kit_links.link_archive(coop=coop, link=link)
    assert visit(link)["Location"] == landing(coop)
    with scopes_disabled():
        kit_links.link_restore(coop=coop, link=link)
    assert visit(link)["Location"] == module_page(coop, module)


def test_a_vanished_target_leads_to_the_landing_page_never_to_a_404(coop):
    unpublished = make_module()
    deleted = make_module()
    short = make_module(kinds=("text",))
    links = [
        make_link(coop, target_kind=TargetKind.MODULE, module_slug=unpublished.slug),
        make_link(
            coop, target_kind=TargetKind.ACTIVITY, module_slug=unpublished.slug, activity_position=1
        ),
        make_link(coop, target_kind=TargetKind.MODULE, module_slug=deleted.slug),
        make_link(
            coop, target_kind=TargetKind.ACTIVITY, module_slug=short.slug, activity_position=5
        ),
        make_link(coop, target_kind=TargetKind.ACTIVITY, module_slug=short.slug),  # no position
    ]
    Module.objects.filter(pk=unpublished.pk).update(status=PublicationStatus.DRAFT)
    Module.objects.filter(pk=deleted.pk).delete()
    for link in links:
        response = visit(link)
        assert response.status_code == 302
        assert response["Location"] == landing(coop)


def test_a_code_of_coop_a_always_leads_into_coop_a(coop, other_coop):
    module = make_module()
    link_a = make_link(coop, target_kind=TargetKind.MODULE, module_slug=module.slug)
    link_b = make_link(other_coop, target_kind=TargetKind.MODULE, module_slug=module.slug)
    assert visit(link_a)["Location"] == module_page(coop, module)
    assert visit(link_b)["Location"] == module_page(other_coop, module)
    # Even archived or broken, the fallback is the link's own coop.
    Module.objects.filter(pk=module.pk).delete()
    assert visit(link_a)["Location"] == landing(coop)
    assert visit(link_b)["Location"] == landing(other_coop)


def test_a_code_typed_in_capitals_still_works(coop):
    link = make_link(coop)
    assert visit(link.code.upper())["Location"] == landing(coop)


@pytest.mark.parametrize("code", ["zzzzzzz", "abc", "x" * 40, "abc-def.png"])
def test_an_unknown_code_answers_a_french_404_page(coop, code):
    response = visit(code)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Ce lien n’existe pas" in html or "Ce lien n'existe pas" in html
    assert 'lang="fr"' in html
    assert "noindex" in html


def test_a_link_of_a_deactivated_coop_is_unknown(coop):
    link = make_link(coop)
    coop.is_active = False
    coop.save()
    assert visit(link).status_code == 404


def test_only_get_and_head_are_answered(coop):
    link = make_link(coop)
    assert visit(link, method="head").status_code == 302
    assert visit(link, method="post").status_code == 405
