"""Public pages of the kit: a coop's landing page, its share picture, the short links.

`/c/<coop>/` and its picture run in the coop's scope (CoopMiddleware). `/l/<code>` names no
coop: the link is found by its code (selectors.link_by_code), then everything else runs in
the scope of the link's own coop, so a code can only ever lead into its coop's space.
"""

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from coopculture.coops.scoping import coop_scope
from coopculture.core import attribution
from coopculture.kit import counting, landing, selectors, share_image

SHARE_IMAGE_MAX_AGE = 7 * 24 * 3600


@require_safe
def landing_page(request, coop_slug):
    return render(request, "kit/landing/landing.html", landing.landing_context(request.coop))


@require_safe
def share_picture(request, coop_slug):
    response = HttpResponse(share_image.share_image(request.coop), content_type="image/png")
    # The address changes with the picture (?v=...): caches may keep it for a week.
    patch_cache_control(response, public=True, max_age=SHARE_IMAGE_MAX_AGE)
    return response


@never_cache
@require_safe
def short_link(request, code):
    """302 to the link's current target (it may change after printing: never cached)."""
    link = selectors.link_by_code(code)
    if link is None:
        return render(request, "kit/landing/unknown_link.html", {"code": code[:16]}, status=404)
    with coop_scope(link.coop):
        url = selectors.link_target_url(link)
        counting.visit_record(request, link)
        if counting.is_countable(request):
            # Attribution (the first link a visitor came through) lives in the session:
            # docs/decisions/0009. Robots and HEAD requests get no session.
            attribution.remember_first_source(request, f"link:{link.code}")
    response = HttpResponseRedirect(url)
    response["X-Robots-Tag"] = "noindex"
    return response
