"""The short links printed and shared: /l/<code> (namespace "kit"; no coop in the URL)."""

from django.urls import path

from coopculture.kit.views import public

app_name = "kit"

urlpatterns = [
    path("<str:code>", public.short_link, name="short-link"),
]
