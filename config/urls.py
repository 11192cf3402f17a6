from allauth.account.decorators import secure_admin_login

from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path

from coopculture.core.urls import media_urlpatterns


def _admin_has_permission(request) -> bool:
    """The technical staff, and the federation team that authors the learning path there
    (coopculture.learning.admin.FederationAuthoring: the only models it may touch)."""
    user = request.user
    return user.is_active and (user.is_staff or getattr(user, "is_federation_staff", False))


def _admin_login(request, extra_context=None):
    """The admin signs in through allauth (rate limits, two-step verification); someone
    already signed in with access goes straight to the admin."""
    if request.user.is_authenticated and admin.site.has_permission(request):
        return redirect("admin:index")
    return _allauth_admin_login(request, extra_context=extra_context)


_allauth_admin_login = secure_admin_login(admin.site.login)
admin.site.has_permission = _admin_has_permission
admin.site.login = _admin_login
admin.site.site_header = "Culture Coop' – administration technique"

urlpatterns = [
    path("", include("coopculture.core.urls")),
    path("", include("coopculture.coops.urls.site")),
    path("", include("coopculture.learning.urls.site")),
    path("compte/", include("allauth.urls")),
    path("c/<slug:coop_slug>/", include("coopculture.kit.urls.public")),
    path("l/", include("coopculture.kit.urls.short")),
    path(
        "c/<slug:coop_slug>/parcours/documents/",
        include("coopculture.learning.urls.documents"),
    ),
    path("c/<slug:coop_slug>/parcours/", include("coopculture.learning.urls.public")),
    path("c/<slug:coop_slug>/mes-donnees/", include("coopculture.members.urls.public")),
    path("c/<slug:coop_slug>/courriels/", include("coopculture.campaigns.urls.public")),
    path("", include("coopculture.campaigns.urls.site")),
    path("gestion/<slug:coop_slug>/", include("coopculture.coops.urls.staff")),
    path("gestion/<slug:coop_slug>/membres/import/", include("coopculture.members.urls.imports")),
    path("gestion/<slug:coop_slug>/", include("coopculture.members.urls.staff")),
    path(
        "gestion/<slug:coop_slug>/parcours/",
        include("coopculture.learning.urls.staff"),
    ),
    path("gestion/<slug:coop_slug>/liens/", include("coopculture.kit.urls.links")),
    path("gestion/<slug:coop_slug>/envois/", include("coopculture.campaigns.urls.staff")),
    path("gestion/<slug:coop_slug>/kit/", include("coopculture.kit.urls.print")),
    path("federation/", include("coopculture.coops.urls.federation")),
    path("federation/kit/", include("coopculture.kit.urls.federation")),
    path("federation/parcours/", include("coopculture.learning.urls.preview")),
    path("federation/admin/", admin.site.urls),
]

if settings.DEBUG or settings.DEMO_MODE:
    # Production serves uploaded media from the reverse proxy, with the same headers
    # (README, "Serving /media/").
    urlpatterns += media_urlpatterns()

handler400 = "coopculture.core.views.bad_request"
handler403 = "coopculture.core.views.permission_denied"
handler404 = "coopculture.core.views.page_not_found"
handler500 = "coopculture.core.views.server_error"
