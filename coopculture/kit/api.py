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

from coopculture.kit.landing import share_image_url
from coopculture.kit.links import piece_link, short_path, short_url
from coopculture.kit.models import Channel, TargetKind
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
