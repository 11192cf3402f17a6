"""Who a send goes to: the members app's filters plus learning progress."""

from coopculture.learning import api as learning_api
from coopculture.members.selectors import member_list

# Keys of Send.segment understood here (the rest go to members.selectors.member_list).
LEARNING_KEYS = ("not_started_module", "not_completed_module", "completed_module")
MEMBER_KEYS = ("profile", "stage", "programme", "channel", "consent", "has_email", "q")


def segment_members(*, coop, segment: dict):
    """The members a segment designates (a queryset; anonymised members never)."""
    filters = {key: segment[key] for key in MEMBER_KEYS if segment.get(key)}
    members = member_list(coop=coop, filters=filters)
    if slug := segment.get("not_started_module"):
        members = members.exclude(
            user_id__in=learning_api.users_with_module(coop=coop, module_slug=slug)
        )
    if slug := segment.get("not_completed_module"):
        members = members.exclude(
            user_id__in=learning_api.users_with_module(coop=coop, module_slug=slug, completed=True)
        )
    if slug := segment.get("completed_module"):
        members = members.filter(
            user_id__in=learning_api.users_with_module(coop=coop, module_slug=slug, completed=True)
        )
    return members
