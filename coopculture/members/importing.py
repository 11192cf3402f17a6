"""Member import (CSV and XLSX): read the file, guess the columns, check every row, apply.

The flow (pages in members/views/imports.py):

1. Upload: `import_create` stores the file with `private_storage` and `inspect_file` finds
   its format, encoding (UTF-8 with or without BOM, UTF-16, else Windows-1252), separator
   (`;`, `,` or tab), column names and number of rows. `initial_targets` proposes what each
   column is: the coop's saved mapping for the same column names, else guesses from the
   French names ("Nom", "Courriel", "N° associé"...).
2. Columns: `mapping_save` keeps the choice (and remembers it per coop), then `preview`
   checks every row and stores every error by row and column, with the number of members
   the import would create, update or leave unchanged.
3. Apply: `import_start` runs `run_import` at once for small files, or queues
   `import_tasks.apply_import_task` above BACKGROUND_THRESHOLD rows. `run_import` checks the
   file again, then writes everything in ONE transaction, or nothing: an upsert by
   (coop, external_ref), so importing the same file twice changes nothing. It writes a
   report (one line per row) and deletes the uploaded file.

Blank cells never erase what a member record already holds: an import fills and corrects,
it does not empty fields.

Memory: rows are streamed (csv reader, openpyxl read-only) and handled CHUNK_SIZE at a time
(one query per chunk for the existing members, bulk writes); the only structure kept for
the whole file is a fixed-size Bloom filter of the references (2 MiB) that finds the
duplicates, confirmed by a second read of the few candidate rows.
"""

import codecs
import contextlib
import csv
import datetime as dt
import functools
import hashlib
import io
import itertools
import json
import logging
import os
import re
import tempfile
import unicodedata
import uuid
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django_scopes import scopes_disabled

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from coopculture.coops.models import Coop
from coopculture.coops.scoping import ensure_same_coop
from coopculture.coops.services import audit_log
from coopculture.core import csvfiles
from coopculture.members import contacts, listing
from coopculture.members.models import (
    Channel,
    ColumnMapping,
    ConsentRecord,
    ConsentSource,
    ContractKind,
    ImportStatus,
    LegalBasis,
    Member,
    MemberImport,
    MemberProfile,
    ProfileKind,
    Programme,
    Purpose,
    Reservation,
    private_storage,
)
from coopculture.members.selectors import tracked_purposes

logger = logging.getLogger(__name__)

MAX_FILE_SIZE = 20 * 1024 * 1024
# Bounds checked BEFORE and WHILE reading, so that no file can make the reading cost more
# than a real export of a coop (an XLSX is a zip: its sheets can expand a thousandfold).
MAX_COLUMNS = 200
MAX_ROWS = 100_000
MAX_CELL_LINES = 6  # a multi-line cell (an address) has a few lines, not a file's worth
XLSX_MAX_MEMBERS = 500
XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
XLSX_MAX_RATIO = 100  # uncompressed / compressed, for parts above XLSX_RATIO_FROM
XLSX_RATIO_FROM = 1024 * 1024
HEADER_SCAN_ROWS = 20  # the column names may come after a title, within these rows
MAX_WARNINGS = 200
# Files with more data rows than this are applied by a background task (import_tasks);
# smaller ones are applied within the request, and the page shows the result at once.
BACKGROUND_THRESHOLD = 2000
CHUNK_SIZE = 1000
MAX_KEPT_ERRORS = 10_000
FILE_RETENTION = dt.timedelta(days=7)
# An uploaded file (personal data) of an import left unfinished is deleted after this; a
# file in the imports folder that no import refers to (a crash between saving the file
# and saving its import) after ORPHAN_AGE.
UPLOAD_RETENTION = dt.timedelta(days=1)
ORPHAN_AGE = dt.timedelta(hours=1)
SAMPLE_ROWS = 50
CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
OTHER_SPREADSHEETS = (".xls", ".ods", ".numbers", ".xlsb")
DELIMITERS = (";", ",", "\t")
DELIMITER_NAMES = {
    ";": gettext_lazy("semicolon"),
    ",": gettext_lazy("comma"),
    "\t": gettext_lazy("tab"),
}

# Statuses in which the columns can still be chosen (again).
EDITABLE = (ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.FAILED)
UNFINISHED = (
    ImportStatus.ANALYSING,
    ImportStatus.UPLOADED,
    ImportStatus.MAPPED,
    ImportStatus.CHECKING,
    ImportStatus.FAILED,
)
# The worker is reading the file: the pages say so and wait.
BUSY = (ImportStatus.ANALYSING, ImportStatus.CHECKING)


