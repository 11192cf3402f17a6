"""Public pages of the kit: a coop's landing page, its share picture, the short links.

`/c/<coop>/` and its picture run in the coop's scope (CoopMiddleware). `/l/<code>` names no
coop: the link is found by its code (selectors.link_by_code), then everything else runs in
the scope of the link's own coop, so a code can only ever lead into its coop's space.
"""

import hashlib

from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from coopculture.coops.scoping import coop_scope
from coopculture.core import attribution
from coopculture.core.pdf import pdf_response
from coopculture.kit import counting, landing, printing, selectors, share_image

SHARE_IMAGE_MAX_AGE = 7 * 24 * 3600
BOOKLET_CACHE_SECONDS = 10 * 60  # a public PDF: printed once per coop, profile and content


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


def _booklet_profile(profile_slug: str) -> str:
    profile = printing.profile_of_slug(profile_slug)
    if profile is None:
        raise Http404
    return profile


@require_safe
def booklet_page(request, coop_slug, profile_slug):
    """The welcome booklet of a profile, online (the welcome email links to it)."""
    profile = _booklet_profile(profile_slug)
    context = printing.booklet_page_context(coop=request.coop, profile=profile)
    return render(request, "kit/landing/booklet.html", context)


@require_safe
def booklet_pdf(request, coop_slug, profile_slug):
    """The printable welcome booklet of a profile. Anyone may ask for it (it holds no one's
    data), so it is printed once and kept a few minutes per coop, profile and content."""
    coop = request.coop
    profile = _booklet_profile(profile_slug)
    piece = printing.booklet_piece(coop=coop, profile=profile)
    texts = printing.kit_texts(coop)
    digest = hashlib.sha256(
        repr(
            (
                coop.name,
                str(coop.logo),
                coop.safe_colour,
                coop.contact_phone,
                coop.contact_email,
                coop.postal_address,
                coop.website,
                texts.pk,
                texts.updated_at,
            )
        ).encode()
    ).hexdigest()[:16]
    key = f"kit:booklet:{coop.pk}:{profile}:{digest}"
    pdf = cache.get(key)
    if pdf is None:
        pdf = printing.render_piece(coop=coop, piece=piece)
        cache.set(key, pdf, BOOKLET_CACHE_SECONDS)
    response = pdf_response(pdf, piece.filename, inline=True)
    patch_cache_control(response, public=True, max_age=BOOKLET_CACHE_SECONDS)
    return response
