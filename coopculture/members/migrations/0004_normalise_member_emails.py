"""Addresses stored before members.contacts.normalise_email: the same form for all of them
(no surrounding spaces, lower case, an accented domain in IDNA) so that mail headers can
carry them and one mailbox is recognised whatever the case it was typed in."""

import re

from django.db import migrations

INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def normalised(address: str) -> str:
    text = INVISIBLE.sub("", address)
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or not local.isascii():
        return address  # unusable either way: left for the staff to correct
    try:
        domain = domain.lower().encode("idna").decode("ascii")
    except UnicodeError:
        return address
    return f"{local.lower()}@{domain}"


def forwards(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    changed = []
    rows = Member._base_manager.exclude(email="").only("id", "email").order_by("id")
    for member in rows.iterator(chunk_size=2000):
        address = normalised(member.email)
        if address != member.email:
            member.email = address
            changed.append(member)
        if len(changed) >= 1000:
            Member._base_manager.bulk_update(changed, ["email"])
            changed = []
    if changed:
        Member._base_manager.bulk_update(changed, ["email"])


class Migration(migrations.Migration):
    dependencies = [("members", "0003_import_analysis")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
