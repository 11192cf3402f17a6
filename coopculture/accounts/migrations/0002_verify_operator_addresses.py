"""Accounts created by an operator (createsuperuser, the Django admin) before addresses had
to be verified to sign in with a password have no address row at all: their address was
typed by the operator, so it is recorded as verified (accounts.backends). Accounts that do
have rows keep them as they are: an unverified row may be an unproven address."""

from django.db import migrations


def verify_operator_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    without_rows = User.objects.exclude(password__startswith="!").filter(
        emailaddress__isnull=True
    )
    for user in without_rows.iterator():
        if EmailAddress.objects.filter(email__iexact=user.email, verified=True).exists():
            continue
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(verify_operator_addresses, migrations.RunPython.noop)]
