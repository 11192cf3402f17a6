"""What other feature apps (campaigns, ...) may use of the kit: see learning/api.py."""

__all__: list[str] = []


# --- tracked links (k1) ------------------------------------------------------------------------
# A campaign that puts a link in an email makes it a tracked link of its own channel
# (piece="campaign:<id>", channel="mailing" or "newsletter"), so that the figures page
# counts its visits and the modules its readers start:
#
#     link = piece_link(coop=coop, piece=f"campaign:{campaign.pk}", channel="mailing",
#                       label=campaign.subject)
#     url = short_url(link)   # absolute, e.g. https://culturecoop.example.org/l/k3m9xq2

from django.urls import reverse as _reverse

from coopculture.kit.landing import share_image_url
from coopculture.kit.links import piece_link, short_path, short_url
from coopculture.kit.models import Channel, TargetKind
from coopculture.kit.printing import FILE_PROFILES as _FILE_PROFILES
from coopculture.kit.selectors import landing_url

__all__ += [
    "Channel",
    "TargetKind",
    "landing_url",
    "piece_link",
    "share_image_url",
    "short_path",
    "short_url",
]


# --- the welcome booklet online ----------------------------------------------------------
# Members get the welcome booklet of their profile online: a page and its PDF, under the
# coop (/c/<coop>/livret-accueil/<profile>/ and .pdf). A profile the kit does not know is
# an error (KeyError), never a silent fallback to another page.

BOOKLET_PROFILES = tuple(_FILE_PROFILES)  # "accedant", "locataire", "coproprietaire"


def booklet_path(*, coop, profile: str, pdf: bool = False) -> str:
    """The path of `coop`'s welcome booklet for `profile` (its page, or its PDF)."""
    name = "kit_public:booklet-pdf" if pdf else "kit_public:booklet"
    return _reverse(name, kwargs={"coop_slug": coop.slug, "profile_slug": _FILE_PROFILES[profile]})


__all__ += ["BOOKLET_PROFILES", "booklet_path"]
