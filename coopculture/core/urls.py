from django.urls import path

from coopculture.core import views

app_name = "core"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]


def media_urlpatterns(prefix: str | None = None) -> list:
    """/media/ served by the app itself (DEBUG and demo mode; production: the proxy)."""
    from django.conf import settings

    if prefix is None:
        prefix = settings.MEDIA_URL.lstrip("/")
    return [path(f"{prefix}<path:path>", views.media, name="media")]
