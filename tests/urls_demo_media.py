"""The real URLconf with /media/ served by the application, as in DEBUG and demo mode
(config.urls adds the same patterns when DEBUG or DJANGO_DEMO is on at start-up)."""

from config.urls import urlpatterns as real_urlpatterns
from coopculture.core.urls import media_urlpatterns

urlpatterns = [*media_urlpatterns(), *real_urlpatterns]