class ImportFileError(Exception):
    """The file cannot be read as an import; `message` is translated, for the user."""

    def __init__(self, message, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


# --- Targets: what a column can be -----------------------------------------------------------

TARGET_LABELS = {
    "external_ref": gettext_lazy("Member number or client reference"),
    "last_name": gettext_lazy("Last name"),
    "first_name": gettext_lazy("First name"),
    "email": gettext_lazy("Email address"),
    "phone": gettext_lazy("Phone"),
    "address_line": gettext_lazy("Address (street, building…)"),
    "postcode": gettext_lazy("Postcode"),
    "town": gettext_lazy("Town"),
    "preferred_channel": gettext_lazy("Preferred channel (post, email, phone, text message)"),
    "needs_large_print": gettext_lazy("Large print (yes/no)"),
    "needs_digital_help": gettext_lazy("Help with digital tools (yes/no)"),
    "accessibility_notes": gettext_lazy("Other needs"),
    "profile": gettext_lazy("Profile (tenant, home buyer, co-owner)"),
    "profile_start": gettext_lazy("Profile start date"),
    "programme": gettext_lazy("Programme (opération)"),
    "contract": gettext_lazy("Contract (reservation or lease)"),
    "signed_on": gettext_lazy("Reservation or lease date"),
    "lot_number": gettext_lazy("Lot number"),
    "home_type": gettext_lazy("Type of home (T2, T3…)"),
    "consent_bulletin": gettext_lazy("Consent: information bulletin (yes/no)"),
    "consent_coop_news": gettext_lazy("Consent: coop news (yes/no)"),
    "consent_sessions": gettext_lazy("Consent: invitations to sessions (yes/no)"),
    "consent_ag_electronic": gettext_lazy("Consent: general assembly notices by email (yes/no)"),
}
REQUIRED_TARGETS = ("external_ref", "last_name", "first_name")
REPEATABLE_TARGETS = frozenset({"address_line"})
CONSENT_TARGETS = {f"consent_{purpose}": purpose for purpose in Purpose.values}
RESERVATION_DETAILS = ("signed_on", "lot_number", "home_type", "contract")
TEXT_LIMITS = {
    "external_ref": 64,
    "last_name": 80,
    "first_name": 80,
    "phone": 30,
    "accessibility_notes": 500,
    "lot_number": 20,
    "home_type": 20,
    "address_line": 300,
    "postcode": 20,
    "town": 120,
}
MEMBER_TARGETS = (
    "external_ref",
    "last_name",
    "first_name",
    "email",
    "phone",
    "preferred_channel",
    "needs_large_print",
    "needs_digital_help",
    "accessibility_notes",
)
POSTAL_ADDRESS_MAX = 300
# The member choices an import never overrides (the member's own recent decision).
MEMBER_CHOICE_SOURCES = frozenset({ConsentSource.WEB_FORM, ConsentSource.UNSUBSCRIBE})


def untracked_targets(coop: Coop) -> set[str]:
    """Consent columns of purposes the coop does not ask about (selectors.tracked_purposes)."""
    tracked = set(tracked_purposes(coop))
    return {target for target, purpose in CONSENT_TARGETS.items() if purpose not in tracked}


def target_choices(coop: Coop) -> list[tuple[str, object]]:
    hidden = untracked_targets(coop)
    return [
        ("", gettext_lazy("Do not import")),
        *((target, label) for target, label in TARGET_LABELS.items() if target not in hidden),
    ]


def target_label(target: str) -> str:
    return str(TARGET_LABELS.get(target, target))


@functools.lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: "N° d'associé" → "n d associe"."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


# Normalised header -> target, for the usual names; then keyword rules (order matters).
HEADER_SYNONYMS = {
    "nom": "last_name",
    "nom de famille": "last_name",
    "nom d usage": "last_name",
    "nom de naissance": "last_name",
    "prenom": "first_name",
    "prenoms": "first_name",
    "courriel": "email",
    "e mail": "email",
    "email": "email",
    "mail": "email",
    "mel": "email",
    "adresse mail": "email",
    "adresse e mail": "email",
    "adresse electronique": "email",
    "tel": "phone",
    "telephone": "phone",
    "portable": "phone",
    "mobile": "phone",
    "n associe": "external_ref",
    "no associe": "external_ref",
    "num associe": "external_ref",
    "numero associe": "external_ref",
    "numero d associe": "external_ref",
    "n d associe": "external_ref",
    "ref client": "external_ref",
    "reference client": "external_ref",
    "reference": "external_ref",
    "ref": "external_ref",
    "n client": "external_ref",
    "numero client": "external_ref",
    "code client": "external_ref",
    "identifiant": "external_ref",
    "matricule": "external_ref",
    "adresse": "address_line",
    "cp": "postcode",
    "code postal": "postcode",
    "ville": "town",
    "commune": "town",
    "localite": "town",
    "lot": "lot_number",
    "n lot": "lot_number",
    "numero de lot": "lot_number",
    "type": "home_type",
    "typologie": "home_type",
    "type de logement": "home_type",
    "canal": "preferred_channel",
    "canal prefere": "preferred_channel",
    "canal de contact": "preferred_channel",
    "profil": "profile",
    "statut": "profile",
    "operation": "programme",
    "programme": "programme",
    "residence": "programme",
    "contrat": "contract",
    "type de contrat": "contract",
    "date de reservation": "signed_on",
    "date reservation": "signed_on",
    # The date a person became a member (or moved in): when their profile starts, not the
    # date of a reservation.
    "date d entree": "profile_start",
    "date entree": "profile_start",
    "entree": "profile_start",
    "date d adhesion": "profile_start",
    "date adhesion": "profile_start",
}


def _has(words: set[str], *candidates: str) -> bool:
    return any(c in words for c in candidates)


HEADER_RULES = (
    ("consent_ag_electronic", lambda w: _has(w, "convocation", "convocations")),
    (
        "consent_bulletin",
        lambda w: (
            _has(w, "newsletter", "bulletin")
            or ("lettre" in w and _has(w, "info", "infos", "information", "informations"))
        ),
    ),
    ("consent_coop_news", lambda w: _has(w, "actualite", "actualites", "actus", "nouvelles")),
    ("consent_sessions", lambda w: _has(w, "invitation", "invitations", "atelier", "ateliers")),
    ("needs_large_print", lambda w: _has(w, "caracteres", "malvoyant", "malvoyance")),
    ("needs_digital_help", lambda w: "numerique" in w and _has(w, "aide", "accompagnement")),
    ("signed_on", lambda w: "date" in w and _has(w, "reservation", "signature", "bail")),
    (
        "profile_start",
        lambda w: "date" in w and _has(w, "profil", "statut", "debut", "entree", "adhesion"),
    ),
    ("accessibility_notes", lambda w: _has(w, "besoin", "besoins", "accessibilite")),
    ("preferred_channel", lambda w: _has(w, "canal", "canaux") or {"moyen", "contact"} <= w),
    ("contract", lambda w: "contrat" in w),
    ("profile", lambda w: _has(w, "profil", "statut", "qualite")),
    ("programme", lambda w: _has(w, "operation", "programme", "residence", "immeuble")),
    ("lot_number", lambda w: "lot" in w),
    ("home_type", lambda w: _has(w, "typologie", "typo") or {"type", "logement"} <= w),
    ("email", lambda w: _has(w, "courriel", "email", "mail", "mel")),
    ("phone", lambda w: _has(w, "tel", "telephone", "portable", "mobile", "gsm")),
    ("postcode", lambda w: {"code", "postal"} <= w or "cp" in w),
    ("town", lambda w: _has(w, "ville", "commune", "localite")),
    ("address_line", lambda w: _has(w, "adresse", "rue", "voie", "complement", "batiment")),
    ("first_name", lambda w: _has(w, "prenom", "prenoms")),
    ("last_name", lambda w: "nom" in w),
    (
        "external_ref",
        lambda w: _has(w, "associe", "societaire", "adherent", "reference", "ref", "matricule"),
    ),
)


def guess_target(header: str) -> str:
    name = normalise(header)
    if name in HEADER_SYNONYMS:
        return HEADER_SYNONYMS[name]
    words = set(name.split())
    for target, rule in HEADER_RULES:
        if rule(words):
            return target
    return ""


def guess_targets(headers: list[str]) -> list[str]:
    """One target per column; a target that can be used once goes to its first column."""
    used: set[str] = set()
    targets = []
    for header in headers:
        target = guess_target(header)
        if target and target not in REPEATABLE_TARGETS:
            if target in used:
                target = ""
            used.add(target)
        targets.append(target)
    if "profile_start" in targets and "profile" not in targets:
        # An entry date without a profile column has nowhere to go: the user decides.
        targets = ["" if t == "profile_start" else t for t in targets]
    return targets


def headers_signature(headers: list[str]) -> str:
    names = [normalise(h) for h in headers]
    return hashlib.sha256(json.dumps(names).encode()).hexdigest()


def initial_targets(*, coop: Coop, headers: list[str]) -> tuple[list[str], str]:
    """The coop's saved mapping for these column names ("saved"), else a guess ("guessed")."""
    saved = ColumnMapping.objects.filter(
        coop=coop, headers_signature=headers_signature(headers)
    ).first()
    if saved is not None:
        targets = list((saved.mapping or {}).get("targets") or [])
        if len(targets) == len(headers) and all(t in TARGET_LABELS or t == "" for t in targets):
            return _without_untracked(coop, targets), "saved"
    return _without_untracked(coop, guess_targets(headers)), "guessed"


def _without_untracked(coop: Coop, targets: list[str]) -> list[str]:
    hidden = untracked_targets(coop)
    return ["" if target in hidden else target for target in targets]


def mapping_problems(targets: list[str]) -> list[str]:
    """What makes a column mapping unusable, as sentences for the user."""
    problems = []
    chosen = [t for t in targets if t]
    for target in REQUIRED_TARGETS:
        if target not in chosen:
            problems.append(
                _("Choose the column that holds the “%(field)s”: it is required.")
                % {"field": target_label(target)}
            )
    for target in dict.fromkeys(chosen):
        if target not in REPEATABLE_TARGETS and chosen.count(target) > 1:
            problems.append(
                _("Several columns go to “%(field)s”: choose only one.")
                % {"field": target_label(target)}
            )
    if "programme" in chosen and "signed_on" not in chosen:
        problems.append(
            _("With a programme column, also choose the column of the reservation or lease date.")
        )
    if "programme" not in chosen and any(t in chosen for t in RESERVATION_DETAILS):
        problems.append(_("The reservation columns need the programme column too."))
    if "profile_start" in chosen and "profile" not in chosen:
        problems.append(_("A profile start date needs the profile column too."))
    return problems


# --- Reading the file ------------------------------------------------------------------------


def file_kind(name: str, binary) -> str:
    """ "csv" or "xlsx", from the extension checked against the first bytes."""
    extension = Path(name).suffix.lower()
    binary.seek(0)
    head = binary.read(8)
    binary.seek(0)
    if extension in OTHER_SPREADSHEETS or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "This spreadsheet format cannot be read: save it as Excel (.xlsx) or as CSV, "
                "then upload it again."
            ),
            code="file_type",
        )
    if extension in XLSX_EXTENSIONS:
        if not head.startswith(b"PK\x03\x04"):
            raise ImportFileError(
                _("This file is not a valid Excel (.xlsx) file."), code="invalid_xlsx"
            )
        return "xlsx"
    if extension in CSV_EXTENSIONS:
        return "csv"
    raise ImportFileError(_("Choose a CSV file (.csv) or an Excel file (.xlsx)."), code="file_type")


def _damaged_xlsx(error=None) -> ImportFileError:
    return ImportFileError(
        _(
            "This Excel file is damaged and cannot be read. Open it in Excel or LibreOffice, "
            "save it again (as .xlsx or as CSV), then upload it again."
        ),
        code="damaged_xlsx",
    )


def check_archive(binary) -> None:
    """An XLSX is a zip: refuse one whose parts would expand beyond the bounds (a zip bomb)
    before any of it is decompressed. The sizes come from the zip's directory; Python's
    zipfile never decompresses more than the size a part declares."""
    binary.seek(0)
    try:
        with zipfile.ZipFile(binary) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise ImportFileError(
            _("This file is not a valid Excel (.xlsx) file."), code="invalid_xlsx"
        ) from error
    finally:
        binary.seek(0)
    expanded = sum(part.file_size for part in parts)
    bomb = any(
        part.file_size > XLSX_RATIO_FROM
        and part.file_size > XLSX_MAX_RATIO * max(part.compress_size, 1)
        for part in parts
    )
    if len(parts) > XLSX_MAX_MEMBERS or expanded > XLSX_MAX_UNCOMPRESSED or bomb:
        raise ImportFileError(
            _(
                "This Excel file would take %(size)s once opened, far more than a list of "
                "members needs: it cannot be read. Save the sheet of members alone as CSV, "
                "then upload it again."
            )
            % {"size": filesizeformat(expanded)},
            code="xlsx_too_big",
        )


def _decodes(binary, encoding: str) -> bool:
    binary.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while chunk := binary.read(1 << 16):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        binary.seek(0)
    return True


