"""Content bundles: the federation's learning path as JSON plus media files.

A bundle is a folder, or a .zip of that folder (at its root or in one top folder):

    bundle.json   {"schema": "culture-coop-parcours", "version": 1, "exported_at": iso,
                   "glossary": [{"term", "slug", "definition", "variants"}],
                   "modules": [{"slug", "title", "summary", "duration_minutes", "position",
                                "concerns", "recommended_for", "audiences",
                                "status", "cover_image", "cover_alt",
                                "activities": [{"position", "kind", "title", "required",
                                                "content", "media", "captions", "poster"}]}]}
    media/...     the posters, covers, captions (WebVTT) and videos it refers to
                  ("media/poster.png"; "" when there is none)

Import is all or nothing. `validate_bundle` collects every problem as a French message
and the import raises one BundleError before anything is written. A valid bundle is
applied in one transaction: glossary terms and modules are matched by slug (and updated
only where they differ), each module's activities by position (those whose position
disappeared are deleted), and media files are stored only when their bytes changed, so
importing the same bundle twice changes nothing. Modules and terms absent from the
bundle are kept.
"""

import hashlib
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django_scopes import scopes_disabled
from PIL import Image

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import ImageField, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coopculture.coops.models import Activity as CoopActivity
from coopculture.core.images import FORMATS as IMAGE_EXTENSIONS
from coopculture.core.images import reencode_image
from coopculture.learning.content import content_errors
from coopculture.learning.errors import LearningError
from coopculture.learning.models import (
    RESERVED_MODULE_SLUGS,
    Activity,
    Audience,
    GlossaryTerm,
    Module,
    PublicationStatus,
)

SCHEMA = "culture-coop-parcours"
VERSION = 1
BUNDLE_FILE = "bundle.json"
MEDIA_DIR = "media"
MAX_UNPACKED_BYTES = 2 * 1024**3  # a zip may not unpack to more than 2 GB
MAX_JSON_BYTES = 20 * 1024**2
VIDEO_SUFFIXES = {".mp4", ".m4v", ".webm", ".ogv"}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
SMALLINT_MAX = 32767

MODULE_FIELDS = (
    "title",
    "summary",
    "duration_minutes",
    "position",
    "concerns",
    "recommended_for",
    "audiences",
    "status",
    "cover_alt",
)
ACTIVITY_FIELDS = ("kind", "title", "required", "content")
ACTIVITY_FILES = {"media": "video", "captions": "captions", "poster": "image"}


class BundleError(LearningError):
    """The bundle cannot be imported (or exported); `errors` lists every problem in French."""

    def __init__(self, errors: list[str]):
        self.errors = [str(error) for error in errors]
        super().__init__("\n".join(self.errors), code="bundle_invalid")


# --- Reading a bundle ---------------------------------------------------------------------


def _safe_relative(name: str) -> bool:
    """A relative POSIX path that stays inside the bundle (no .., no absolute, no drive)."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    if re.match(r"^[A-Za-z]:", name):
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _safe_media_path(value: str) -> bool:
    return _safe_relative(value) and value.startswith(MEDIA_DIR + "/")


class _DirSource:
    """A bundle unpacked in a folder; never reads outside it (symbolic links included)."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.errors: list[str] = []

    def _file(self, name: str) -> Path | None:
        if not _safe_relative(name):
            return None
        candidate = (self.root / name).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    def exists(self, name: str) -> bool:
        return self._file(name) is not None

    def size(self, name: str) -> int:
        path = self._file(name)
        return path.stat().st_size if path else 0

    def read(self, name: str) -> bytes | None:
        path = self._file(name)
        return path.read_bytes() if path else None


