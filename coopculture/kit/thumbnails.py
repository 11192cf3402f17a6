"""PNG previews of the kit's pieces: the first page, rendered by PDFium in the worker and
kept in private storage.

A preview's file name carries a digest of everything the piece shows (its template
context, or for a leaflet the module's content and the coop's profile), so a change of
text, colour, logo or link target names a new file, and an unchanged piece is never
rendered twice. The kit page only reads which files exist: opening it renders nothing.
What is missing is rendered by `kit_previews_task` (queued when the kit texts or the
coop's branding change, and by the kit page when it finds a preview missing); old files
of the coop are deleted by the same task.
"""

import hashlib
import io

import pypdfium2

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction

from coopculture.kit import printing
from coopculture.members.models import private_storage

WIDTH_PX = 320
VERSION = 2  # bump when the templates change
FOLDER = "kit-previews"
# How long a request for the same missing previews is not queued again (the task may wait
# behind others in the queue; after this a new request queues it once more).
REQUEST_GUARD_SECONDS = 300


def _fingerprint(*, coop, piece, texts, modules) -> str:
    parts = [
        str(VERSION),
        piece.key,
        coop.name,
        coop.safe_colour,
        coop.logo.name if coop.logo else "",
        coop.contact_phone,
        coop.contact_email,
        coop.postal_address,
        coop.website,
        str(coop.updated_at),
        texts.tagline,
        texts.message,
        texts.welcome_text,
        repr(modules),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _folder(coop) -> str:
    return f"{FOLDER}/{coop.pk}"


def preview_name(*, coop, piece, run) -> str:
    """Where the preview of `piece`, as it looks now, is kept in private storage."""
    fingerprint = _fingerprint(coop=coop, piece=piece, texts=run.texts, modules=run.modules)
    return f"{_folder(coop)}/{piece.key}-{fingerprint}.png"


def first_page_png(pdf: bytes, *, width_px: int = WIDTH_PX) -> bytes:
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        scale = width_px / page.get_width()
        image = page.render(scale=scale).to_pil()
        page.close()
    finally:
        document.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def _store(name: str, png: bytes) -> None:
    storage = private_storage()
    if not storage.exists(name):
        # Two renders of the same preview at once write the same bytes: the storage may
        # give the second one another name, which the next clean-up deletes.
        storage.save(name, ContentFile(png))


def _render(*, coop, piece, run, name: str) -> bytes:
    png = first_page_png(printing.render_piece(coop=coop, piece=piece, run=run))
    _store(name, png)
    return png


def previews_ready(*, coop, pieces, run) -> dict[str, bool]:
    """{piece key: whether its current preview is in storage}, rendering nothing."""
    storage = private_storage()
    return {
        piece.key: storage.exists(preview_name(coop=coop, piece=piece, run=run)) for piece in pieces
    }


def piece_thumbnail(*, coop, piece, run=None) -> bytes:
    """The stored preview of `piece`; rendered now (and stored) only if it is missing, for
    an address opened before the worker got to it."""
    run = run.of(coop) if run else printing.KitRun(coop)
    name = preview_name(coop=coop, piece=piece, run=run)
    storage = private_storage()
    if storage.exists(name):
        with storage.open(name, "rb") as file:
            return file.read()
    return _render(coop=coop, piece=piece, run=run, name=name)


def previews_render(*, coop) -> int:
    """Render every missing preview of the coop's kit, delete the outdated ones; returns
    how many were rendered. Idempotent: a second run renders nothing."""
    run = printing.KitRun(coop)
    pieces = printing.kit_pieces(coop=coop, modules=run.modules)
    storage = private_storage()
    current = set()
    rendered = 0
    for piece in pieces:
        name = preview_name(coop=coop, piece=piece, run=run)
        current.add(name.rsplit("/", 1)[1])
        if not storage.exists(name):
            _render(coop=coop, piece=piece, run=run, name=name)
            rendered += 1
    folder = _folder(coop)
    if storage.exists(folder):
        for old in set(storage.listdir(folder)[1]) - current:
            storage.delete(f"{folder}/{old}")
    return rendered


def previews_request(*, coop, missing: tuple[str, ...] = ()) -> None:
    """Queue the rendering of the coop's missing previews once the transaction commits.

    `missing`, the keys the caller found missing, keeps the same request from being queued
    again by every page view while the worker has not got to it yet.
    """
    from coopculture.kit.build_tasks import kit_previews_task

    if missing:
        digest = hashlib.sha256("\x00".join(sorted(missing)).encode()).hexdigest()[:16]
        guard = f"kit-previews-queued:{coop.pk}:{digest}"
        if not cache.add(guard, 1, REQUEST_GUARD_SECONDS):
            return
    coop_id = coop.pk
    transaction.on_commit(lambda: kit_previews_task.enqueue(coop_id=coop_id))
