"""Demo data of the tracked links: a few links per demo coop, a few weeks of visits and of
module starts and completions credited to them, so that the figures page has something
to show. Idempotent: links are found again by their name, counts and events overwritten."""

import datetime as dt
import random

from django.utils import timezone

from coopculture.coops.models import Coop
from coopculture.coops.scoping import coop_scope
from coopculture.kit.links import link_create
from coopculture.kit.models import Channel, LinkDailyCount, TargetKind, TrackedLink
from coopculture.learning import api as learning_api

WEEKS = 8

# (channel, name, target: None = landing page, else the rank of the module in the coop's
#  order; then the average visits per day and the share who start and complete a module)
LINKS = [
    (Channel.WEBSITE, "Site internet – page Vie coopérative", None, 3.0, 0.35, 0.15),
    (Channel.NEWSLETTER, "Newsletter des coopérateurs", 0, 2.0, 0.45, 0.2),
    (Channel.SOCIAL, "Publication Facebook", None, 1.2, 0.2, 0.05),
    (Channel.POSTER, "Affiche de l'agence", None, 0.6, 0.3, 0.1),
    (Channel.GENERAL_ASSEMBLY, "Assemblée générale – diaporama", 1, 0.4, 0.6, 0.4),
]
DEMO_SLUGS = ("coop-horizon", "habitat-coteaux", "val-dorme")


def _link(coop, channel, label, module_slug) -> TrackedLink:
    link = TrackedLink.objects.filter(coop=coop, label=label, piece="").first()
    if link is not None:
        return link
    fields = {"target_kind": TargetKind.LANDING}
    if module_slug:
        fields = {"target_kind": TargetKind.MODULE, "module_slug": module_slug}
    return link_create(coop=coop, channel=channel, label=label, **fields)


def load_demo_links(stdout=None, today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    counts = {}
    for slug in DEMO_SLUGS:
        coop = Coop.objects.filter(slug=slug, is_active=True).first()
        if coop is None:
            continue
        rng = random.Random(f"kit-demo:{slug}")
        with coop_scope(coop):
            modules = [m.slug for m in learning_api.module_targets(coop=coop)]
            total = 0
            for channel, label, rank, per_day, start_rate, done_rate in LINKS:
                module_slug = modules[rank] if rank is not None and rank < len(modules) else ""
                link = _link(coop, channel, label, module_slug)
                learner = 0
                for back in range(WEEKS * 7 - 1, -1, -1):
                    day = today - dt.timedelta(days=back)
                    # More visits in the weeks after a newsletter or an AG: a little trend.
                    boost = 1.8 if back < 14 and channel != Channel.WEBSITE else 1.0
                    visits = max(0, round(rng.gauss(per_day * boost, per_day / 2)))
                    if visits:
                        LinkDailyCount.objects.update_or_create(
                            coop=coop, link=link, day=day, defaults={"visits": visits}
                        )
                    total += visits
                    for _visitor in range(visits):
                        if not modules or rng.random() > start_rate:
                            continue
                        learner += 1
                        started = timezone.make_aware(
                            dt.datetime.combine(day, dt.time(9 + rng.randrange(10)))
                        )
                        done = rng.random() < done_rate / start_rate
                        learning_api.demo_attributed_progress(
                            coop=coop,
                            module_slug=module_slug or modules[rng.randrange(len(modules))],
                            learner=f"{link.code}-{day.isoformat()}-{learner}",
                            channel=f"link:{link.code}",
                            started_at=started,
                            completed_at=started + dt.timedelta(minutes=25) if done else None,
                        )
            counts[slug] = total
    if stdout is not None:
        stdout.write(
            "Liens suivis de démonstration : "
            + ", ".join(f"{slug} {n} visites" for slug, n in counts.items())
        )
    return counts
