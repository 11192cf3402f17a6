import pytest

from coopculture.kit import printing


@pytest.fixture
def renders(monkeypatch):
    """The keys of the pieces rendered in this process (the web requests), in order."""
    seen = []
    real = printing.render_piece

    def counting(**kwargs):
        seen.append(kwargs["piece"].key)
        return real(**kwargs)

    monkeypatch.setattr(printing, "render_piece", counting)
    return seen
