"""The demo learning path: the 7 modules of DOMAIN.md §7.2, loaded from a content bundle."""

from pathlib import Path

DEMO_BUNDLE = Path(__file__).resolve().parent / "demo_bundle"


def load_demo_content(stdout=None) -> None:
    """Import the demo bundle (idempotent: modules are matched by their slug)."""
    bundle_file = DEMO_BUNDLE / "bundle.json"
    if not bundle_file.exists():  # the bundle arrives with the content work
        return
    from coopculture.learning.bundles import import_bundle_dir

    report = import_bundle_dir(DEMO_BUNDLE)
    if stdout is not None:
        stdout.write(f"Parcours de démonstration : {report}")
