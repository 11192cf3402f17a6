from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coopculture.learning.bundles import BundleError, import_bundle


class Command(BaseCommand):
    help = (
        "Import a content bundle (a .zip file or a folder) into the learning path. Nothing "
        "is changed when the bundle has errors; they are all listed. Importing the same "
        "bundle again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="The bundle: IN.zip or a folder holding bundle.json.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the bundle and show what would change, without saving anything.",
        )

    def handle(self, *args, source: str, dry_run: bool = False, **options):
        path = Path(source)
        if not path.exists():
            raise CommandError(_("The bundle “%(path)s” does not exist.") % {"path": source})
        try:
            report = import_bundle(path, dry_run=dry_run)
        except BundleError as exc:
            for error in exc.errors:
                self.stderr.write(f"- {error}")
            count = len(exc.errors)
            raise CommandError(
                ngettext(
                    "The bundle has %(count)s error: nothing was imported.",
                    "The bundle has %(count)s errors: nothing was imported.",
                    count,
                )
                % {"count": count}
            ) from exc
        self.stdout.write(str(report))
