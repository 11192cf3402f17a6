"""Member imports, under /gestion/<coop_slug>/membres/import/ (namespace "members_import")."""

from django.urls import path

from coopculture.members.views import imports as views

app_name = "members_import"

urlpatterns = [
    path("", views.start, name="start"),
    path("<uuid:import_id>/", views.detail, name="detail"),
    path("<uuid:import_id>/colonnes/", views.mapping, name="mapping"),
    path("<uuid:import_id>/feuille/", views.sheet, name="sheet"),
    path("<uuid:import_id>/apercu/", views.preview, name="preview"),
    path("<uuid:import_id>/rapport.csv", views.report, name="report"),
    path("<uuid:import_id>/erreurs.csv", views.errors, name="errors"),
]
