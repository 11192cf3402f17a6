"""A coop's landing page and share picture, under /c/<coop_slug>/ (namespace "kit_public")."""

from django.urls import path

from coopculture.kit.views import public

app_name = "kit_public"

urlpatterns = [
    path("", public.landing_page, name="landing"),
    path("partage.png", public.share_picture, name="share-image"),
]
