"""The real URLconf plus the demo-mode media view under /medias-demo/: pytest-django's live
server answers /media/ itself (Django's test media handler), before any URLconf."""

from config.urls import urlpatterns as real_urlpatterns
from coopculture.core.urls import media_urlpatterns

MEDIA_PREFIX = "/medias-demo/"

urlpatterns = [*media_urlpatterns(prefix=MEDIA_PREFIX.lstrip("/")), *real_urlpatterns]
