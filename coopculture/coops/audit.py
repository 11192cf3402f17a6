"""How audit events read in the activity log (labels and details in plain French)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coopculture.coops.models import AuditEvent, Role

LABELS = {
    "coop.created": gettext_lazy("Coop created"),
    "coop.settings_changed": gettext_lazy("Coop profile changed"),
    "coop.federation_visit": gettext_lazy("Visit by the federation team"),
    "team.invited": gettext_lazy("Invitation sent"),
    "team.invitation_revoked": gettext_lazy("Invitation cancelled"),
    "team.joined": gettext_lazy("Joined the team"),
    "team.role_changed": gettext_lazy("Role changed"),
    "team.removed": gettext_lazy("Removed from the team"),
}


def _role(value) -> str:
    return str(dict(Role.choices).get(value, value or ""))


def describe(event: AuditEvent) -> str:
    data = event.data or {}
    action = event.action
    if action == "team.invited":
        return _("%(email)s, as %(role)s") % {
            "email": data.get("email"),
            "role": _role(data.get("role")),
        }
    if action == "team.role_changed":
        return _("%(email)s: from %(old)s to %(new)s") % {
            "email": data.get("email"),
            "old": _role(data.get("from")),
            "new": _role(data.get("to")),
        }
    if action == "team.joined":
        return _("%(email)s, as %(role)s") % {
            "email": data.get("email"),
            "role": _role(data.get("role")),
        }
    if action in {"team.removed", "team.invitation_revoked"}:
        return str(data.get("email", ""))
    if action == "coop.settings_changed":
        return _("Changed: %(fields)s") % {
            "fields": ", ".join(_field_labels(data.get("fields", [])))
        }
    if action == "coop.created":
        return str(data.get("name", ""))
    return ""


def _field_labels(fields) -> list[str]:
    from coopculture.coops.forms import CoopSettingsForm

    form_fields = CoopSettingsForm.base_fields
    return [str(form_fields[f].label) if f in form_fields else f for f in fields]


def label(event: AuditEvent) -> str:
    return str(LABELS.get(event.action, event.action))
