"""A URLconf with a deliberately unescaped back office view, for the markup sweep's
self-test (tests/test_markup_injection.py)."""

from django.http import HttpResponse
from django.urls import include, path
from django.utils.safestring import mark_safe

from config.urls import urlpatterns as real_urlpatterns


def unescaped_name(request, coop_slug):
    # The bug: the coop's name output as markup.
    return HttpResponse(mark_safe(f"<p>{request.coop.name}</p>"))  # noqa: S308


leaky_patterns = ([path("fuite-balisage/", unescaped_name, name="unescaped")], "staff")

urlpatterns = [
    path("gestion/<slug:coop_slug>/", include(leaky_patterns, namespace="leaky_markup")),
    *real_urlpatterns,
]
