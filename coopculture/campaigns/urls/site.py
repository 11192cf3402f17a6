"""Site-wide mail endpoints: tracked links (/m/<token>/) and the bounce webhook."""

from django.urls import path

from coopculture.campaigns.views import public

urlpatterns = [
    path("m/<str:token>/", public.click, name="campaigns_click"),
    path("webhooks/courriels/rebonds/", public.bounce_webhook, name="campaigns_bounce_webhook"),
]