class _ZipSource:
    """A zipped bundle, read in place (nothing is extracted): unsafe entry names refused."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.errors: list[str] = []
        self.entries: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in archive.infolist():
            name = info.filename.rstrip("/") if info.is_dir() else info.filename
            if not _safe_relative(name):
                self.errors.append(
                    _("The archive holds a file whose path leaves the bundle: “%(name)s”.")
                    % {"name": info.filename}
                )
                continue
            if not info.is_dir():
                self.entries[name] = info
                total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            self.errors.append(
                _("The archive is too large once unpacked (%(size)s MB; the limit is %(max)s MB).")
                % {"size": total // 1024**2, "max": MAX_UNPACKED_BYTES // 1024**2}
            )
        self.prefix = ""
        if BUNDLE_FILE not in self.entries:
            nested = [
                n for n in self.entries if n.count("/") == 1 and n.endswith("/" + BUNDLE_FILE)
            ]
            if len(nested) == 1:
                self.prefix = nested[0][: -len(BUNDLE_FILE)]

    def _info(self, name: str) -> zipfile.ZipInfo | None:
        return self.entries.get(self.prefix + name) if _safe_relative(name) else None

    def exists(self, name: str) -> bool:
        return self._info(name) is not None

    def size(self, name: str) -> int:
        info = self._info(name)
        return info.file_size if info else 0

    def read(self, name: str) -> bytes | None:
        info = self._info(name)
        return self.archive.read(info) if info else None


# --- Validation ---------------------------------------------------------------------------


def _is_image(data: bytes) -> bool:
    """A PNG, JPEG or WebP image that core.images accepts (and will re-encode)."""
    try:
        reencode_image(ContentFile(data))
    except ValidationError:
        return False
    return True


def _image_format(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        return image.format


def _is_webvtt(data: bytes) -> bool:
    text = data.removeprefix(b"\xef\xbb\xbf")
    return text.startswith(b"WEBVTT") and (
        len(text) == 6 or text[6:7] in (b"\n", b"\r", b" ", b"\t")
    )


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class _Validator:
    """Walks bundle.json and collects every problem (never stops at the first)."""

    def __init__(self, source):
        self.source = source
        self.errors: list[str] = list(source.errors)
        self._file_checks: dict[tuple[str, str], str | None] = {}

    def add(self, message: str) -> None:
        self.errors.append(message)

    # Typed fields. Each returns the value when valid, else None (and records an error).

    def text(self, data, key, where, *, max_length, required=True):
        value = data.get(key, "" if not required else None)
        if value is None:
            self.add(_("%(where)s: “%(key)s” is missing.") % {"where": where, "key": key})
        elif not isinstance(value, str):
            self.add(_("%(where)s: “%(key)s” must be text.") % {"where": where, "key": key})
        elif required and not value.strip():
            self.add(_("%(where)s: “%(key)s” is missing.") % {"where": where, "key": key})
        elif len(value) > max_length:
            self.add(
                _("%(where)s: “%(key)s” is longer than %(max)s characters.")
                % {"where": where, "key": key, "max": max_length}
            )
        else:
            return value
        return None

    def integer(self, data, key, where, *, minimum, maximum, default=None):
        value = data.get(key, default)
        if value is None:
            self.add(_("%(where)s: “%(key)s” is missing.") % {"where": where, "key": key})
        elif (
            not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum
        ):
            self.add(
                _("%(where)s: “%(key)s” must be a whole number from %(min)s to %(max)s.")
                % {"where": where, "key": key, "min": minimum, "max": maximum}
            )
        else:
            return value
        return None

    def boolean(self, data, key, where, *, default):
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.add(
                _("%(where)s: “%(key)s” must be true or false.") % {"where": where, "key": key}
            )
            return None
        return value

    def choice(self, data, key, where, choices, *, default):
        value = data.get(key, default)
        if value not in choices:
            self.add(
                _("%(where)s: “%(key)s” must be one of %(choices)s.")
                % {"where": where, "key": key, "choices": ", ".join(choices)}
            )
            return None
        return value

    def codes(self, data, key, where, allowed):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(
                _("%(where)s: “%(key)s” must be a list of texts.") % {"where": where, "key": key}
            )
            return None
        unknown = [v for v in value if v not in allowed]
        if unknown:
            self.add(
                _("%(where)s: unknown value(s) in “%(key)s”: %(values)s (known: %(known)s).")
                % {
                    "where": where,
                    "key": key,
                    "values": ", ".join(unknown),
                    "known": ", ".join(allowed),
                }
            )
            return None
        return value

    def slug(self, data, key, where, seen: dict, *, max_length):
        value = self.text(data, key, where, max_length=max_length)
        if value is None:
            return None
        if not SLUG.match(value):
            self.add(
                _(
                    "%(where)s: the address name “%(slug)s” may only hold lowercase letters "
                    "without accents, digits and single hyphens."
                )
                % {"where": where, "slug": value}
            )
            return None
        if value in seen:
            self.add(
                _("%(where)s: the address name “%(slug)s” is already used by %(other)s.")
                % {"where": where, "slug": value, "other": seen[value]}
            )
            return None
        seen[value] = where
        return value

    def media(self, data, key, where, kind: str):
        """A path to a file of the bundle ("" for none), of the right kind."""
        value = data.get(key, "")
        if value is None or value == "":
            return ""
        if not isinstance(value, str):
            self.add(_("%(where)s: “%(key)s” must be text.") % {"where": where, "key": key})
            return None
        if not _safe_media_path(value):
            self.add(
                _(
                    "%(where)s: the file path “%(path)s” must start with media/ and stay "
                    "inside the bundle."
                )
                % {"where": where, "path": value}
            )
            return None
        problem = self._file_problem(value, kind)
        if problem is not None:
            self.add(problem % {"where": where, "path": value})
            return None
        return value

    def _file_problem(self, path: str, kind: str) -> str | None:
        """A message template (with %(where)s and %(path)s) for the file, or None if fine."""
        cache_key = (path, kind)
        if cache_key not in self._file_checks:
            self._file_checks[cache_key] = self._check_file(path, kind)
        return self._file_checks[cache_key]

    def _check_file(self, path: str, kind: str) -> str | None:
        if not self.source.exists(path):
            return _("%(where)s: the file “%(path)s” is not in the bundle.")
        if kind == "video":
            if PurePosixPath(path).suffix.lower() not in VIDEO_SUFFIXES:
                return _(
                    "%(where)s: the file “%(path)s” is not a video we accept (MP4, WebM, Ogg)."
                )
            return None
        data = self.source.read(path) or b""
        if kind == "image" and not _is_image(data):
            return _(
                "%(where)s: the file “%(path)s” is not an image we can read (PNG, JPEG, WebP)."
            )
        if kind == "captions" and not _is_webvtt(data):
            return _(
                "%(where)s: the file “%(path)s” is not a WebVTT captions file "
                "(it must start with WEBVTT)."
            )
        return None

    def need_list(self, data, key, where):
        value = data.get(key)
        if not isinstance(value, list):
            self.add(_("%(where)s: “%(key)s” must be a list.") % {"where": where, "key": key})
            return []
        return value


def _label_slug(item) -> str:
    slug = item.get("slug") if isinstance(item, dict) else None
    return slug if isinstance(slug, str) and slug.strip() else ""


def _check_glossary(v: _Validator, glossary: list) -> None:
    seen_slugs: dict[str, str] = {}
    seen_terms: dict[str, str] = {}
    forms: dict[str, str] = {}
    term_max = _max_length(GlossaryTerm, "term")
    for n, item in enumerate(glossary, start=1):
        slug_label = _label_slug(item)
        where = (
            _("Glossary term %(n)s (“%(slug)s”)") % {"n": n, "slug": slug_label}
            if slug_label
            else _("Glossary term %(n)s") % {"n": n}
        )
        if not isinstance(item, dict):
            v.add(_("%(where)s must be an object.") % {"where": where})
            continue
        term = v.text(item, "term", where, max_length=term_max)
        slug = v.slug(item, "slug", where, seen_slugs, max_length=_max_length(GlossaryTerm, "slug"))
        v.text(item, "definition", where, max_length=600)
        variants = item.get("variants", [])
        if not isinstance(variants, list) or not all(
            isinstance(x, str) and x.strip() and len(x) <= term_max for x in variants
        ):
            v.add(
                _("%(where)s: “%(key)s” must be a list of texts.")
                % {"where": where, "key": "variants"}
            )
            variants = []
        if term is None:
            continue
        if term.casefold() in seen_terms:
            v.add(
                _("%(where)s: the term “%(term)s” is already defined by %(other)s.")
                % {"where": where, "term": term, "other": seen_terms[term.casefold()]}
            )
            continue
        seen_terms[term.casefold()] = where
        for form in sorted({term.casefold(), *(x.casefold() for x in variants)}):
            if form in forms and forms[form] != where:
                v.add(
                    _("%(where)s: the form “%(form)s” is already used by %(other)s.")
                    % {"where": where, "form": form, "other": forms[form]}
                )
            forms.setdefault(form, where)
        if slug is not None:
            owner = GlossaryTerm.objects.filter(term=term).exclude(slug=slug).first()
            if owner is not None:
                v.add(
                    _(
                        "%(where)s: the term “%(term)s” already exists in the glossary under "
                        "another address name (“%(slug)s”)."
                    )
                    % {"where": where, "term": term, "slug": owner.slug}
                )


def _check_activity(v: _Validator, item, where: str, positions: dict) -> None:
    if not isinstance(item, dict):
        v.add(_("%(where)s must be an object.") % {"where": where})
        return
    position = v.integer(item, "position", where, minimum=0, maximum=SMALLINT_MAX)
    if position is not None:
        if position in positions:
            v.add(
                _("%(where)s: the position %(position)s is already used by %(other)s.")
                % {"where": where, "position": position, "other": positions[position]}
            )
        positions.setdefault(position, where)
    v.text(item, "title", where, max_length=_max_length(Activity, "title"))
    v.boolean(item, "required", where, default=True)
    kind = item.get("kind")
    for error in content_errors(kind if isinstance(kind, str) else repr(kind), item.get("content")):
        v.add(_("%(where)s: %(error)s") % {"where": where, "error": error})
    for key, file_kind in ACTIVITY_FILES.items():
        v.media(item, key, where, file_kind)


def _check_module(v: _Validator, item, n: int, seen_slugs: dict) -> None:
    slug_label = _label_slug(item)
    where = (
        _("Module %(n)s (“%(slug)s”)") % {"n": n, "slug": slug_label}
        if slug_label
        else _("Module %(n)s") % {"n": n}
    )
    if not isinstance(item, dict):
        v.add(_("%(where)s must be an object.") % {"where": where})
        return
    module_slug = v.slug(item, "slug", where, seen_slugs, max_length=_max_length(Module, "slug"))
    if module_slug in RESERVED_MODULE_SLUGS:
        v.add(
            _("%(where)s: the address name “%(slug)s” is reserved by the site's addresses.")
            % {"where": where, "slug": module_slug}
        )
    v.text(item, "title", where, max_length=_max_length(Module, "title"))
    v.text(item, "summary", where, max_length=600)
    v.integer(item, "duration_minutes", where, minimum=1, maximum=SMALLINT_MAX)
    v.integer(item, "position", where, minimum=0, maximum=SMALLINT_MAX, default=n)
    v.codes(item, "concerns", where, CoopActivity.values)
    v.codes(item, "recommended_for", where, CoopActivity.values)
    v.codes(item, "audiences", where, Audience.values)
    # "completion_rule" (bundles exported before 2026-12) is ignored: a module is always
    # complete once its required quizzes are passed (learning.selectors.module_is_complete).
    v.choice(item, "status", where, PublicationStatus.values, default=PublicationStatus.DRAFT)
    v.media(item, "cover_image", where, "image")
    v.text(item, "cover_alt", where, max_length=_max_length(Module, "cover_alt"), required=False)
    positions: dict[int, str] = {}
    for index, activity in enumerate(v.need_list(item, "activities", where), start=1):
        position = activity.get("position") if isinstance(activity, dict) else None
        shown = position if isinstance(position, int) and not isinstance(position, bool) else index
        awhere = _("%(module)s, activity %(position)s") % {"module": where, "position": shown}
        _check_activity(v, activity, awhere, positions)


def _load_json(v: _Validator):
    if not v.source.exists(BUNDLE_FILE):
        v.add(_("This is not a learning path bundle: the file bundle.json is missing."))
        return None
    if v.source.size(BUNDLE_FILE) > MAX_JSON_BYTES:
        v.add(_("The file bundle.json is too large."))
        return None
    raw = v.source.read(BUNDLE_FILE) or b""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        v.add(_("The file bundle.json is not UTF-8 text."))
        return None
    except json.JSONDecodeError as exc:
        v.add(
            _("The file bundle.json is not valid JSON (line %(line)s, column %(column)s).")
            % {"line": exc.lineno, "column": exc.colno}
        )
        return None
    if not isinstance(data, dict):
        v.add(_("The file bundle.json must hold a JSON object."))
        return None
    return data


def _validate(source) -> tuple[dict | None, list[str]]:
    v = _Validator(source)
    data = _load_json(v)
    if data is None:
        return None, v.errors
    if data.get("schema") != SCHEMA:
        v.add(
            _("This is not a learning path bundle (schema “%(schema)s”, expected “%(expected)s”).")
            % {"schema": data.get("schema"), "expected": SCHEMA}
        )
        return None, v.errors
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        v.add(
            _(
                "This bundle has version %(version)s of the format, newer than this platform "
                "reads (version %(supported)s): update the platform, or export the bundle "
                "again in version %(supported)s."
            )
            % {"version": version, "supported": VERSION}
        )
    elif version != VERSION or isinstance(version, bool):
        v.add(
            _(
                "Unknown bundle format version: %(version)s (this platform reads version "
                "%(supported)s)."
            )
            % {"version": version, "supported": VERSION}
        )
    exported_at = data.get("exported_at", "")
    if not isinstance(exported_at, str):
        v.add(
            _("%(where)s: “%(key)s” must be text.") % {"where": BUNDLE_FILE, "key": "exported_at"}
        )
    _check_glossary(v, v.need_list(data, "glossary", BUNDLE_FILE))
    seen_slugs: dict[str, str] = {}
    for n, module in enumerate(v.need_list(data, "modules", BUNDLE_FILE), start=1):
        _check_module(v, module, n, seen_slugs)
    return data, v.errors


def validate_bundle(path_or_file) -> list[str]:
    """Every problem of a bundle (a folder, a .zip path or a zip file object); [] if valid."""
    try:
        return _with_source(path_or_file, lambda source: _validate(source)[1])
    except BundleError as exc:
        return exc.errors


# --- Import -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import changed (or, in a trial run, would change)."""

    modules_created: list[str] = field(default_factory=list)
    modules_updated: list[str] = field(default_factory=list)
    modules_unchanged: list[str] = field(default_factory=list)
    activities_created: int = 0
    activities_updated: int = 0
    activities_deleted: int = 0
    activities_unchanged: int = 0
    terms_created: int = 0
    terms_updated: int = 0
    terms_unchanged: int = 0
    files_written: int = 0
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            self.modules_created
            or self.modules_updated
            or self.activities_created
            or self.activities_updated
            or self.activities_deleted
            or self.terms_created
            or self.terms_updated
        )

    def __str__(self) -> str:
        lines = []
        if self.dry_run:
            lines.append(_("Trial run: nothing was saved."))
        if not self.changed:
            lines.append(_("Nothing to change: the learning path is already up to date."))
        lines.append(
            _("Modules: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
            % {
                "created": len(self.modules_created),
                "updated": len(self.modules_updated),
                "unchanged": len(self.modules_unchanged),
            }
        )
        lines.append(
            _(
                "Activities: %(created)s created, %(updated)s updated, %(deleted)s deleted, "
                "%(unchanged)s unchanged."
            )
            % {
                "created": self.activities_created,
                "updated": self.activities_updated,
                "deleted": self.activities_deleted,
                "unchanged": self.activities_unchanged,
            }
        )
        lines.append(
            _("Glossary: %(created)s terms created, %(updated)s updated, %(unchanged)s unchanged.")
            % {
                "created": self.terms_created,
                "updated": self.terms_updated,
                "unchanged": self.terms_unchanged,
            }
        )
        lines.append(_("Media files stored: %(count)s.") % {"count": self.files_written})
        return "\n".join(lines)


class _TrialRunError(Exception):
    """Raised inside the transaction of a dry run to roll everything back."""


def _same_bytes(name: str, data: bytes) -> bool:
    try:
        if not name or not default_storage.exists(name) or default_storage.size(name) != len(data):
            return False
        with default_storage.open(name, "rb") as stored:
            return stored.read() == data
    except OSError:
        return False


class _MediaWriter:
    """Stores the bundle's files through default_storage, only when their bytes changed."""

    def __init__(self, source, *, dry_run: bool):
        self.source = source
        self.dry_run = dry_run
        self.written: list[str] = []  # new files (removed again if the import fails)
        self.released: list[str] = []  # files no row may use any more (removed after commit)

    def assign(self, instance, name: str, bundle_path: str) -> bool:
        """Point the file field `name` at the bundle's file; True if the field changed."""
        current = getattr(instance, name).name or ""
        if not bundle_path:
            if not current:
                return False
            self.released.append(current)
            setattr(instance, name, "")
            return True
        data = self.source.read(bundle_path) or b""
        if current and _same_bytes(current, data):
            return False
        model_field = instance._meta.get_field(name)
        if isinstance(model_field, ImageField):
            # Only pixels, under a name from their digest (core.images): never the
            # bundle's own name, which may end in .html.
            data = reencode_image(ContentFile(data)).read()
            extension = IMAGE_EXTENSIONS[_image_format(data)]
            file_name = f"{hashlib.sha256(data).hexdigest()[:32]}.{extension}"
        else:
            # Captions are WebVTT whatever the bundle calls them; videos keep their
            # checked suffix (_check_file).
            suffix = ".vtt" if name == "captions" else PurePosixPath(bundle_path).suffix.lower()
            file_name = f"{hashlib.sha256(data).hexdigest()[:32]}{suffix}"
        target = model_field.generate_filename(instance, file_name)
        if current == target:
            return False
        if not _same_bytes(target, data) and not self.dry_run:
            target = default_storage.save(target, ContentFile(data))
            self.written.append(target)
        if current and current != target:
            self.released.append(current)
        setattr(instance, name, target)
        return True

    def discard_written(self) -> None:
        for name in self.written:
            default_storage.delete(name)

    def delete_released(self) -> None:
        """Remove the files that no module or activity uses any more (after the commit)."""
        for name in set(self.released):
            in_use = (
                Module.objects.filter(cover_image=name).exists()
                or Activity.objects.filter(
                    Q(media=name) | Q(captions=name) | Q(poster=name)
                ).exists()
            )
            if not in_use:
                default_storage.delete(name)


def _codes(values: list[str], known) -> list[str]:
    """Without duplicates, in the canonical order (so that re-imports compare equal)."""
    wanted = set(values)
    return [code for code in known if code in wanted]


def _module_values(item: dict, n: int) -> dict:
    return {
        "title": item["title"],
        "summary": item["summary"],
        "duration_minutes": item["duration_minutes"],
        "position": item.get("position", n),
        "concerns": _codes(item.get("concerns", []), CoopActivity.values),
        "recommended_for": _codes(item.get("recommended_for", []), CoopActivity.values),
        "audiences": _codes(item.get("audiences", []), Audience.values),
        "status": item.get("status", PublicationStatus.DRAFT),
        "cover_alt": item.get("cover_alt", ""),
    }


def _apply_glossary(glossary: list, report: ImportReport) -> None:
    existing = {term.slug: term for term in GlossaryTerm.objects.all()}
    for item in glossary:
        values = {
            "term": item["term"],
            "definition": item["definition"],
            "variants": list(item.get("variants", [])),
        }
        term = existing.get(item["slug"])
        if term is None:
            GlossaryTerm.objects.create(slug=item["slug"], **values)
            report.terms_created += 1
            continue
        changed = [key for key, value in values.items() if getattr(term, key) != value]
        if changed:
            for key in changed:
                setattr(term, key, values[key])
            term.save(update_fields=changed)
            report.terms_updated += 1
        else:
            report.terms_unchanged += 1


def _apply_activities(module: Module, items: list, media: _MediaWriter, report) -> bool:
    """Make the module's activities those of the bundle (matched by position)."""
    existing = {activity.position: activity for activity in module.steps.all()}
    wanted = {item["position"] for item in items}
    changed_any = False
    for position, activity in existing.items():
        if position not in wanted:
            media.released.extend(
                f.name for f in (activity.media, activity.captions, activity.poster) if f.name
            )
            activity.delete()
            report.activities_deleted += 1
            changed_any = True
    for item in sorted(items, key=lambda item: item["position"]):
        values = {
            "kind": item["kind"],
            "title": item["title"],
            "required": item.get("required", True),
            "content": item["content"],
        }
        activity = existing.get(item["position"])
        if activity is None:
            activity = Activity(module=module, position=item["position"], **values)
            for name in ACTIVITY_FILES:
                media.assign(activity, name, item.get(name) or "")
            activity.save()
            report.activities_created += 1
            changed_any = True
            continue
        changed = [key for key, value in values.items() if getattr(activity, key) != value]
        for key in changed:
            setattr(activity, key, values[key])
        changed += [
            name for name in ACTIVITY_FILES if media.assign(activity, name, item.get(name) or "")
        ]
        if changed:
            activity.save(update_fields=changed)
            report.activities_updated += 1
            changed_any = True
        else:
            report.activities_unchanged += 1
    return changed_any


def _apply_modules(modules: list, media: _MediaWriter, report: ImportReport) -> None:
    existing = {module.slug: module for module in Module.objects.all()}
    for n, item in enumerate(modules, start=1):
        values = _module_values(item, n)
        module = existing.get(item["slug"])
        if module is None:
            module = Module(slug=item["slug"], **values)
            media.assign(module, "cover_image", item.get("cover_image") or "")
            module.save()
            _apply_activities(module, item["activities"], media, report)
            report.modules_created.append(module.slug)
            continue
        changed = [key for key, value in values.items() if getattr(module, key) != value]
        for key in changed:
            setattr(module, key, values[key])
        if media.assign(module, "cover_image", item.get("cover_image") or ""):
            changed.append("cover_image")
        if changed:
            module.save(update_fields=[*changed, "updated_at"])
        steps_changed = _apply_activities(module, item["activities"], media, report)
        if steps_changed and not changed:
            module.save(update_fields=["updated_at"])  # its content is newer
        if changed or steps_changed:
            report.modules_updated.append(module.slug)
        else:
            report.modules_unchanged.append(module.slug)


def _apply(source, data: dict, *, dry_run: bool) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    media = _MediaWriter(source, dry_run=dry_run)
    try:
        with scopes_disabled(), transaction.atomic():
            _apply_glossary(data["glossary"], report)
            _apply_modules(data["modules"], media, report)
            if dry_run:
                raise _TrialRunError
            transaction.on_commit(media.delete_released)
    except _TrialRunError:
        pass
    except Exception:
        media.discard_written()
        raise
    report.files_written = len(media.written)
    return report


def _with_source(path_or_file, action):
    """Run `action(source)` on a folder, a .zip path or a zip file object."""
    if isinstance(path_or_file, (str, Path)) and Path(path_or_file).is_dir():
        return action(_DirSource(Path(path_or_file)))
    if isinstance(path_or_file, (str, Path)) and not Path(path_or_file).exists():
        raise BundleError(
            [_("The bundle “%(path)s” does not exist.") % {"path": str(path_or_file)}]
        )
    try:
        with zipfile.ZipFile(path_or_file) as archive:
            return action(_ZipSource(archive))
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BundleError(
            [_("This file is not a readable zip archive: send the bundle as a .zip file.")]
        ) from exc


def _import(source, *, dry_run: bool) -> ImportReport:
    data, errors = _validate(source)
    if errors:
        raise BundleError(errors)
    return _apply(source, data, dry_run=dry_run)


def import_bundle_dir(path, *, dry_run: bool = False) -> ImportReport:
    """Import an unpacked bundle (a folder holding bundle.json and media/)."""
    path = Path(path)
    if not path.is_dir():
        raise BundleError([_("The folder “%(path)s” does not exist.") % {"path": str(path)}])
    return _import(_DirSource(path), dry_run=dry_run)


def import_bundle_zip(file, *, dry_run: bool = False) -> ImportReport:
    """Import a zipped bundle: a path to a .zip file or a file object (an upload)."""
    if isinstance(file, (str, Path)) and Path(file).is_dir():
        raise BundleError(
            [_("This file is not a readable zip archive: send the bundle as a .zip file.")]
        )
    return _with_source(file, lambda source: _import(source, dry_run=dry_run))


def import_bundle(path_or_file, *, dry_run: bool = False) -> ImportReport:
    """Import a bundle given as a folder, a .zip path or a zip file object."""
    return _with_source(path_or_file, lambda source: _import(source, dry_run=dry_run))


# --- Export -------------------------------------------------------------------------------


class _MediaCollector:
    """Gives each stored file one path under media/ (same file, same path)."""

    def __init__(self):
        self.paths: dict[str, str] = {}  # storage name -> bundle path
        self.missing: list[str] = []

    def add(self, fieldfile, where: str) -> str:
        name = fieldfile.name or ""
        if not name:
            return ""
        if name in self.paths:
            return self.paths[name]
        if not default_storage.exists(name):
            self.missing.append(
                _("%(where)s: the file “%(path)s” is missing from the storage.")
                % {"where": where, "path": name}
            )
            return ""
        base = PurePosixPath(name).name
        stem, suffix = PurePosixPath(base).stem, PurePosixPath(base).suffix
        candidate, n = f"{MEDIA_DIR}/{base}", 1
        used = set(self.paths.values())
        while candidate in used:
            n += 1
            candidate = f"{MEDIA_DIR}/{stem}-{n}{suffix}"
        self.paths[name] = candidate
        return candidate


def bundle_data(collector: _MediaCollector | None = None) -> dict:
    """The whole learning path (every module, drafts included) as bundle.json data."""
    collector = collector or _MediaCollector()
    glossary = [
        {"term": t.term, "slug": t.slug, "definition": t.definition, "variants": t.variants or []}
        for t in GlossaryTerm.objects.order_by("slug")
    ]
    modules = []
    for module in Module.objects.order_by("position", "id").prefetch_related("steps"):
        activities = []
        for activity in sorted(module.steps.all(), key=lambda a: a.position):
            where = _("Module “%(slug)s”, activity %(position)s") % {
                "slug": module.slug,
                "position": activity.position,
            }
            activities.append(
                {
                    "position": activity.position,
                    "kind": activity.kind,
                    "title": activity.title,
                    "required": activity.required,
                    "content": activity.content,
                    "media": collector.add(activity.media, where),
                    "captions": collector.add(activity.captions, where),
                    "poster": collector.add(activity.poster, where),
                }
            )
        modules.append(
            {
                "slug": module.slug,
                "title": module.title,
                "summary": module.summary,
                "duration_minutes": module.duration_minutes,
                "position": module.position,
                "concerns": module.concerns or [],
                "recommended_for": module.recommended_for or [],
                "audiences": module.audiences or [],
                "status": module.status,
                "cover_image": collector.add(
                    module.cover_image, _("Module “%(slug)s”") % {"slug": module.slug}
                ),
                "cover_alt": module.cover_alt,
                "activities": activities,
            }
        )
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "glossary": glossary,
        "modules": modules,
    }


def export_bundle(target, *, as_zip: bool = True) -> dict:
    """Write the learning path to `target`: a .zip (a path or a binary file object) or,
    with as_zip=False, a folder. Returns the bundle.json data."""
    collector = _MediaCollector()
    data = bundle_data(collector)
    if collector.missing:
        raise BundleError(collector.missing)
    encoded = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    if as_zip:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(BUNDLE_FILE, encoded)
            for name, path in collector.paths.items():
                with default_storage.open(name, "rb") as stored:
                    archive.writestr(path, stored.read())
        return data
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / BUNDLE_FILE).write_bytes(encoded)
    for name, path in collector.paths.items():
        destination = folder / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as stored:
            destination.write_bytes(stored.read())
    return data
