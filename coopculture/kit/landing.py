"""What a coop's landing page shows (/c/<coop>/): built from its profile and its overlay
of the learning path, in a fixed number of queries."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from coopculture.coops.models import Activity
from coopculture.kit import share_image
from coopculture.learning import api as learning_api

FEATURED_MAX = 4


@dataclass(frozen=True)
class Featured:
    title: str
    summary: str
    duration_minutes: int
    url: str
    highlighted: bool
    note: str


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def share_image_url(coop) -> str:
    """Absolute, with the picture's version: a new name or colour makes a new address."""
    path = reverse("kit_public:share-image", kwargs={"coop_slug": coop.slug})
    return absolute(path) + f"?v={share_image.version(coop)}"


def landing_context(coop) -> dict:
    items = learning_api.coop_module_list(coop=coop)
    concerned = [item for item in items if item.status != "not_applicable"]
    featured = [item for item in concerned if item.highlighted or item.status == "recommended"][
        :FEATURED_MAX
    ]
    landing_path = reverse("kit_public:landing", kwargs={"coop_slug": coop.slug})
    return {
        "featured": [
            Featured(
                title=item.module.title,
                summary=item.module.summary,
                duration_minutes=item.module.duration_minutes,
                url=reverse(
                    "learning:module",
                    kwargs={"coop_slug": coop.slug, "module_slug": item.module.slug},
                ),
                highlighted=item.highlighted,
                note=item.note_sentence,
            )
            for item in featured
        ],
        "module_count": len(concerned),
        "total_minutes": sum(item.module.duration_minutes for item in concerned),
        "more_count": max(0, len(concerned) - len(featured)),
        "activity_labels": coop.get_activities_display(),
        "sells_homes": any(
            coop.has_activity(a) for a in (Activity.ACCESSION_VEFA, Activity.PSLA, Activity.BRS_OFS)
        ),
        "rents_homes": coop.has_activity(Activity.GESTION_LOCATIVE),
        "manages_coownership": coop.has_activity(Activity.SYNDIC),
        "canonical_url": absolute(landing_path),
        "share_image_url": share_image_url(coop),
        "share_image_width": share_image.WIDTH,
        "share_image_height": share_image.HEIGHT,
        "parcours_url": reverse("learning:home", kwargs={"coop_slug": coop.slug}),
    }
