"""Retention: members without contact for N years (coop setting, default 3) are flagged,
then anonymised 30 days later unless they came back meanwhile."""

import datetime as dt

from django_scopes import scopes_disabled

from django.utils import timezone

from coopculture.coops.models import Coop
from coopculture.coops.scoping import coop_scope
from coopculture.members.models import Member

DEFAULT_RETENTION_YEARS = 3
GRACE_PERIOD = dt.timedelta(days=30)


def retention_run(*, now=None) -> dict:
    from coopculture.members.services import member_anonymise

    now = now or timezone.now()
    flagged = anonymised = 0
    with scopes_disabled():
        coops = list(Coop.objects.filter(is_active=True))
    for coop in coops:
        years = coop.retention_years or DEFAULT_RETENTION_YEARS
        cutoff = now - dt.timedelta(days=365 * years)
        with coop_scope(coop):
            members = Member.objects.filter(coop=coop, anonymised_at__isnull=True)
            # Came back since being flagged: unflag.
            members.filter(retention_flagged_at__isnull=False, last_contact_at__gte=cutoff).update(
                retention_flagged_at=None
            )
            flagged += members.filter(
                retention_flagged_at__isnull=True, last_contact_at__lt=cutoff
            ).update(retention_flagged_at=now)
            for member in members.filter(retention_flagged_at__lte=now - GRACE_PERIOD):
                member_anonymise(coop=coop, actor=None, member=member, reason="retention")
                anonymised += 1
    return {"flagged": flagged, "anonymised": anonymised}
