"""Tracked links and their figures, under /gestion/<coop_slug>/liens/ (namespace "kit_links")."""

from django.urls import path

from coopculture.kit.views import links

app_name = "kit_links"

urlpatterns = [
    path("", links.link_list, name="list"),
    path("archives/", links.link_archived_list, name="archived"),
    path("nouveau/", links.link_create_view, name="create"),
    path("chiffres/", links.figures, name="figures"),
    path("<uuid:link_id>/", links.link_detail, name="detail"),
    path("<uuid:link_id>/modifier/", links.link_edit, name="edit"),
    path("<uuid:link_id>/archiver/", links.link_archive_view, name="archive"),
    path("<uuid:link_id>/restaurer/", links.link_restore_view, name="restore"),
    path("<uuid:link_id>/qr.svg", links.qr_svg, name="qr-svg"),
    path("<uuid:link_id>/qr.png", links.qr_png, name="qr-png"),
]
