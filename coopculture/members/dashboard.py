"""The members' card on the coop dashboard (coops.dashboard): how many, reachable how."""

from django.urls import reverse
from django.utils.translation import gettext as _

from coopculture.coops import dashboard
from coopculture.members.models import Channel, ImportStatus, Member, MemberImport


def figures(coop) -> dict:
    members = Member.objects.filter(coop=coop, anonymised_at__isnull=True)
    return {
        "members": dashboard.count_of(members),
        "with_email": dashboard.count_of(members.exclude(email="")),
        "by_post": dashboard.count_of(members.filter(preferred_channel=Channel.POST)),
        "imports": dashboard.count_of(
            MemberImport.objects.filter(coop=coop, status=ImportStatus.DONE)
        ),
    }


def present(coop, values: dict) -> dashboard.CardView:
    kwargs = {"coop_slug": coop.slug}
    done = []
    if values["imports"]:
        done.append(_("Files imported: %(count)s.") % {"count": values["imports"]})
    return dashboard.CardView(
        title=_("Members"),
        done=done,
        figures=[
            dashboard.Figure(_("Members"), values["members"]),
            dashboard.Figure(_("With an email address"), values["with_email"]),
            dashboard.Figure(_("Prefer letters by post"), values["by_post"]),
        ],
        actions=[
            dashboard.Action(
                _("Import a file"), reverse("members_import:start", kwargs=kwargs), "members.manage"
            ),
            dashboard.Action(
                _("See the members"),
                reverse("members_staff:member-list", kwargs=kwargs),
                "members.view",
            ),
        ],
        empty=not values["members"],
    )


CARD = dashboard.Card(key="members", order=10, figures=figures, present=present)
