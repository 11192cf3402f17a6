from django.urls import path

from coopculture.coops.views import staff

app_name = "staff"

urlpatterns = [
    path("", staff.dashboard, name="dashboard"),
    path("coop/", staff.coop_settings, name="settings"),
    path("equipe/", staff.team, name="team"),
    path(
        "equipe/invitations/<uuid:invitation_id>/annuler/",
        staff.invitation_revoke,
        name="invitation-revoke",
    ),
    path("equipe/<uuid:membership_id>/role/", staff.membership_role, name="membership-role"),
    path("equipe/<uuid:membership_id>/retirer/", staff.membership_remove, name="membership-remove"),
    path("journal/", staff.audit, name="audit"),
]
