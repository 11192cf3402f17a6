"""Logos stored before uploads were re-encoded (core.images) may be HTML, SVG or polyglot
files under any extension: re-encode each one now, under a name of its decoded format;
a logo that is not a readable PNG, JPEG or WebP image is removed. Old files are deleted
once the migration has committed."""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import migrations, transaction


def reencode_stored_logos(apps, schema_editor):
    from coopculture.coops.branding import LOGO_RULES
    from coopculture.coops.models import coop_logo_path
    from coopculture.core.images import reencode_image

    Coop = apps.get_model("coops", "Coop")
    for coop in Coop.objects.exclude(logo="").only("pk", "uuid", "logo"):
        old = coop.logo.name
        try:
            with default_storage.open(old) as stored:
                data = stored.read(LOGO_RULES.max_bytes + 1)
            clean = reencode_image(ContentFile(data), rules=LOGO_RULES)
        except (OSError, ValidationError):
            new = ""
        else:
            new = default_storage.save(coop_logo_path(coop, clean.name), clean)
        Coop.objects.filter(pk=coop.pk).update(logo=new)
        if default_storage.exists(old):
            transaction.on_commit(lambda name=old: default_storage.delete(name))


class Migration(migrations.Migration):
    dependencies = [("coops", "0003_coop_tracks_ag_email_consent")]

    operations = [migrations.RunPython(reencode_stored_logos, migrations.RunPython.noop)]
