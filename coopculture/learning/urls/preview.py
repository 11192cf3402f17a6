"""The federation's preview of the path, under /federation/parcours/ (namespace
"learning_preview"; federation team only)."""

from django.urls import path

from coopculture.learning.views import preview

app_name = "learning_preview"

urlpatterns = [
    path("apercu/", preview.index, name="index"),
    path("apercu/<slug:coop_slug>/<slug:module_slug>/", preview.module_preview, name="module"),
]
