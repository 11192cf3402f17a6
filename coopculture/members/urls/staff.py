"""Members and programmes back office, under /gestion/<coop_slug>/ (namespace "members_staff")."""

from django.urls import path

from coopculture.members.views import staff

app_name = "members_staff"

urlpatterns = [
    path("membres/", staff.member_list, name="member-list"),
    path("membres/nouveau/", staff.member_create, name="member-create"),
    path("membres/<uuid:member_id>/", staff.member_detail, name="member-detail"),
    path("membres/<uuid:member_id>/modifier/", staff.member_edit, name="member-edit"),
    path("membres/<uuid:member_id>/consentement/", staff.member_consent, name="member-consent"),
    path(
        "membres/<uuid:member_id>/export.json", staff.member_export_json, name="member-export-json"
    ),
    path("membres/<uuid:member_id>/export/", staff.member_export, name="member-export"),
    path("membres/<uuid:member_id>/effacer/", staff.member_erase, name="member-erase"),
    path("operations/", staff.programme_list, name="programme-list"),
    path("operations/nouvelle/", staff.programme_create, name="programme-create"),
    path("operations/<uuid:programme_id>/", staff.programme_detail, name="programme-detail"),
    path("operations/<uuid:programme_id>/modifier/", staff.programme_edit, name="programme-edit"),
    path(
        "operations/<uuid:programme_id>/livraison/",
        staff.programme_delivery,
        name="programme-delivery",
    ),
]
