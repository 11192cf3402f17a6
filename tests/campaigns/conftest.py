import pytest

from tests.campaigns.c2_factories import forget_prepared_versions


@pytest.fixture(autouse=True)
def _fresh_worker_cache():
    """The sending worker keeps prepared versions in memory (by version id, which SQLite
    reuses after a rollback): every test starts without them."""
    forget_prepared_versions()


@pytest.fixture
def demo_path(db):
    """The federation's demo learning path (modules, videos, leaflets)."""
    from coopculture.learning.demo import load_demo_content

    load_demo_content()
