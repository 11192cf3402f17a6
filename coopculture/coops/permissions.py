"""Who may do what in a coop's back office: the one permission table."""

from django.utils.translation import gettext_lazy as _

from coopculture.coops.models import Role

FEDERATION = "federation"

ROLE_LABELS = {
    FEDERATION: _("Federation team"),
    Role.ADMIN: Role.ADMIN.label,
    Role.EDITOR: Role.EDITOR.label,
    Role.ANIMATEUR: Role.ANIMATEUR.label,
}

# permission -> roles that hold it (the federation team holds every permission)
PERMISSIONS: dict[str, frozenset[str]] = {
    "coop.view_dashboard": frozenset({Role.ADMIN, Role.EDITOR, Role.ANIMATEUR}),
    "coop.change_settings": frozenset({Role.ADMIN}),
    "coop.manage_team": frozenset({Role.ADMIN}),
    "coop.view_audit": frozenset({Role.ADMIN}),
    # Animateurs register members for sessions: they see contacts, they do not edit them.
    "members.view": frozenset({Role.ADMIN, Role.EDITOR, Role.ANIMATEUR}),
    "members.manage": frozenset({Role.ADMIN, Role.EDITOR}),
    "members.gdpr": frozenset({Role.ADMIN}),
    "learning.adapt_path": frozenset({Role.ADMIN, Role.EDITOR}),
    # kit (tracked links): animateurs hand out the links and QR codes at sessions and see
    # which channel works; admins and editors create, retarget and archive them.
    "kit.view_links": frozenset({Role.ADMIN, Role.EDITOR, Role.ANIMATEUR}),
    "kit.manage_links": frozenset({Role.ADMIN, Role.EDITOR}),
    "kit.view_figures": frozenset({Role.ADMIN, Role.EDITOR, Role.ANIMATEUR}),
    # kit (print): the whole team downloads the printed pieces; admins and editors write
    # the texts printed on them.
    "kit.use_kit": frozenset({Role.ADMIN, Role.EDITOR, Role.ANIMATEUR}),
    "kit.edit_texts": frozenset({Role.ADMIN, Role.EDITOR}),
    # campaigns (c2): editors write campaigns and automation texts; only admins approve a
    # campaign, switch an automation or the bulletin on (members get mail without anyone
    # checking each one).
    "campaigns.view": frozenset({Role.ADMIN, Role.EDITOR}),
    "campaigns.compose": frozenset({Role.ADMIN, Role.EDITOR}),
    "campaigns.approve": frozenset({Role.ADMIN}),
}


def role_has_permission(role: str | None, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"Unknown permission {permission!r}")
    if role is None:
        return False
    return role == FEDERATION or role in PERMISSIONS[permission]


def request_has_permission(request, permission: str) -> bool:
    return role_has_permission(getattr(request, "coop_role", None), permission)
