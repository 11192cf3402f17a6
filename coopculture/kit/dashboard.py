"""The spreading kit's card on the coop dashboard (coops.dashboard): links, visits by
channel, the printed kit."""

from django.urls import reverse
from django.utils.translation import gettext as _

from coopculture.coops import dashboard
from coopculture.kit.models import (
    BuildStatus,
    Channel,
    KitBuild,
    KitSettings,
    LinkDailyCount,
    TrackedLink,
)


def figures(coop) -> dict:
    counts = LinkDailyCount.objects.filter(coop=coop)
    values = {
        "links": dashboard.count_of(TrackedLink.objects.filter(coop=coop, archived_at=None)),
        "builds": dashboard.count_of(KitBuild.objects.filter(coop=coop, status=BuildStatus.DONE)),
        "texts": dashboard.count_of(KitSettings.objects.filter(coop=coop)),
    }
    for channel in Channel.values:
        values[f"visits_{channel}"] = dashboard.sum_of(
            counts.filter(link__channel=channel), "visits"
        )
    return values


def present(coop, values: dict) -> dashboard.CardView:
    kwargs = {"coop_slug": coop.slug}
    visits = {channel: values[f"visits_{channel}"] for channel in Channel.values}
    done = []
    if values["texts"]:
        done.append(_("Your texts are printed on the kit."))
    if values["builds"]:
        done.append(_("Whole kit ready to download."))
    figures = [
        dashboard.Figure(_("Tracked links"), values["links"]),
        dashboard.Figure(_("Visits in all"), sum(visits.values())),
    ]
    figures += [
        dashboard.Figure(_("Visits: %(channel)s") % {"channel": Channel(channel).label}, count)
        for channel, count in sorted(visits.items(), key=lambda item: -item[1])
        if count
    ]
    return dashboard.CardView(
        title=_("Spreading kit"),
        done=done,
        figures=figures,
        actions=[
            dashboard.Action(
                _("Print the kit"), reverse("kit_print:index", kwargs=kwargs), "kit.use_kit"
            ),
            dashboard.Action(
                _("Visits by channel"),
                reverse("kit_links:figures", kwargs=kwargs),
                "kit.view_figures",
            ),
        ],
    )


CARD = dashboard.Card(key="kit", order=30, figures=figures, present=present)
