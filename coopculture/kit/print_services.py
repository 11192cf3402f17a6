"""Writes of the print kit: the coop's kit texts, "the whole kit" ZIP builds and the
federation's batches (one build per active coop).

A build is queued in the request, then run by `build_tasks.build_kit_task` in a worker:
it renders every piece, counts them in `pieces_done` as it goes (the staff page shows the
progress), writes the ZIP into private storage and ends "done" or "failed" with the error.
"""

import io
import logging
import traceback
import zipfile

from django_scopes import scopes_disabled

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from coopculture.coops.models import Coop
from coopculture.coops.scoping import coop_scope, ensure_same_coop
from coopculture.kit import printing, thumbnails
from coopculture.kit.models import BuildStatus, KitBatch, KitBuild, KitSettings

logger = logging.getLogger(__name__)

# Builds still "queued" or "running" after this long are shown as stuck, and a new one
# may be requested (a worker died): see kit_build_in_progress.
STALE_AFTER = timezone.timedelta(minutes=30)
# Archives are kept this long; the latest finished one of each coop is always kept.
ARCHIVE_RETENTION = timezone.timedelta(days=30)
# A build still "queued" or "running" this long after its request was interrupted.
INTERRUPTED_AFTER = timezone.timedelta(hours=2)


def _user_or_none(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


@transaction.atomic
def kit_texts_update(*, coop, actor, tagline: str, message: str, welcome_text: str) -> KitSettings:
    texts, _created = KitSettings.objects.select_for_update().get_or_create(coop=coop)
    ensure_same_coop(coop, texts)
    texts.tagline = tagline.strip()
    texts.message = message.strip()
    texts.welcome_text = welcome_text.strip()
    texts.updated_by = _user_or_none(actor)
    texts.full_clean()
    texts.save()
    thumbnails.previews_request(coop=coop)
    return texts


def kit_build_in_progress(*, coop) -> KitBuild | None:
    """The coop's build still queued or running (and not stale), if any."""
    return (
        KitBuild.objects.filter(
            coop=coop,
            status__in=[BuildStatus.QUEUED, BuildStatus.RUNNING],
            created_at__gte=timezone.now() - STALE_AFTER,
        )
        .order_by("-created_at")
        .first()
    )


def _enqueue(build: KitBuild) -> None:
    from coopculture.kit.build_tasks import build_kit_task

    transaction.on_commit(lambda: build_kit_task.enqueue(coop_id=build.coop_id, build_id=build.pk))


@transaction.atomic
def kit_build_request(*, coop, actor, batch: KitBatch | None = None) -> KitBuild:
    """Queue the "whole kit" ZIP of `coop` (or return the one already on its way)."""
    current = kit_build_in_progress(coop=coop)
    if current is not None and batch is None:
        return current
    build = KitBuild.objects.create(
        coop=coop,
        batch=batch,
        requested_by=_user_or_none(actor),
        pieces_total=len(printing.kit_pieces(coop=coop)),
    )
    _enqueue(build)
    return build


def kit_batch_request(*, actor) -> KitBatch:
    """The federation's batch: one build per active coop, each its own task."""
    with transaction.atomic():
        batch = KitBatch.objects.create(requested_by=_user_or_none(actor))
        with scopes_disabled():
            coops = list(Coop.objects.filter(is_active=True).order_by("pk"))
        for coop in coops:
            with coop_scope(coop):
                kit_build_request(coop=coop, actor=actor, batch=batch)
    return batch


def batches_progress(batches) -> dict[int, dict]:
    """How far each batch is (batch id -> figures): builds done, failed, waiting; pieces
    done of the total. One query whatever the number of batches."""
    empty = {"builds": 0, "done": 0, "failed": 0, "pieces_done": 0, "pieces_total": 0}
    figures = {batch.pk: dict(empty) for batch in batches}
    with scopes_disabled():
        rows = (
            KitBuild.objects.filter(batch__in=list(figures))
            .values("batch_id")
            .annotate(
                builds=Count("pk"),
                done=Count("pk", filter=Q(status=BuildStatus.DONE)),
                failed=Count("pk", filter=Q(status=BuildStatus.FAILED)),
                pieces_done=Sum("pieces_done"),
                pieces_total=Sum("pieces_total"),
            )
            .order_by()
        )
        for row in rows:
            figures[row.pop("batch_id")].update(row)
    for row in figures.values():
        row["waiting"] = row["builds"] - row["done"] - row["failed"]
        row["finished"] = row["waiting"] == 0
        total = row["pieces_total"]
        row["percent"] = round(100 * row["pieces_done"] / total) if total else 100
    return figures


def batch_progress(batch: KitBatch) -> dict:
    return batches_progress([batch])[batch.pk]


def _claim(*, coop, build_id: int) -> KitBuild | None:
    claimed = KitBuild.objects.filter(pk=build_id, coop=coop, status=BuildStatus.QUEUED).update(
        status=BuildStatus.RUNNING
    )
    if not claimed:
        return None
    return KitBuild.objects.get(pk=build_id, coop=coop)


def kit_build_run(*, coop, build_id: int) -> KitBuild | None:
    """Build the ZIP of a queued build. Idempotent: only a QUEUED build is run (claimed by
    one conditional UPDATE); a failure is recorded on the build, never raised."""
    build = _claim(coop=coop, build_id=build_id)
    if build is None:
        return None
    try:
        run = printing.KitRun(coop)
        pieces = printing.kit_pieces(coop=coop, modules=run.modules)
        build.pieces_total = len(pieces)
        build.pieces_done = 0
        build.save(update_fields=["pieces_total", "pieces_done"])
        buffer = io.BytesIO()
        # Stored, not deflated: the PDFs' streams are compressed already (deflating them
        # again saves 4 % of the size for 6 ms a coop).
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for piece in pieces:
                pdf = printing.render_piece(coop=coop, piece=piece, run=run)
                archive.writestr(piece.filename, pdf)
                build.pieces_done += 1
                KitBuild.objects.filter(pk=build.pk).update(pieces_done=build.pieces_done)
        name = f"kit-culture-coop-{coop.slug}-{timezone.localtime():%Y%m%d-%H%M}.zip"
        from django.core.files.base import ContentFile

        build.archive.save(name, ContentFile(buffer.getvalue()), save=False)
        build.status = BuildStatus.DONE
        build.finished_at = timezone.now()
        build.save(update_fields=["archive", "status", "finished_at"])
    except Exception as error:  # recorded for staff: the page shows it
        logger.exception("Kit build %s of coop %s failed", build.pk, coop.pk)
        build.status = BuildStatus.FAILED
        build.error = _("%(kind)s: %(message)s") % {
            "kind": type(error).__name__,
            "message": str(error)[:500],
        }
        build.finished_at = timezone.now()
        build.save(update_fields=["status", "error", "finished_at"])
        logger.debug("".join(traceback.format_exception(error)))
    return build


def kit_build_open(build: KitBuild):
    """The archive of a finished build, opened for reading (private storage)."""
    return build.archive.open("rb")


def kit_housekeeping(*, now=None) -> dict:
    """The daily tick's work: delete archives past ARCHIVE_RETENTION (keeping each coop's
    latest), and record as failed the builds a stopped worker left unfinished."""
    now = now or timezone.now()
    deleted = interrupted = 0
    with scopes_disabled():
        latest = {}
        for build in (
            KitBuild.objects.filter(status=BuildStatus.DONE)
            .exclude(archive="")
            .order_by("coop_id", "-created_at")
        ):
            latest.setdefault(build.coop_id, build.pk)
        for build in KitBuild.objects.filter(
            status=BuildStatus.DONE, created_at__lt=now - ARCHIVE_RETENTION
        ).exclude(archive=""):
            if latest.get(build.coop_id) == build.pk:
                continue
            build.archive.delete(save=False)
            KitBuild.objects.filter(pk=build.pk).update(archive="")
            deleted += 1
        interrupted = KitBuild.objects.filter(
            status__in=[BuildStatus.QUEUED, BuildStatus.RUNNING],
            created_at__lt=now - INTERRUPTED_AFTER,
        ).update(
            status=BuildStatus.FAILED,
            error=_("Interrupted: the work stopped before the end. Prepare the kit again."),
            finished_at=now,
        )
    return {"archives_deleted": deleted, "builds_interrupted": interrupted}
