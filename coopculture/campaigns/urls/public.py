"""Member-facing mail pages under /c/<coop_slug>/courriels/ (namespace "campaigns_public")."""

from django.urls import path

from coopculture.campaigns.views import public

app_name = "campaigns_public"

urlpatterns = [
    path("desinscription/<str:token>/", public.unsubscribe, name="unsubscribe"),
    path("essai/<slug:kind>/", public.test_link, name="test-link"),
]