def detect_encoding(binary) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252, else Latin-1.

    Reads the whole file in 64 KiB pieces (incremental decoders): memory stays flat."""
    binary.seek(0)
    head = binary.read(4)
    binary.seek(0)
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and _decodes(binary, "utf-16"):
        return "utf-16"
    if b"\x00" in binary.read(8192):
        binary.seek(0)
        raise ImportFileError(
            _("This file does not look like text: save it as CSV or as Excel (.xlsx)."),
            code="binary",
        )
    binary.seek(0)
    utf8 = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    for encoding in (utf8, "cp1252"):
        if _decodes(binary, encoding):
            return encoding
    return "latin-1"


def _text_stream(binary, encoding: str) -> io.TextIOWrapper:
    binary.seek(0)
    return io.TextIOWrapper(binary, encoding=encoding, newline="")


def _release(stream: io.TextIOWrapper) -> None:
    with contextlib.suppress(ValueError):  # the underlying file is already closed
        stream.detach()


# Excel's own line, first in a CSV it wrote for another locale: "sep=;".
SEP_LINE = re.compile(r"^sep=([^\w\s\"'])?[ ]*$")
SEP_DELIMITERS = (*DELIMITERS, "|")


def _sep_line(line: str) -> str | None:
    """The delimiter a `sep=` line names; None when the line is not one."""
    match = SEP_LINE.match(line.rstrip("\r\n"))
    if match is None:
        return None
    delimiter = match.group(1) or "\t"  # "sep=<tab>": the tab is taken for a space
    return delimiter if delimiter in SEP_DELIMITERS else None


def _column_score(sample: str, delimiter: str) -> tuple[int, int, int]:
    """(more than one column?, rows with the most common width, that width).

    The most common width, not the first row's: a title above the column names has one
    cell. `newline=""`: a file with old-Mac line endings (CR alone) has no "\\n"."""
    try:
        records = [
            r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if any(r)
        ][:30]
    except csv.Error:
        return (0, 0, 0)
    if not records:
        return (0, 0, 0)
    widths = Counter(len(r) for r in records)
    width, count = max(widths.items(), key=lambda item: (item[1], item[0]))
    return (int(width > 1), count, width)


def detect_delimiter(binary, encoding: str) -> str:
    """A `sep=` first line, else `;`, `,` or tab: csv.Sniffer (limited to these), checked
    by counting columns."""
    stream = _text_stream(binary, encoding)
    try:
        sample = stream.read(64 * 1024)
    finally:
        _release(stream)
        binary.seek(0)
    sample = sample.replace("\r\n", "\n").replace("\r", "\n")
    if (named := _sep_line(sample.partition("\n")[0])) is not None:
        return named
    if len(sample) >= 64 * 1024 and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    scores = {d: _column_score(sample, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (scores[d], d == sniffed))
    if sniffed in scores and scores[sniffed] == scores[best]:
        return sniffed
    return best if scores[best][0] else ";"


def _too_many_columns(line: int) -> ImportFileError:
    return ImportFileError(
        _(
            "Row %(row)s of the file has more than %(limit)s columns: a list of members has "
            "far fewer. Remove the extra columns (or check the separator), then upload the "
            "file again."
        )
        % {"row": line, "limit": MAX_COLUMNS},
        code="too_many_columns",
    )


def _too_many_rows() -> ImportFileError:
    return ImportFileError(
        _("The file has more than %(limit)s rows: split it into several files.")
        % {"limit": f"{MAX_ROWS:,}".replace(",", "\u202f")},
        code="too_many_rows",
    )


def _merged_lines(record: list, delimiter: str, first_line: int) -> int | None:
    """The physical line where a cell opened by a quotation mark swallowed the next rows
    (None when the record's multi-line cells look like real multi-line cells)."""
    line = first_line
    for cell in record:
        lines = cell.splitlines()
        if len(lines) > MAX_CELL_LINES or any(delimiter in text for text in lines[1:]):
            return line
        line += max(len(lines) - 1, 0) + (1 if cell.endswith(("\n", "\r")) else 0)
    return None


def _csv_cells(binary, encoding: str, delimiter: str) -> Iterator[tuple[int, list]]:
    """Every record, numbered as a spreadsheet numbers its rows. A cell that opens with a
    quotation mark never closed would swallow the following rows into one cell: that
    stops the reading with the line where it happens, nothing is merged silently."""
    stream = _text_stream(binary, encoding)
    try:
        reader = csv.reader(stream, delimiter=delimiter)
        number = 0
        lines_read = 0
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as error:
                raise ImportFileError(
                    _(
                        "The file cannot be read after row %(row)s: a cell may open with a "
                        'quotation mark (") that is never closed.'
                    )
                    % {"row": number},
                    code="unreadable",
                ) from error
            first_line, lines_read = lines_read + 1, reader.line_num
            number += 1
            if number == 1 and _sep_line(delimiter.join(record)) == delimiter:
                continue  # Excel's "sep=;" line: not a row of the table
            if lines_read > first_line:
                line = _merged_lines(record, delimiter, first_line)
                if line is not None:
                    raise ImportFileError(
                        _(
                            "Line %(line)s of the file: a cell opens with a quotation mark "
                            '(") that is not closed where the cell ends, so the following '
                            "lines would be read as part of that cell and several members "
                            "would become one. Nothing was imported: remove that quotation "
                            "mark or close it, then upload the file again."
                        )
                        % {"line": line},
                        code="open_quote",
                    )
            width = len(record)
            while width and record[width - 1] == "":
                width -= 1
            if width > MAX_COLUMNS:
                raise _too_many_columns(number)
            if number > MAX_ROWS + HEADER_SCAN_ROWS + 1:
                raise _too_many_rows()
            yield number, [cell.strip() for cell in record[:width]]
    finally:
        _release(stream)


def _xlsx_value(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _open_workbook(binary):
    import openpyxl

    check_archive(binary)
    binary.seek(0)
    try:
        return openpyxl.load_workbook(binary, read_only=True, data_only=True)
    except Exception as error:  # a zip, but its workbook parts are missing or broken
        raise _damaged_xlsx() from error


def _worksheet(workbook, sheet: str):
    if not sheet:
        active = workbook.active
        return active if active in workbook.worksheets else workbook.worksheets[0]
    for worksheet in workbook.worksheets:
        if worksheet.title == sheet:
            return worksheet
    raise ImportFileError(
        _("The sheet “%(name)s” is not in this file.") % {"name": sheet}, code="sheet_gone"
    )


def _xlsx_cells(binary, sheet: str = "") -> Iterator[tuple[int, list]]:
    """The sheet's rows, read at most MAX_COLUMNS + 1 wide and MAX_ROWS (+ a title) long,
    whatever size the sheet claims. Any failure inside the workbook (a damaged sheet) is
    an ImportFileError, not a crash."""
    workbook = _open_workbook(binary)
    limit = MAX_ROWS + HEADER_SCAN_ROWS + 1
    try:
        worksheet = _worksheet(workbook, sheet)
        values_of = worksheet.iter_rows(
            min_row=1, max_row=limit + 1, max_col=MAX_COLUMNS + 1, values_only=True
        )
        for number, values in enumerate(values_of, 1):
            if values.count(None) == len(values):
                continue  # blank: not a row of the table
            if number > limit:
                raise _too_many_rows()
            if len(values) > MAX_COLUMNS and values[MAX_COLUMNS] not in (None, ""):
                raise _too_many_columns(number)
            yield number, [_xlsx_value(v) for v in values[:MAX_COLUMNS]]
    except ImportFileError:
        raise
    except Exception as error:  # a damaged sheet: broken XML, a missing part, bad CRC...
        raise _damaged_xlsx() from error
    finally:
        workbook.close()


def xlsx_sheets(binary) -> list[str]:
    """The names of the workbook's sheets of cells (not its charts)."""
    workbook = _open_workbook(binary)
    try:
        return [worksheet.title for worksheet in workbook.worksheets]
    except Exception as error:
        raise _damaged_xlsx() from error
    finally:
        workbook.close()


XLSX_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def xlsx_uncalculated_formulas(binary, sheet: str) -> tuple[list[str], int]:
    """The cells (like "D4") of the sheet holding a formula that was never calculated (a
    file written by a program, not saved by a spreadsheet): they are read as empty. Read
    from the sheet's XML: a formula cell without a stored value."""
    from openpyxl.xml.functions import iterparse

    workbook = _open_workbook(binary)
    found: list[str] = []
    count = 0
    try:
        worksheet = _worksheet(workbook, sheet)
        with workbook._archive.open(worksheet._worksheet_path) as source:
            for _event, element in iterparse(source):
                if element.tag == f"{XLSX_MAIN}c":
                    if element.find(f"{XLSX_MAIN}f") is not None:
                        value = element.find(f"{XLSX_MAIN}v")
                        empty = value is None or not (value.text or "")
                        if empty and (value is None or element.get("t") != "str"):
                            count += 1
                            if len(found) < MAX_WARNINGS:
                                found.append(element.get("r", ""))
                    element.clear()
                elif element.tag == f"{XLSX_MAIN}row":
                    element.clear()
    except ImportFileError:
        raise
    except Exception as error:
        raise _damaged_xlsx() from error
    finally:
        workbook.close()
    return found, count


def _is_blank(cells: list) -> bool:
    return all(cell == "" for cell in cells)


def iter_table(binary, *, kind: str, encoding: str = "", delimiter: str = "", sheet: str = ""):
    """(row number, cells) of every non-blank row, the header first. Row numbers count
    every row of the file, blank ones too, as a spreadsheet shows them."""
    cells = (
        _xlsx_cells(binary, sheet) if kind == "xlsx" else _csv_cells(binary, encoding, delimiter)
    )
    try:
        for number, row in cells:
            if not _is_blank(row):
                yield number, row
    finally:
        cells.close()


def unique_headers(cells: list) -> list[str]:
    """Column names, cleaned: an empty one becomes "Column N", a repeated one "Name (2)"."""
    cells = list(cells)
    while cells and cells[-1] == "":
        cells.pop()
    names: list[str] = []
    seen: dict[str, int] = {}
    for number, cell in enumerate(cells, 1):
        name = " ".join(_text(cell).split())
        if not name:
            name = _("Column %(number)s") % {"number": number}
        key = name.casefold()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            name = f"{name} ({seen[key]})"
        names.append(name)
    return names


def header_index(rows: list[tuple[int, list]]) -> int:
    """Which of the first rows holds the column names: titles, dates or Excel's `sep=`
    line may come first. The row with column names we recognise (at least two, and at
    least half as many as the best row), else the first row with two cells or more."""
    known = []
    for _number, cells in rows:
        names = [_one_line(cell) for cell in cells if _one_line(cell)]
        texts = sum(1 for cell in cells if isinstance(cell, str) and cell != "")
        # Column names are text (a name may be a year, not most of them: dates, numbers).
        filled = len(names) >= 2 and texts * 2 >= len(names)
        known.append(sum(1 for name in names if guess_target(name)) if filled else -1)
    best = max(known, default=-1)
    if best >= 2:
        wanted = max(2, (best + 1) // 2)
        return next(index for index, count in enumerate(known) if count >= wanted)
    for index, (_number, cells) in enumerate(rows):
        if sum(1 for cell in cells if _one_line(cell)) >= 2:
            return index
    return 0


@dataclass
class Inspection:
    kind: str
    encoding: str
    delimiter: str
    headers: list[str]
    total_rows: int
    header_row: int = 1
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)


def _read_layout(binary, *, kind, encoding, delimiter, sheet) -> tuple[int, list[str], int]:
    """(header row number, column names, number of rows below them)."""
    rows = iter_table(binary, kind=kind, encoding=encoding, delimiter=delimiter, sheet=sheet)
    try:
        head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
        if not head:
            raise ImportFileError(_("The file is empty."), code="empty")
        index = header_index(head)
        header_row, cells = head[index]
        headers = unique_headers(cells)
        if len(headers) < 2:
            raise ImportFileError(
                _(
                    "Only one column was found. Separate the columns with semicolons, commas "
                    "or tabs, and put the column names on the first row."
                ),
                code="one_column",
            )
        total = len(head) - index - 1 + sum(1 for _row in rows)
    finally:
        rows.close()
    if total == 0:
        raise ImportFileError(
            _("The file has column names but no rows below them."), code="no_rows"
        )
    if total > MAX_ROWS:
        raise _too_many_rows()
    return header_row, headers, total


def _choose_sheet(binary, sheets: list[str], sheet: str) -> str:
    """The sheet asked for; else the active one if it holds a table, else the first that
    does (members are often on a second sheet, after a cover sheet or a pivot table)."""
    if sheet or len(sheets) < 2:
        return sheet
    workbook = _open_workbook(binary)
    try:
        active = _worksheet(workbook, "").title
    finally:
        workbook.close()
    for name in [active, *(s for s in sheets if s != active)]:
        try:
            _read_layout(binary, kind="xlsx", encoding="", delimiter="", sheet=name)
        except ImportFileError as error:
            if error.code in {"empty", "one_column", "no_rows"}:
                continue
            raise
        return name
    return active


def inspect_file(binary, name: str, *, sheet: str = "") -> Inspection:
    kind = file_kind(name, binary)
    encoding = delimiter = ""
    sheets: list[str] = []
    if kind == "csv":
        encoding = detect_encoding(binary)
        delimiter = detect_delimiter(binary, encoding)
    else:
        sheets = xlsx_sheets(binary)
        sheet = _choose_sheet(binary, sheets, sheet)
    header_row, headers, total = _read_layout(
        binary, kind=kind, encoding=encoding, delimiter=delimiter, sheet=sheet
    )
    inspection = Inspection(
        kind, encoding, delimiter, headers, total, header_row, sheet, sheets=sheets
    )
    if kind == "xlsx":
        cells, count = xlsx_uncalculated_formulas(binary, sheet)
        if count:
            inspection.warnings.append(
                {
                    "row": None,
                    "column": "",
                    "code": "uncalculated_formulas",
                    "message": ngettext(
                        "%(count)s cell holds a formula that was never calculated (%(cells)s): "
                        "it is read as empty. Open the file in Excel or LibreOffice, save it, "
                        "then upload it again.",
                        "%(count)s cells hold a formula that was never calculated "
                        "(%(cells)s): they are read as empty. Open the file in Excel or "
                        "LibreOffice, save it, then upload it again.",
                        count,
                    )
                    % {
                        "count": count,
                        "cells": ", ".join(cells[:10]) + ("…" if count > 10 else ""),
                    },
                }
            )
    return inspection


def job_kind(job: MemberImport) -> str:
    return "xlsx" if job.file.name.lower().endswith(XLSX_EXTENSIONS) else "csv"


def _from_row(rows, first: int):
    try:
        for number, cells in rows:
            if number >= first:
                yield number, cells
    finally:
        rows.close()


@contextmanager
def open_table(job: MemberImport):
    """The import's rows (the header row first), from its stored file."""
    if not job.file:
        raise ImportFileError(
            _("The file of this import is no longer kept: upload it again."), code="file_gone"
        )
    try:
        handle = job.file.storage.open(job.file.name, "rb")
    except FileNotFoundError as error:
        raise ImportFileError(
            _("The file of this import is no longer kept: upload it again."), code="file_gone"
        ) from error
    with handle:
        binary = getattr(handle, "file", handle)
        rows = _from_row(
            iter_table(
                binary,
                kind=job_kind(job),
                encoding=job.encoding,
                delimiter=job.delimiter,
                sheet=job.sheet,
            ),
            job.header_row or 1,
        )
        try:
            yield rows
        finally:
            rows.close()


def column_samples(job: MemberImport, *, per_column: int = 3) -> list[list[str]]:
    """A few different values of each column, from the first rows (for the mapping page)."""
    samples: list[list[str]] = [[] for _header in job.headers]
    with open_table(job) as rows:
        next(rows, None)
        for count, (_number, cells) in enumerate(rows):
            if count >= SAMPLE_ROWS:
                break
            for index, cell in enumerate(cells[: len(samples)]):
                text = _text(cell)
                if text and text not in samples[index] and len(samples[index]) < per_column:
                    samples[index].append(text[:60])
    return samples


# --- Cell values -----------------------------------------------------------------------------


class _CellError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _text(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _one_line(value) -> str:
    return " ".join(_text(value).split())


def _limited(value: str, limit: int) -> str:
    if len(value) > limit:
        raise _CellError(
            "too_long",
            _("Too long: %(limit)s characters at most, this cell has %(length)s.")
            % {"limit": limit, "length": len(value)},
        )
    return value


def parse_text(value, limit: int) -> str:
    return _limited(_one_line(value), limit)


def parse_lines(value, limit: int) -> str:
    lines = (" ".join(line.split()) for line in _text(value).splitlines())
    return _limited("\n".join(line for line in lines if line), limit)


def _contact(normaliser, value) -> str:
    try:
        return normaliser(value)
    except contacts.ContactError as error:
        raise _CellError(error.code, error.message) from None


def parse_phone(value) -> str:
    """A French number checked and written 06 12 34 56 78; its lost leading 0 restored."""
    return _contact(contacts.normalise_phone, value)


def parse_postcode(value) -> str:
    return _contact(contacts.normalise_postcode, value)


def parse_email(value) -> str:
    """Stripped, lower-cased, the domain in IDNA (contacts.normalise_email)."""
    return _contact(contacts.normalise_email, value if isinstance(value, str) else _text(value))


DATE_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$")
DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def parse_date(value) -> dt.date | None:
    """dd/mm/yyyy, d/m/yy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd (an ending time is ignored),
    or an Excel date (a real date or its serial number)."""
    if value == "" or value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()
    text = TIME_SUFFIX.sub("", _one_line(value))
    if match := DATE_DMY.match(text):
        day, month, year = (int(g) for g in match.groups())
        if len(match.group(3)) == 2:
            pivot = timezone.localdate().year % 100 + 10
            year += 2000 if year <= pivot else 1900
    elif match := DATE_ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        raise _CellError(
            "invalid_date",
            _("“%(value)s” is not a date: write it as dd/mm/yyyy, for example 15/03/2024.")
            % {"value": _text(value)},
        )
    try:
        date = dt.date(year, month, day)
    except ValueError:
        date = None
    if date is None or not 1900 <= year <= 2100:
        raise _CellError(
            "impossible_date",
            _("%(value)s is not a date that exists: check the day and the month.")
            % {"value": _text(value)},
        )
    return date


YES = frozenset({"oui", "o", "yes", "y", "x", "1", "vrai", "true", "ok"})
NO = frozenset({"non", "n", "no", "0", "faux", "false"})


def parse_yes_no(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if value == "" or value is None:
        return None
    word = normalise(_text(value))
    if word in YES:
        return True
    if word in NO:
        return False
    raise _CellError("invalid_yes_no", _("“%(value)s”: write yes or no.") % {"value": _text(value)})


CHANNEL_WORDS = {
    "courrier": Channel.POST,
    "courrier postal": Channel.POST,
    "poste": Channel.POST,
    "papier": Channel.POST,
    "lettre": Channel.POST,
    "post": Channel.POST,
    "e mail": Channel.EMAIL,
    "email": Channel.EMAIL,
    "courriel": Channel.EMAIL,
    "mail": Channel.EMAIL,
    "mel": Channel.EMAIL,
    "telephone": Channel.PHONE,
    "tel": Channel.PHONE,
    "appel": Channel.PHONE,
    "phone": Channel.PHONE,
    "sms": Channel.SMS,
    "texto": Channel.SMS,
}
PROFILE_WORDS = {
    "locataire": ProfileKind.LOCATAIRE,
    "accedant": ProfileKind.ACCEDANT,
    "accedante": ProfileKind.ACCEDANT,
    "futur accedant": ProfileKind.ACCEDANT,
    "future accedante": ProfileKind.ACCEDANT,
    "accedant a la propriete": ProfileKind.ACCEDANT,
    "locataire accedant": ProfileKind.ACCEDANT,
    "locataire accedante": ProfileKind.ACCEDANT,
    "preneur": ProfileKind.ACCEDANT,
    "preneur brs": ProfileKind.ACCEDANT,
    "coproprietaire": ProfileKind.COPROPRIETAIRE,
    "copro": ProfileKind.COPROPRIETAIRE,
}
CONTRACT_WORDS = {
    "reservation": ContractKind.RESERVATION,
    "contrat de reservation": ContractKind.RESERVATION,
    "contrat preliminaire": ContractKind.RESERVATION,
    "location accession": ContractKind.RESERVATION,
    "contrat de location accession": ContractKind.RESERVATION,
    "vente": ContractKind.RESERVATION,
    "bail": ContractKind.LEASE,
    "bail d habitation": ContractKind.LEASE,
    "location": ContractKind.LEASE,
    "contrat de location": ContractKind.LEASE,
}


def _parse_word(value, words: dict, code: str, message: str):
    if value == "" or value is None:
        return ""
    key = normalise(_text(value))
    if key in words:
        return words[key]
    raise _CellError(code, str(message) % {"value": _text(value)})


UNKNOWN_CHANNEL = gettext_lazy(
    "“%(value)s” is not a channel: write post, email, phone or text message."
)
UNKNOWN_PROFILE = gettext_lazy(
    "“%(value)s” is not a profile: write tenant, home buyer or co-owner."
)
UNKNOWN_CONTRACT = gettext_lazy("“%(value)s” is not a contract: write reservation or lease.")


def parse_channel(value) -> str:
    return _parse_word(value, CHANNEL_WORDS, "unknown_channel", UNKNOWN_CHANNEL)


def parse_profile(value) -> str:
    return _parse_word(value, PROFILE_WORDS, "unknown_profile", UNKNOWN_PROFILE)


def parse_contract(value) -> str:
    return _parse_word(value, CONTRACT_WORDS, "unknown_contract", UNKNOWN_CONTRACT)


# --- Checking rows ---------------------------------------------------------------------------


@dataclass(slots=True)
class CleanRow:
    number: int
    ref: str = ""
    member: dict = field(default_factory=dict)
    profile: tuple[str, dt.date] | None = None
    reservation: dict | None = None
    consents: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


def _parse_notes(value) -> str:
    return parse_lines(value, TEXT_LIMITS["accessibility_notes"])


PARSERS = {
    "email": parse_email,
    "phone": parse_phone,
    "postcode": parse_postcode,
    "preferred_channel": parse_channel,
    "needs_large_print": parse_yes_no,
    "needs_digital_help": parse_yes_no,
    "profile": parse_profile,
    "profile_start": parse_date,
    "signed_on": parse_date,
    "contract": parse_contract,
    "accessibility_notes": _parse_notes,
    **dict.fromkeys(CONSENT_TARGETS, parse_yes_no),
}


class RowChecker:
    """Checks rows against the mapping and the coop's programmes; errors by row and column."""

    def __init__(self, *, coop: Coop, headers: list[str], targets: list[str]):
        self.headers = headers
        self.columns: dict[str, list[int]] = defaultdict(list)
        for index, target in enumerate(targets):
            if target:
                self.columns[target].append(index)
        self.single = {
            t: cols[0]
            for t, cols in self.columns.items()
            if t not in REPEATABLE_TARGETS and t != "programme"
        }
        self.programme_column = self.columns["programme"][0] if self.columns["programme"] else None
        self.programmes = {
            normalise(name): pk
            for pk, name in Programme.objects.filter(coop=coop).values_list("pk", "name")
        }
        self.today = timezone.localdate()

    def ref(self, cells: list) -> str:
        index = self.single["external_ref"]
        return _one_line(cells[index] if index < len(cells) else "")

    def email(self, cells: list) -> str:
        index = self.single.get("email")
        if index is None or index >= len(cells):
            return ""
        try:
            return parse_email(cells[index])
        except _CellError:
            return ""

    def _error(self, row: CleanRow, index: int, code: str, message: str) -> None:
        row.errors.append(
            {"row": row.number, "column": self.headers[index], "code": code, "message": message}
        )

    def check(self, number: int, cells: list) -> CleanRow:
        row = CleanRow(number=number)
        values: dict = {}
        failed: set[str] = set()
        width = len(cells)
        for target, index in self.single.items():
            value = cells[index] if index < width else ""
            try:
                parser = PARSERS.get(target)
                values[target] = parser(value) if parser else parse_text(value, TEXT_LIMITS[target])
            except _CellError as error:
                self._error(row, index, error.code, error.message)
                failed.add(target)
        if width > len(self.headers) and any(cell != "" for cell in cells[len(self.headers) :]):
            self._error(
                row,
                len(self.headers) - 1,
                "extra_cells",
                _(
                    "This row has more cells than the file has column names: a separator "
                    "inside a cell without quotation marks, or a column without a name? "
                    "Nothing of this row would be read right."
                ),
            )
        for target in REQUIRED_TARGETS:
            if target not in failed and not values.get(target):
                self._error(
                    row, self.single[target], "required", _("This cell is empty: it is required.")
                )
        row.ref = values.get("external_ref") or ""
        row.member = {
            t: values[t] for t in MEMBER_TARGETS if t in values and values[t] not in (None, "")
        }
        self._address(row, cells, values)
        if kind := values.get("profile"):
            start = values.get("profile_start") or values.get("signed_on") or self.today
            row.profile = (kind, start)
        self._reservation(row, cells, values, failed)
        row.consents = {
            purpose: values[target]
            for target, purpose in CONSENT_TARGETS.items()
            if values.get(target) is not None
        }
        return row

    def _address(self, row: CleanRow, cells: list, values: dict) -> None:
        indexes = self.columns.get("address_line", [])
        lines = [parse_lines(cells[i] if i < len(cells) else "", 10_000) for i in indexes]
        town_line = " ".join(v for v in (values.get("postcode"), values.get("town")) if v)
        address = "\n".join(line for line in [*lines, town_line] if line)
        if not address:
            return
        if len(address) > POSTAL_ADDRESS_MAX:
            first = indexes[0] if indexes else self.single.get("postcode", self.single.get("town"))
            self._error(
                row,
                first,
                "too_long",
                _("The address is too long: %(limit)s characters at most, this one has %(length)s.")
                % {"limit": POSTAL_ADDRESS_MAX, "length": len(address)},
            )
            return
        row.member["postal_address"] = address

    def _reservation(self, row: CleanRow, cells: list, values: dict, failed: set) -> None:
        index = self.programme_column
        if index is None:
            return
        name = _one_line(cells[index] if index < len(cells) else "")
        if not name:
            if any(values.get(t) for t in RESERVATION_DETAILS):
                self._error(
                    row,
                    index,
                    "missing_programme",
                    _("This row has reservation details but no programme."),
                )
            return
        programme_id = self.programmes.get(normalise(name))
        if programme_id is None:
            self._error(
                row,
                index,
                "unknown_programme",
                _(
                    "Your coop has no programme named “%(value)s”: correct the name or "
                    "create the programme first."
                )
                % {"value": name},
            )
            return
        signed_on = values.get("signed_on")
        if signed_on is None:
            if "signed_on" in self.single and "signed_on" not in failed:
                self._error(
                    row,
                    self.single["signed_on"],
                    "required",
                    _("This cell is empty: a reservation or lease needs its date."),
                )
            return
        kind = values.get("contract") or (
            ContractKind.LEASE
            if values.get("profile") == ProfileKind.LOCATAIRE
            else ContractKind.RESERVATION
        )
        row.reservation = {
            "programme_id": programme_id,
            "kind": kind,
            "signed_on": signed_on,
            "lot_number": values.get("lot_number") or "",
            "home_type": values.get("home_type") or "",
        }


class _RefFilter:
    """A Bloom filter of the references (2 MiB, two hashes): "maybe seen" or "never seen"."""

    BITS = 1 << 24

    def __init__(self):
        self.bits = bytearray(self.BITS // 8)

    def add(self, ref: str) -> bool:
        digest = hashlib.blake2b(ref.encode(), digest_size=16).digest()
        seen = True
        for part in (digest[:8], digest[8:]):
            position = int.from_bytes(part) & (self.BITS - 1)
            byte, mask = position >> 3, 1 << (position & 7)
            if not self.bits[byte] & mask:
                seen = False
                self.bits[byte] |= mask
        return seen


SAMPLE_PREVIEW = 20


@dataclass
class Outcome:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    error_count: int = 0
    warnings: list = field(default_factory=list)
    warning_count: int = 0
    channels: Counter = field(default_factory=Counter)
    sample: list = field(default_factory=list)

    def add_warnings(self, warnings: list) -> None:
        self.warning_count += len(warnings)
        room = MAX_WARNINGS - len(self.warnings)
        if room > 0:
            self.warnings.extend(warnings[:room])

    def add_errors(self, errors: list) -> None:
        if not errors:
            return
        self.error_count += len(errors)
        room = MAX_KEPT_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    def stored_errors(self, headers: list[str]) -> list[dict]:
        order = {name: index for index, name in enumerate(headers)}
        errors = sorted(
            self.errors, key=lambda e: (e["row"] or 0, order.get(e["column"], -1), e["code"])
        )
        if self.error_count > len(errors):
            errors.append(
                {
                    "row": None,
                    "column": "",
                    "code": "too_many_errors",
                    "message": _(
                        "%(count)s more errors are not listed: correct the ones above and "
                        "check the file again."
                    )
                    % {"count": self.error_count - len(errors)},
                }
            )
        return errors


def _chunks(iterable, size: int):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _targets(job: MemberImport) -> list[str]:
    targets = list((job.mapping or {}).get("targets") or [])
    return (targets + [""] * len(job.headers))[: len(job.headers)]


def _checked_chunks(
    job: MemberImport,
    checker: RowChecker,
    outcome: Outcome,
    candidates: set,
    email_candidates: set | None = None,
):
    """Every row checked, CHUNK_SIZE at a time: the chunk's rows without errors. The
    references (and the addresses, when `email_candidates` is given) seen maybe twice go
    to the candidate sets, to be confirmed by _duplicates."""
    refs = _RefFilter()
    emails = _RefFilter() if email_candidates is not None else None
    with open_table(job) as rows:
        next(rows, None)  # the header
        for chunk in _chunks(rows, CHUNK_SIZE):
            good = []
            for number, cells in chunk:
                outcome.total += 1
                row = checker.check(number, cells)
                if row.ref and refs.add(row.ref):
                    candidates.add(row.ref)
                email = row.member.get("email")
                if emails is not None and email and emails.add(email):
                    email_candidates.add(email)
                if row.errors:
                    outcome.add_errors(row.errors)
                else:
                    good.append(row)
            yield good


def _duplicate_errors(job: MemberImport, checker: RowChecker, candidates: set) -> list[dict]:
    return _duplicates(job, checker, candidates, set())[0]


def _duplicates(
    job: MemberImport, checker: RowChecker, candidates: set, email_candidates: set
) -> tuple[list[dict], list[dict]]:
    """Second read, only when the Bloom filters saw possible duplicates: confirm them.
    A reference on two rows is an error; an address on two rows a warning (a couple may
    share one: it gets one message per send, see campaigns.services.ledger_build)."""
    rows_of: dict[str, list[int]] = defaultdict(list)
    rows_of_email: dict[str, list[int]] = defaultdict(list)
    with open_table(job) as rows:
        next(rows, None)
        for number, cells in rows:
            ref = checker.ref(cells)
            if ref in candidates:
                rows_of[ref].append(number)
            if email_candidates and (email := checker.email(cells)) in email_candidates:
                rows_of_email[email].append(number)
    warnings = []
    email_column = checker.single.get("email")
    for email, numbers in rows_of_email.items():
        if len(numbers) < 2:
            continue
        listed = ", ".join(str(n) for n in numbers[:10]) + ("…" if len(numbers) > 10 else "")
        warnings.extend(
            {
                "row": number,
                "column": checker.headers[email_column],
                "code": "shared_email",
                "message": _(
                    "The address %(email)s is on several rows (%(rows)s): these members will "
                    "get one message per send, and an unsubscribe applies to all of them."
                )
                % {"email": contacts.display_email(email), "rows": listed},
            }
            for number in numbers
        )
    if not candidates:
        return [], warnings
    column = checker.single["external_ref"]
    errors = []
    for ref, numbers in rows_of.items():
        if len(numbers) < 2:
            continue
        listed = ", ".join(str(n) for n in numbers[:10]) + ("…" if len(numbers) > 10 else "")
        for number in numbers:
            errors.append(
                {
                    "row": number,
                    "column": checker.headers[column],
                    "code": "duplicate_ref",
                    "message": _("The reference %(ref)s is on several rows: %(rows)s.")
                    % {"ref": ref, "rows": listed},
                }
            )
    return errors, warnings


# --- Planning and writing --------------------------------------------------------------------

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
ACTION_LABELS = {
    CREATED: gettext_lazy("created"),
    UPDATED: gettext_lazy("updated"),
    UNCHANGED: gettext_lazy("unchanged"),
}
MEMBER_DEFAULTS = {
    "email": "",
    "phone": "",
    "postal_address": "",
    "preferred_channel": Channel.POST,
    "needs_large_print": False,
    "needs_digital_help": False,
    "accessibility_notes": "",
}
CHANGE_LABELS = {
    "postal_address": gettext_lazy("postal address"),
    "profile": gettext_lazy("profile"),
    "reservation": gettext_lazy("reservation or lease"),
}


@dataclass(slots=True)
class RowPlan:
    row: CleanRow
    member: Member
    action: str
    changes: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    channel: str = ""


@dataclass
class ChunkPlan:
    rows: list = field(default_factory=list)
    new_members: list = field(default_factory=list)
    changed_members: list = field(default_factory=list)
    member_fields: set = field(default_factory=set)
    closed_profiles: list = field(default_factory=list)
    new_profiles: list = field(default_factory=list)
    changed_reservations: list = field(default_factory=list)
    new_reservations: list = field(default_factory=list)
    new_consents: list = field(default_factory=list)


def _plan_chunk(
    coop: Coop, rows: list[CleanRow], *, dry_run: bool = False, actor=None, note: str = ""
) -> ChunkPlan:
    """What writing these rows would change, compared with the coop's stored data.

    dry_run (the preview): only the actions count, so new members are not built."""
    plan = ChunkPlan()
    existing = {
        m.external_ref: m
        # No ordering: Member's default one (by name) would make SQLite scan the coop's
        # members through the name index instead of using the (coop, external_ref) one.
        for m in Member.objects.filter(coop=coop, external_ref__in=[r.ref for r in rows])
        .exclude(external_ref="")
        .order_by()
    }
    for row in rows:
        member = existing.get(row.ref)
        if member is None:
            # Without a channel in the file, a new member with an address is written to by
            # email, one without by post.
            channel = row.member.get("preferred_channel") or (
                Channel.EMAIL if row.member.get("email") else Channel.POST
            )
            if dry_run:
                plan.rows.append(RowPlan(row, None, CREATED, channel=channel))
                continue
            member = Member(
                coop=coop, **{**MEMBER_DEFAULTS, "preferred_channel": channel, **row.member}
            )
            plan.new_members.append(member)
            plan.rows.append(RowPlan(row, member, CREATED, channel=channel))
            continue
        changes = [f for f, value in row.member.items() if getattr(member, f) != value]
        for name in changes:
            setattr(member, name, row.member[name])
        if changes:
            plan.changed_members.append(member)
            plan.member_fields.update(changes)
        plan.rows.append(
            RowPlan(
                row,
                member,
                UPDATED if changes else UNCHANGED,
                changes,
                channel=member.preferred_channel,
            )
        )

    known = [p.member.pk for p in plan.rows if p.member is not None and p.member.pk is not None]
    _plan_profiles(coop, plan, known)
    _plan_reservations(coop, plan, known)
    _plan_consents(coop, plan, known, actor=actor, note=note)
    for row_plan in plan.rows:
        if row_plan.action == UNCHANGED and row_plan.changes:
            row_plan.action = UPDATED
    return plan


def _plan_profiles(coop, plan: ChunkPlan, known: list[int]) -> None:
    rows = [p for p in plan.rows if p.row.profile and p.member is not None]
    if not rows:
        return
    open_profiles = defaultdict(list)
    # Ordered by member: SQLite then reads through the member index (without it, and
    # without statistics, it may scan every profile of the coop for each chunk).
    for profile in MemberProfile.objects.filter(
        coop=coop, member_id__in=known, end_date__isnull=True
    ).order_by("member_id"):
        open_profiles[profile.member_id].append(profile)
    for row_plan in rows:
        kind, start = row_plan.row.profile
        current = open_profiles.get(row_plan.member.pk, []) if row_plan.member.pk else []
        if any(p.kind == kind for p in current):
            continue
        for profile in current:
            profile.end_date = start - dt.timedelta(days=1)
            plan.closed_profiles.append(profile)
        plan.new_profiles.append(
            MemberProfile(coop=coop, member=row_plan.member, kind=kind, start_date=start)
        )
        row_plan.changes.append("profile")


def _plan_reservations(coop, plan: ChunkPlan, known: list[int]) -> None:
    rows = [p for p in plan.rows if p.row.reservation and p.member is not None]
    if not rows:
        return
    stored: dict[tuple, Reservation] = {}
    for reservation in Reservation.objects.filter(
        coop=coop,
        member_id__in=known,
        programme_id__in={p.row.reservation["programme_id"] for p in rows},
    ).order_by("member_id"):
        key = (reservation.member_id, reservation.programme_id, reservation.kind)
        latest = stored.get(key)
        if latest is None or (latest.signed_on, latest.id) < (
            reservation.signed_on,
            reservation.id,
        ):
            stored[key] = reservation
    for row_plan in rows:
        wanted = row_plan.row.reservation
        key = (row_plan.member.pk, wanted["programme_id"], wanted["kind"])
        reservation = stored.get(key) if row_plan.member.pk else None
        if reservation is None:
            plan.new_reservations.append(Reservation(coop=coop, member=row_plan.member, **wanted))
            row_plan.changes.append("reservation")
            continue
        changed = False
        for name in ("signed_on", "lot_number", "home_type"):
            value = wanted[name]
            if value not in ("", None) and getattr(reservation, name) != value:
                setattr(reservation, name, value)
                changed = True
        if changed:
            plan.changed_reservations.append(reservation)
            row_plan.changes.append("reservation")


def _plan_consents(coop, plan: ChunkPlan, known: list[int], *, actor, note: str) -> None:
    rows = [p for p in plan.rows if p.row.consents and p.member is not None]
    if not rows:
        return
    purposes = {purpose for p in rows for purpose in p.row.consents}
    latest: dict[tuple, ConsentRecord] = {}
    for record in ConsentRecord.objects.filter(
        coop=coop, member_id__in=known, purpose__in=purposes
    ).order_by("member_id"):
        key = (record.member_id, record.purpose)
        current = latest.get(key)
        if current is None or (current.recorded_at, current.id) < (record.recorded_at, record.id):
            latest[key] = record
    recorder = actor if actor is not None and actor.is_authenticated else None
    for row_plan in rows:
        for purpose, granted in row_plan.row.consents.items():
            record = latest.get((row_plan.member.pk, purpose)) if row_plan.member.pk else None
            if record is not None and (
                record.granted == granted and record.legal_basis == LegalBasis.CONSENT
            ):
                continue
            if (
                record is not None
                and record.source in MEMBER_CHOICE_SOURCES
                and record.granted != granted
            ):
                row_plan.notes.append(f"consent_{purpose}_kept")
                continue
            plan.new_consents.append(
                ConsentRecord(
                    coop=coop,
                    member=row_plan.member,
                    purpose=purpose,
                    granted=granted,
                    legal_basis=LegalBasis.CONSENT,
                    source=ConsentSource.IMPORT,
                    recorded_by=recorder,
                    note=note[:200],
                )
            )
            row_plan.changes.append(f"consent_{purpose}")


def _write_chunk(plan: ChunkPlan) -> None:
    now = timezone.now()
    if plan.new_members:
        Member.objects.bulk_create(plan.new_members, batch_size=CHUNK_SIZE)
    if plan.changed_members:
        for member in plan.changed_members:
            member.updated_at = now
        Member.objects.bulk_update(
            plan.changed_members, [*sorted(plan.member_fields), "updated_at"], batch_size=500
        )
    if plan.closed_profiles:
        MemberProfile.objects.bulk_update(plan.closed_profiles, ["end_date"], batch_size=500)
    if plan.new_profiles:
        MemberProfile.objects.bulk_create(plan.new_profiles, batch_size=CHUNK_SIZE)
    if plan.changed_reservations:
        Reservation.objects.bulk_update(
            plan.changed_reservations, ["signed_on", "lot_number", "home_type"], batch_size=500
        )
    if plan.new_reservations:
        Reservation.objects.bulk_create(plan.new_reservations, batch_size=CHUNK_SIZE)
    if plan.new_consents:
        ConsentRecord.objects.bulk_create(plan.new_consents, batch_size=CHUNK_SIZE)


def _count(outcome: Outcome, plan: ChunkPlan) -> None:
    for row_plan in plan.rows:
        if row_plan.action == CREATED:
            outcome.created += 1
        elif row_plan.action == UPDATED:
            outcome.updated += 1
        else:
            outcome.unchanged += 1


def change_label(change: str) -> str:
    if change.startswith("consent_"):
        return target_label(change)
    if change in CHANGE_LABELS:
        return str(CHANGE_LABELS[change])
    return target_label(change)


def note_label(note: str) -> str:
    """consent_<purpose>_kept: the file differs from a choice the member made themselves."""
    consent = note.removesuffix("_kept")
    return _("%(consent)s: the member's own choice is kept") % {"consent": target_label(consent)}


# --- The steps -------------------------------------------------------------------------------


def import_create(*, coop: Coop, actor, upload) -> MemberImport:
    """Store an uploaded file (private storage, a random name) and queue its analysis.

    Only cheap checks run in the request (the kind of file from its first bytes, the zip
    directory of an XLSX): the file is read by import_tasks.analyse_import_task, in the
    worker, and the import's page says "being analysed" meanwhile. Whatever goes wrong
    here, the stored file is deleted."""
    extension = Path(upload.name).suffix.lower()
    job = MemberImport(
        coop=coop,
        original_name=Path(upload.name).name[:200],
        created_by=actor if actor is not None and actor.is_authenticated else None,
        status=ImportStatus.ANALYSING,
    )
    job.file.save(f"{uuid.uuid4().hex}{extension}", upload, save=False)
    try:
        with job.file.storage.open(job.file.name, "rb") as handle:
            binary = getattr(handle, "file", handle)
            if file_kind(upload.name, binary) == "xlsx":
                check_archive(binary)
        job.save()
    except BaseException:
        job.file.delete(save=False)
        raise
    _enqueue_analysis(coop, job)
    return job


def _enqueue_analysis(coop: Coop, job: MemberImport) -> None:
    from coopculture.members.import_tasks import analyse_import_task

    transaction.on_commit(lambda: analyse_import_task.enqueue(coop_id=coop.pk, import_id=job.pk))


def import_analyse(*, coop: Coop, job: MemberImport) -> bool:
    """Read the file of an import being analysed (in the worker): its format, encoding,
    separator, sheet, the row of its column names, its rows. Idempotent: only an import
    still ANALYSING is touched, by one conditional UPDATE. A file that cannot be read
    makes the import FAILED with the reason, and the file is deleted."""
    ensure_same_coop(coop, job)
    if job.status != ImportStatus.ANALYSING:
        return False
    try:
        if not job.file:
            raise ImportFileError(
                _("The file of this import is no longer kept: upload it again."),
                code="file_gone",
            )
        with job.file.storage.open(job.file.name, "rb") as handle:
            inspection = inspect_file(
                getattr(handle, "file", handle), job.file.name, sheet=job.sheet
            )
    except ImportFileError as error:
        return _analysis_failed(job, _file_error(error))
    except Exception:
        logger.exception("The analysis of member import %s failed", job.public_id)
        return _analysis_failed(job, _internal_error())
    targets, source = initial_targets(coop=coop, headers=inspection.headers)
    summary = {"sheets": inspection.sheets, "analysis_warnings": inspection.warnings}
    return bool(
        MemberImport.objects.filter(pk=job.pk, status=ImportStatus.ANALYSING).update(
            encoding=inspection.encoding,
            delimiter=inspection.delimiter,
            sheet=inspection.sheet,
            header_row=inspection.header_row,
            headers=inspection.headers,
            total_rows=inspection.total_rows,
            mapping={"targets": targets, "source": source},
            summary=summary,
            errors=[],
            status=ImportStatus.UPLOADED,
        )
    )


def _analysis_failed(job: MemberImport, error: dict) -> bool:
    claimed = MemberImport.objects.filter(pk=job.pk, status=ImportStatus.ANALYSING).update(
        status=ImportStatus.FAILED, errors=[error], finished_at=timezone.now()
    )
    if claimed:
        _delete_upload(job)
    return False


def _delete_upload(job: MemberImport) -> None:
    """The uploaded file holds personal data: gone as soon as it is of no more use."""
    if job.file:
        job.file.delete(save=False)
    MemberImport.objects.filter(pk=job.pk).update(file="")


def import_choose_sheet(*, coop: Coop, job: MemberImport, sheet: str) -> bool:
    """Read another sheet of the workbook (analysed again, in the worker)."""
    ensure_same_coop(coop, job)
    if job.status not in EDITABLE or not job.file:
        return False
    if sheet not in (job.summary or {}).get("sheets", []):
        raise ImportFileError(
            _("The sheet “%(name)s” is not in this file.") % {"name": sheet}, code="sheet_gone"
        )
    claimed = MemberImport.objects.filter(pk=job.pk, coop=coop, status__in=EDITABLE).update(
        sheet=sheet, status=ImportStatus.ANALYSING, errors=[], headers=[], mapping={}
    )
    if claimed:
        job.refresh_from_db()
        _enqueue_analysis(coop, job)
    return bool(claimed)


def _internal_error() -> dict:
    return {
        "row": None,
        "column": "",
        "code": "internal",
        "message": _(
            "The import stopped on an unexpected problem: nothing was changed. "
            "Try again later; if it happens again, contact the support."
        ),
    }


def mapping_save(*, coop: Coop, job: MemberImport, targets: list[str]) -> None:
    """Keep the chosen columns on the import, and remember them for these column names."""
    ensure_same_coop(coop, job)
    job.mapping = {"targets": list(targets), "source": "chosen"}
    job.save(update_fields=["mapping"])
    ColumnMapping.objects.update_or_create(
        coop=coop,
        headers_signature=headers_signature(job.headers),
        defaults={"mapping": {"targets": list(targets), "headers": list(job.headers)}},
    )


def check_start(*, coop: Coop, job: MemberImport) -> bool:
    """Check the rows with the chosen columns: now for a small file, in the worker above
    BACKGROUND_THRESHOLD rows (the page says "being checked" meanwhile). True if queued."""
    ensure_same_coop(coop, job)
    if not runs_in_background(job):
        preview(coop=coop, job=job)
        return False
    claimed = MemberImport.objects.filter(pk=job.pk, coop=coop, status__in=EDITABLE).update(
        status=ImportStatus.CHECKING, errors=[]
    )
    if claimed:
        from coopculture.members.import_tasks import check_import_task

        job.refresh_from_db()
        transaction.on_commit(lambda: check_import_task.enqueue(coop_id=coop.pk, import_id=job.pk))
    return bool(claimed)


def preview(*, coop: Coop, job: MemberImport) -> Outcome:
    """Check every row (nothing is written): store the errors and the expected counts."""
    ensure_same_coop(coop, job)
    outcome = Outcome()
    try:
        checker = RowChecker(coop=coop, headers=job.headers, targets=_targets(job))
        candidates: set[str] = set()
        email_candidates: set[str] = set()
        for rows in _checked_chunks(job, checker, outcome, candidates, email_candidates):
            if rows:
                plan = _plan_chunk(coop, rows, dry_run=True)
                _count(outcome, plan)
                _tally(coop, outcome, plan, checker)
        if candidates or email_candidates:
            errors, warnings = _duplicates(job, checker, candidates, email_candidates)
            outcome.add_errors(errors)
            outcome.add_warnings(warnings)
    except ImportFileError as error:
        outcome.add_errors([_file_error(error)])
    summary = job.summary or {}
    job.summary = {
        "sheets": summary.get("sheets", []),
        "analysis_warnings": summary.get("analysis_warnings", []),
        "channels": dict(outcome.channels),
        "sample": outcome.sample,
        "warnings": sorted(outcome.warnings, key=lambda w: (w["row"] or 0, w["code"])),
        "warning_count": outcome.warning_count,
    }
    job.total_rows = outcome.total or job.total_rows
    job.errors = outcome.stored_errors(job.headers)
    job.created_count, job.updated_count = outcome.created, outcome.updated
    job.unchanged_count = outcome.unchanged
    job.processed_rows = 0
    job.status = ImportStatus.MAPPED
    job.finished_at = None
    job.save(
        update_fields=[
            "total_rows",
            "errors",
            "created_count",
            "updated_count",
            "unchanged_count",
            "processed_rows",
            "status",
            "finished_at",
            "summary",
        ]
    )
    return outcome


def _tally(coop: Coop, outcome: Outcome, plan: ChunkPlan, checker: RowChecker) -> None:
    """For the preview: the channel each member will have, the first rows as they will be
    written, and the addresses already held by another member of the coop."""
    for row_plan in plan.rows:
        outcome.channels[row_plan.channel] += 1
        if len(outcome.sample) < SAMPLE_PREVIEW:
            data = row_plan.row.member
            outcome.sample.append(
                {
                    "row": row_plan.row.number,
                    "ref": row_plan.row.ref,
                    "name": f"{data.get('first_name', '')} {data.get('last_name', '')}".strip(),
                    "email": contacts.display_email(data.get("email", "")),
                    "channel": row_plan.channel,
                    "action": row_plan.action,
                }
            )
    by_email = {p.row.member["email"]: p.row for p in plan.rows if p.row.member.get("email")}
    if not by_email:
        return
    others = (
        Member.objects.filter(coop=coop, email__in=list(by_email), anonymised_at__isnull=True)
        .order_by()
        .values_list("email", "external_ref")
    )
    column = checker.headers[checker.single["email"]]
    for email, ref in others:
        row = by_email[email]
        if ref != row.ref:
            outcome.add_warnings(
                [
                    {
                        "row": row.number,
                        "column": column,
                        "code": "email_of_another_member",
                        "message": _(
                            "The address %(email)s is already the one of member %(ref)s of "
                            "your coop: they will get one message per send, and an "
                            "unsubscribe applies to both."
                        )
                        % {"email": contacts.display_email(email), "ref": ref or "–"},
                    }
                ]
            )


def _file_error(error: ImportFileError) -> dict:
    return {"row": None, "column": "", "code": error.code or "file", "message": error.message}


def runs_in_background(job: MemberImport) -> bool:
    return job.total_rows > BACKGROUND_THRESHOLD


def import_start(*, coop: Coop, job: MemberImport, actor) -> bool:
    """Apply a checked import: now if small, else queued (enqueued on commit).

    Returns False when the import was not waiting to be applied (already started, done,
    or with errors): a double click applies nothing twice."""
    ensure_same_coop(coop, job)
    if job.errors:
        return False
    background = runs_in_background(job)
    claimed = MemberImport.objects.filter(pk=job.pk, coop=coop, status=ImportStatus.MAPPED).update(
        status=ImportStatus.QUEUED if background else ImportStatus.RUNNING
    )
    if not claimed:
        return False
    job.refresh_from_db()
    if background:
        from coopculture.members.import_tasks import apply_import_task

        actor_id = actor.pk if actor is not None and actor.is_authenticated else None
        transaction.on_commit(
            lambda: apply_import_task.enqueue(coop_id=coop.pk, import_id=job.pk, actor_id=actor_id)
        )
    else:
        run_import(coop=coop, job=job, actor=actor)
    return True


class _RefusedError(Exception):
    def __init__(self, outcome: Outcome):
        super().__init__("import refused")
        self.outcome = outcome


def run_import(*, coop: Coop, job: MemberImport, actor=None) -> Outcome:
    """Check every row again and write them, in one transaction: all of them, or nothing.

    One read of the file: rows are checked and written chunk by chunk; the first error
    stops the writing (the rest of the file is still checked, to list every error) and
    rolls everything back. The caller has set the status to RUNNING (import_start or the
    task claims it)."""
    ensure_same_coop(coop, job)
    outcome = Outcome()
    try:
        with tempfile.TemporaryFile() as report:
            with transaction.atomic():
                outcome = _write_all(coop, job, actor, report)
                listing.bump(coop.pk)  # bulk writes send no signals
                audit_log(
                    coop=coop,
                    actor=actor,
                    action="members.imported",
                    data={
                        "import": str(job.public_id),
                        "rows": outcome.total,
                        "created": outcome.created,
                        "updated": outcome.updated,
                        "unchanged": outcome.unchanged,
                    },
                )
                _finish(job, outcome, ImportStatus.DONE)
            # Committed: from here on nothing may mark the import as refused.
            try:
                report.seek(0)
                _store_report(job, report)
            except OSError:
                logger.exception("The report of member import %s was not stored", job.public_id)
    except _RefusedError as refused:
        outcome = refused.outcome
        _finish(job, outcome, ImportStatus.FAILED)
    except ImportFileError as error:
        outcome = Outcome(total=outcome.total)
        outcome.add_errors([_file_error(error)])
        _finish(job, outcome, ImportStatus.FAILED)
        _delete_upload(job)
    except Exception:
        logger.exception("Member import %s failed", job.public_id)
        outcome = Outcome(total=outcome.total)
        outcome.add_errors([_internal_error()])
        _finish(job, outcome, ImportStatus.FAILED)
        _delete_upload(job)
    finally:
        progress_clear(job)
    # Refused for errors in rows, the file stays for "change the columns" (the tick deletes
    # it after UPLOAD_RETENTION); done, it is deleted now.
    if job.status == ImportStatus.DONE and job.file:
        _delete_upload(job)
    return outcome


def _write_all(coop: Coop, job: MemberImport, actor, report) -> Outcome:
    outcome = Outcome()
    checker = RowChecker(coop=coop, headers=job.headers, targets=_targets(job))
    text = io.TextIOWrapper(report, encoding="utf-8-sig", newline="")
    writer = csvfiles.writer(text)
    writer.writerow([_("Row"), target_label("external_ref"), _("Result"), _("Changes")])
    labels = {action: str(label) for action, label in ACTION_LABELS.items()}
    note = _("Import of %(name)s") % {"name": job.original_name}
    try:
        candidates: set[str] = set()
        for rows in _checked_chunks(job, checker, outcome, candidates):
            progress_set(job, outcome.total)
            if outcome.error_count or not rows:
                continue  # after an error, only check (to list every error), write no more
            plan = _plan_chunk(coop, rows, actor=actor, note=note)
            _write_chunk(plan)
            _count(outcome, plan)
            writer.writerows(
                [
                    p.row.number,
                    p.row.ref,
                    labels[p.action],
                    ", ".join(
                        [*(change_label(c) for c in p.changes), *(note_label(n) for n in p.notes)]
                    ),
                ]
                for p in plan.rows
            )
        if candidates:
            outcome.add_errors(_duplicate_errors(job, checker, candidates))
        if outcome.error_count:
            raise _RefusedError(outcome)
        text.flush()
    finally:
        _release(text)
    return outcome


def _finish(job: MemberImport, outcome: Outcome, status: str) -> None:
    job.status = status
    job.total_rows = outcome.total or job.total_rows
    job.processed_rows = outcome.total if status == ImportStatus.DONE else 0
    job.created_count = outcome.created if status == ImportStatus.DONE else 0
    job.updated_count = outcome.updated if status == ImportStatus.DONE else 0
    job.unchanged_count = outcome.unchanged if status == ImportStatus.DONE else 0
    job.errors = outcome.stored_errors(job.headers) if status == ImportStatus.FAILED else []
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "errors",
            "finished_at",
        ]
    )


# --- Report, progress, clean-up --------------------------------------------------------------


def report_name(job: MemberImport) -> str:
    return f"imports/reports/{job.public_id}.csv"


def _store_report(job: MemberImport, report) -> None:
    storage = private_storage()
    name = report_name(job)
    if storage.exists(name):
        storage.delete(name)
    storage.save(name, File(report))


def report_exists(job: MemberImport) -> bool:
    return job.status == ImportStatus.DONE and private_storage().exists(report_name(job))


def report_open(job: MemberImport):
    return private_storage().open(report_name(job), "rb")


def _progress_key(job: MemberImport) -> str:
    return f"members:import-progress:{job.public_id}"


def _progress_path(job: MemberImport) -> Path:
    return Path(private_storage().path(f"imports/progress/{job.public_id}"))


def _shared_cache() -> bool:
    """A process-local cache (no REDIS_URL) cannot carry progress from the worker to the
    web server: then a tiny file next to the imports does."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return not backend.endswith(("LocMemCache", "DummyCache"))


def progress_set(job: MemberImport, processed: int) -> None:
    if _shared_cache():
        cache.set(_progress_key(job), processed, timeout=6 * 3600)
        return
    path = _progress_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(str(processed))
    os.replace(partial, path)


def progress_get(job: MemberImport) -> int | None:
    if _shared_cache():
        return cache.get(_progress_key(job))
    try:
        return int(_progress_path(job).read_text())
    except (OSError, ValueError):
        return None


def progress_clear(job: MemberImport) -> None:
    if _shared_cache():
        cache.delete(_progress_key(job))
        return
    _progress_path(job).unlink(missing_ok=True)


def recent_imports(*, coop: Coop, limit: int = 10) -> list[MemberImport]:
    return list(MemberImport.objects.filter(coop=coop).order_by("-created_at")[:limit])


def purge_old_files(*, now=None) -> int:
    """Delete what holds personal data once of no more use: the files (upload, report,
    progress), error lists and previews of the imports older than FILE_RETENTION; the
    uploaded file of an import left unfinished (abandoned, refused) after
    UPLOAD_RETENTION; any file in the imports folder that no import refers to after
    ORPHAN_AGE. The counts are kept."""
    now = now or timezone.now()
    storage = private_storage()
    purged = 0
    with scopes_disabled():
        old = MemberImport.objects.filter(created_at__lt=now - FILE_RETENTION)
        for job in old.iterator():
            touched = False
            if job.file:
                job.file.delete(save=False)
                touched = True
            if storage.exists(report_name(job)):
                storage.delete(report_name(job))
                touched = True
            _progress_path(job).unlink(missing_ok=True)
            if job.errors or job.summary:
                touched = True
            if touched:
                MemberImport.objects.filter(pk=job.pk).update(file="", errors=[], summary={})
                purged += 1
        abandoned = MemberImport.objects.filter(
            created_at__lt=now - UPLOAD_RETENTION, status__in=UNFINISHED
        ).exclude(file="")
        for job in abandoned.iterator():
            _delete_upload(job)
            purged += 1
    return purged


def purge_orphan_files(*, now=None) -> int:
    """Files under imports/ (not the reports) that no import refers to, older than
    ORPHAN_AGE (a younger one may belong to an upload being saved right now)."""
    now = now or timezone.now()
    storage = MemberImport._meta.get_field("file").storage
    folder = Path(storage.path("imports"))
    if not folder.is_dir():
        return 0
    with scopes_disabled():
        known = set(MemberImport.objects.exclude(file="").values_list("file", flat=True))
    limit = (now - ORPHAN_AGE).timestamp()
    purged = 0
    for path in folder.iterdir():
        if not path.is_file() or f"imports/{path.name}" in known:
            continue
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < limit:
                path.unlink()
                purged += 1
    return purged
