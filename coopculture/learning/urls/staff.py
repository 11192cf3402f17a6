"""The coop's adaptation of the path, under /gestion/<coop_slug>/parcours/ (namespace
"learning_staff"; CoopMiddleware guards every /gestion/ URL)."""

from django.urls import path

from coopculture.learning.views import staff

app_name = "learning_staff"

urlpatterns = [
    path("", staff.module_list, name="modules"),
    path("<slug:module_slug>/", staff.module_adapt, name="module"),
]
