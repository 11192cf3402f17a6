from coopculture.coops.permissions import PERMISSIONS, ROLE_LABELS, role_has_permission


def coop(request):
    coop = getattr(request, "coop", None)
    if coop is None:
        return {}
    role = getattr(request, "coop_role", None)
    return {
        "coop": coop,
        "coop_role": role,
        "coop_role_label": ROLE_LABELS.get(role, ""),
        # "coop.manage_team" -> coop_can.coop_manage_team in templates
        "coop_can": {
            name.replace(".", "_"): role_has_permission(role, name) for name in PERMISSIONS
        },
    }
