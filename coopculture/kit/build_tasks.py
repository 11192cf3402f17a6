"""Background work of the print kit: "the whole kit" ZIP of one coop (print_services) and
the previews of its pieces (thumbnails)."""

from django.tasks import task

from coopculture.coops.tasks import coop_task


@coop_task
def build_kit_task(coop, *, build_id: int) -> dict | None:
    from coopculture.kit.print_services import kit_build_run

    build = kit_build_run(coop=coop, build_id=build_id)
    if build is None:
        return None
    return {"status": build.status, "pieces": build.pieces_done}


@coop_task
def kit_previews_task(coop) -> int:
    """Render the missing previews of the coop's kit pieces (kit.thumbnails)."""
    from coopculture.kit.thumbnails import previews_render

    return previews_render(coop=coop)


@task()
def kit_housekeeping_task() -> dict:
    from coopculture.kit.print_services import kit_housekeeping

    return kit_housekeeping()


def enqueue_housekeeping() -> None:
    """The tick job (registered in kit/apps.py)."""
    kit_housekeeping_task.enqueue()


def register_print_ticks() -> None:
    """Old archives deleted, interrupted builds recorded, once a day (kit/apps.py)."""
    from datetime import timedelta

    from coopculture.core import ticks

    ticks.register("kit.print_housekeeping", every=timedelta(days=1))(enqueue_housekeeping)
