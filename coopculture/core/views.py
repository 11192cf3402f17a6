from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from coopculture.core.health import service_status


@never_cache
def healthz(request):
    status = service_status()
    healthy = all(status.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": status},
        status=200 if healthy else 503,
    )


def _error(request, template: str, status: int):
    return render(request, template, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _error(request, "errors/400.html", 400)


@requires_csrf_token
def permission_denied(request, exception=None):
    """A refusal names its context: the federation's pages speak of the federation team,
    a coop's pages of the role in that coop, anything else of the account."""
    if request.path_info.startswith("/federation/"):
        context = "federation"
    elif getattr(request, "coop", None) is not None:
        context = "coop"
    else:
        context = "site"
    return render(
        request,
        "errors/403.html",
        {"refusal": context, "refusing_coop": getattr(request, "coop", None)},
        status=403,
    )


@requires_csrf_token
def page_not_found(request, exception=None):
    return _error(request, "errors/404.html", 404)


@requires_csrf_token
def server_error(request):
    # No context processors that could fail again: a plain render of a static page.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("errors/500.html").render())


# The content types media may be shown as; anything else is sent as a download.
INLINE_MEDIA_TYPES = {"image/png", "image/jpeg", "image/webp"}
MEDIA_CSP = "default-src 'none'"


def media(request, path):
    """Uploaded media in DEBUG and demo mode, with the headers the reverse proxy adds in
    production (README, "Serving /media/"): no sniffing, no script, no plugin, nothing
    fetched; only PNG, JPEG and WebP are shown inline, every other file is downloaded."""
    from django.utils.http import content_disposition_header
    from django.views.static import serve

    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in INLINE_MEDIA_TYPES:
        response["Content-Disposition"] = content_disposition_header(True, path.rsplit("/", 1)[-1])
    return response
