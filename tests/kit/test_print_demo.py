"""The demo coops' kits: texts within their limits, every fixed layout whole, every QR code
readable (the pieces `make demo` shows)."""

import pytest
from django_scopes import scopes_disabled

from coopculture.coops.demo import load_demo
from coopculture.coops.models import Coop
from coopculture.kit.demo_print import TEXTS, load_demo_kit_texts
from coopculture.kit.models import KitSettings
from coopculture.learning.demo import load_demo_content
from tests.kit.print_helpers import decoded_qr_codes, layout, layout_problems, pieces_of, render

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    with scopes_disabled():
        load_demo()
        load_demo_content()
        assert load_demo_kit_texts() == 3
        assert load_demo_kit_texts() == 3  # idempotent
        return list(Coop.objects.filter(slug__in=list(TEXTS)).order_by("slug"))


def test_the_demo_texts_fit_their_limits(demo):
    with scopes_disabled():
        rows = list(KitSettings.objects.filter(coop__in=demo))
        assert len(rows) == 3
        for row in rows:
            row.full_clean()
            assert row.tagline and row.message and row.welcome_text


def test_every_demo_piece_holds_and_scans(demo):
    for coop in demo:
        for piece in pieces_of(coop):
            if piece.pages:
                document = layout(coop, piece)
                assert len(document.pages) == piece.pages, (coop.slug, piece.key)
                assert layout_problems(document) == [], (coop.slug, piece.key)
            if piece.kind in ("flyer", "booklet"):
                codes = decoded_qr_codes(render(coop, piece), dpi=100)
                assert codes and all("/l/" in code for code in codes), (coop.slug, piece.key)
