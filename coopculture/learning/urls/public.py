"""Member-facing learning pages, under /c/<coop_slug>/parcours/ (namespace "learning")."""

from django.urls import path

from coopculture.learning.views import member

app_name = "learning"

urlpatterns = [
    path("", member.home, name="home"),
    path("glossaire/", member.glossary, name="glossary"),
    path("<slug:module_slug>/", member.module_detail, name="module"),
    path("<slug:module_slug>/<int:position>/", member.activity_detail, name="activity"),
    path(
        "<slug:module_slug>/<int:position>/resultat/",
        member.activity_result,
        name="activity-result",
    ),
]
