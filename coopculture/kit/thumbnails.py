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
import re

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
VERSION_PATTERN = re.compile(r"[0-9a-f]{32}")


def _fingerprint(*, coop, piece, texts, modules) -> str:
    parts = [
        str(VERSION),
        piece.key,
        *coop.printed_details(),
        texts.tagline,
        texts.message,
        texts.welcome_text,
        repr(modules),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _folder(coop) -> str:
    return f"{FOLDER}/{coop.pk}"


def _name(coop, piece_key: str, version: str) -> str:
    return f"{_folder(coop)}/{piece_key}-{version}.png"


def preview_version(*, coop, piece, run) -> str:
    """The version of `piece` as it looks now: a digest of all it shows."""
    return _fingerprint(coop=coop, piece=piece, texts=run.texts, modules=run.modules)


def preview_name(*, coop, piece, run) -> str:
    """Where the preview of `piece`, as it looks now, is kept in private storage."""
    return _name(coop, piece.key, preview_version(coop=coop, piece=piece, run=run))


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


def stored_versions(*, coop, pieces, run) -> dict[str, str | None]:
    """{piece key: the version of its current preview if it is in storage, else None},
    rendering nothing."""
    storage = private_storage()
    versions = {}
    for piece in pieces:
        version = preview_version(coop=coop, piece=piece, run=run)
        versions[piece.key] = version if storage.exists(_name(coop, piece.key, version)) else None
    return versions


def stored_preview(*, coop, piece_key: str, version: str) -> bytes | None:
    """The stored preview of that version, read without working out what the piece shows
    (the kit page links each preview by its version); None if there is none."""
    if not VERSION_PATTERN.fullmatch(version or ""):
        return None
    storage = private_storage()
    name = _name(coop, piece_key, version)
    if not storage.exists(name):
        return None
    with storage.open(name, "rb") as file:
        return file.read()


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
