from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from coopculture.learning.bundles import BundleError, export_bundle


class Command(BaseCommand):
    help = (
        "Export the learning path (modules, activities, glossary and media files) as a "
        "content bundle: a .zip file, or a folder when the target does not end in .zip."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", help="Where to write the bundle (OUT.zip or a folder).")

    def handle(self, *args, target: str, **options):
        path = Path(target)
        as_zip = path.suffix.lower() == ".zip"
        if as_zip and not path.parent.is_dir():
            raise CommandError(
                _("The folder “%(path)s” does not exist.") % {"path": str(path.parent)}
            )
        try:
            data = export_bundle(path, as_zip=as_zip)
        except BundleError as exc:
            for error in exc.errors:
                self.stderr.write(f"- {error}")
            raise CommandError(_("The learning path could not be exported.")) from exc
        activities = sum(len(module["activities"]) for module in data["modules"])
        self.stdout.write(
            _(
                "Learning path exported to %(path)s: %(modules)s modules, %(activities)s "
                "activities, %(terms)s glossary terms."
            )
            % {
                "path": str(path),
                "modules": len(data["modules"]),
                "activities": activities,
                "terms": len(data["glossary"]),
            }
        )
