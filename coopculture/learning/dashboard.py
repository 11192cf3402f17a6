"""The learning path's card on the coop dashboard (coops.dashboard): who learns."""

from django.urls import reverse
from django.utils.translation import gettext as _

from coopculture.coops import dashboard
from coopculture.learning.models import EventKind, LearningEvent


def figures(coop) -> dict:
    events = LearningEvent.objects.filter(coop=coop)
    return {
        "learners": dashboard.distinct_count_of(events, "learner_key"),
        "started": dashboard.count_of(events.filter(kind=EventKind.MODULE_STARTED)),
        "completed": dashboard.count_of(events.filter(kind=EventKind.MODULE_COMPLETED)),
    }


def present(coop, values: dict) -> dashboard.CardView:
    return dashboard.CardView(
        title=_("The learning path"),
        done=[_("Your members follow the path in your coop's space, adapted to its activities.")],
        figures=[
            dashboard.Figure(_("Learners"), values["learners"]),
            dashboard.Figure(_("Modules started"), values["started"]),
            dashboard.Figure(_("Modules completed"), values["completed"]),
        ],
        actions=[
            dashboard.Action(
                _("Adapt the learning path"),
                reverse("learning_staff:modules", kwargs={"coop_slug": coop.slug}),
                "learning.adapt_path",
            )
        ],
    )


CARD = dashboard.Card(key="learning", order=20, figures=figures, present=present)
