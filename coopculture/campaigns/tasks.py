"""Background work of campaigns: sending batches, resuming after a crash (tick)."""


def resume_sends() -> None:
    """Tick job: placeholder, replaced below."""
