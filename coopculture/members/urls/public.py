"""Member-facing pages reached by a signed link, under /c/<coop_slug>/mes-donnees/
(namespace "members_public")."""

from django.urls import path

from coopculture.members.views import public

app_name = "members_public"

urlpatterns = [
    path("<str:token>/", public.preferences, name="preferences"),
    path("<str:token>/donnees.json", public.export_json, name="export-json"),
    path("<str:token>/donnees/", public.export, name="export"),
]
