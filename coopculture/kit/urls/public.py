"""A coop's landing page, share picture and welcome booklets, under /c/<coop_slug>/
(namespace "kit_public")."""

from django.urls import path

from coopculture.kit.views import public

app_name = "kit_public"

urlpatterns = [
    path("", public.landing_page, name="landing"),
    path("partage.png", public.share_picture, name="share-image"),
    path("livret-accueil/<slug:profile_slug>/", public.booklet_page, name="booklet"),
    path("livret-accueil/<slug:profile_slug>.pdf", public.booklet_pdf, name="booklet-pdf"),
]
