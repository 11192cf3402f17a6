"""The print kit, under /gestion/<coop_slug>/kit/ (namespace "kit_print")."""

from django.urls import path

from coopculture.kit.views import print as views

app_name = "kit_print"

urlpatterns = [
    path("", views.index, name="index"),
    path("textes/", views.texts, name="texts"),
    path("pieces/<slug:piece_key>.pdf", views.piece_pdf, name="piece-pdf"),
    path("pieces/<slug:piece_key>.png", views.piece_preview, name="piece-preview"),
    path("kit-complet/", views.build_create, name="build-create"),
    path("kit-complet/<uuid:build_id>/", views.build_detail, name="build"),
    path("kit-complet/<uuid:build_id>/telecharger/", views.build_download, name="build-download"),
]
