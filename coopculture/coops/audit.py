"""How audit events read in the activity log (labels and details in plain French)."""

from django.utils import formats
from django.utils.dateparse import parse_date
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
    "learning.module_adapted": gettext_lazy("Module adapted"),
    "members.created": gettext_lazy("Member added"),
    "members.updated": gettext_lazy("Member details changed"),
    "members.exported": gettext_lazy("Member data exported"),
    "members.access_code_sent": gettext_lazy("Access code sent to the member"),
    "members.access_proven": gettext_lazy("Member's own pages opened with the code"),
    "members.anonymised": gettext_lazy("Member data erased"),
    "members.imported": gettext_lazy("Members imported"),
    "members.programme_created": gettext_lazy("Programme created"),
    "members.programme_updated": gettext_lazy("Programme changed"),
    "members.delivery_changed": gettext_lazy("Expected delivery date changed"),
}

# Member fields named in "members.updated" events (members.models.Member: coops may not
# import members, so the labels are repeated here with the same source strings).
MEMBER_FIELDS = {
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "email": gettext_lazy("email address"),
    "phone": gettext_lazy("phone"),
    "postal_address": gettext_lazy("postal address"),
    "preferred_channel": gettext_lazy("preferred channel"),
    "needs_large_print": gettext_lazy("large print"),
    "needs_digital_help": gettext_lazy("help with digital tools"),
    "accessibility_notes": gettext_lazy("other needs"),
    "external_ref": gettext_lazy("member number or client reference"),
}
ERASURE_REASONS = {
    "request": gettext_lazy("at the member's request"),
    "retention": gettext_lazy("retention period over"),
}

# The statuses a coop may give a module (learning.models.ModuleStatus: coops may not
# import learning, so the labels are repeated here with the same source strings).
MODULE_STATUSES = {
    "recommended": gettext_lazy("Recommended"),
    "optional": gettext_lazy("Optional"),
    "not_applicable": gettext_lazy("Does not concern the coop"),
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
    if action == "learning.module_adapted":
        status = data.get("status")
        return _("%(module)s: %(status)s, %(highlight)s") % {
            "module": data.get("module", ""),
            "status": (str(MODULE_STATUSES.get(status, status)) if status else _("default status")),
            "highlight": _("highlighted") if data.get("highlighted") else _("not highlighted"),
        }
    if action.startswith("members."):
        return _describe_members(action, data)
    return ""


def _member_ref(data) -> str:
    """Members appear by the start of their public id: the log outlives their name."""
    return _("member record %(id)s") % {"id": str(data.get("member", ""))[:8]}


def _day(value) -> str:
    day = parse_date(value) if value else None
    return formats.date_format(day, "DATE_FORMAT") if day else _("none")


def _describe_members(action: str, data: dict) -> str:
    if action in {
        "members.created",
        "members.exported",
        "members.access_code_sent",
        "members.access_proven",
    }:
        return _member_ref(data)
    if action == "members.updated":
        return _("%(member)s, changed: %(fields)s") % {
            "member": _member_ref(data),
            "fields": ", ".join(str(MEMBER_FIELDS.get(f, f)) for f in data.get("fields", [])),
        }
    if action == "members.anonymised":
        reason = data.get("reason", "")
        return _("%(member)s (%(reason)s)") % {
            "member": _member_ref(data),
            "reason": ERASURE_REASONS.get(reason, reason),
        }
    if action in {"members.programme_created", "members.programme_updated"}:
        return str(data.get("programme", ""))
    if action == "members.delivery_changed":
        return _("%(programme)s: from %(old)s to %(new)s") % {
            "programme": data.get("programme", ""),
            "old": _day(data.get("from")),
            "new": _day(data.get("to")),
        }
    if action == "members.imported":
        counts = {key: data.get(key, 0) for key in ("created", "updated", "unchanged")}
        return _("%(file)s: %(created)s added, %(updated)s updated, %(unchanged)s unchanged") % {
            "file": data.get("file", ""),
            **counts,
        }
    return ""


def _field_labels(fields) -> list[str]:
    from coopculture.coops.forms import CoopSettingsForm

    form_fields = CoopSettingsForm.base_fields
    return [str(form_fields[f].label) if f in form_fields else f for f in fields]


def label(event: AuditEvent) -> str:
    return str(LABELS.get(event.action, event.action))
