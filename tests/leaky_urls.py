"""A URLconf with a deliberately broken coop-owned view, for the sweep's self-test."""

from django_scopes import scopes_disabled

from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as real_urlpatterns
from coopculture.coops.models import Invitation


def leaky_invitation(request, coop_slug, invitation_id):
    with scopes_disabled():  # the bug: reads outside the coop's scope
        invitation = Invitation.objects.get(public_id=invitation_id)
    return HttpResponse(invitation.email)


leaky_patterns = (
    [path("fuite/<uuid:invitation_id>/", leaky_invitation, name="leak")],
    "staff",
)

urlpatterns = [
    path("gestion/<slug:coop_slug>/", include(leaky_patterns, namespace="leaky")),
    *real_urlpatterns,
]
