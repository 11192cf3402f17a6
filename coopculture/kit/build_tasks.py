"""Background work of the print kit: "the whole kit" ZIP of one coop (print_services)."""

from coopculture.coops.tasks import coop_task


@coop_task
def build_kit_task(coop, *, build_id: int) -> dict | None:
    from coopculture.kit.print_services import kit_build_run

    build = kit_build_run(coop=coop, build_id=build_id)
    if build is None:
        return None
    return {"status": build.status, "pieces": build.pieces_done}
