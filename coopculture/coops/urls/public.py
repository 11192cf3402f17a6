from django.urls import path

from coopculture.coops.views import public

app_name = "coop"

urlpatterns = [
    path("", public.coop_public, name="public"),
]
