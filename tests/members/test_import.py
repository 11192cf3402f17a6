"""Member import: messy files, errors by row and column, all or nothing, idempotent upsert,
isolation between coops, remembered mappings, the pages and their downloads."""

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from django_scopes import scopes_disabled

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from coopculture.coops.models import AuditEvent
from coopculture.coops.scoping import coop_scope
from coopculture.members import importing
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
    Reservation,
)
from tests.members.factories import make_member, make_programme

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"


# --- Helpers -----------------------------------------------------------------------------------


def upload(coop, content: bytes | Path, name: str | None = None, actor=None) -> MemberImport:
    if isinstance(content, Path):
        name = name or content.name
        content = content.read_bytes()
    with coop_scope(coop):
        job = importing.import_create(
            coop=coop, actor=actor, upload=SimpleUploadedFile(name, content)
        )
        assert job.status == ImportStatus.ANALYSING  # read by the worker, not the request
        importing.import_analyse(coop=coop, job=job)
    job.refresh_from_db()
    if job.status == ImportStatus.FAILED:
        raise importing.ImportFileError(job.errors[0]["message"], code=job.errors[0]["code"])
    return job


def check(coop, job, targets=None) -> importing.Outcome:
    with coop_scope(coop):
        importing.mapping_save(coop=coop, job=job, targets=targets or job.mapping["targets"])
        outcome = importing.preview(coop=coop, job=job)
    job.refresh_from_db()
    return outcome


def apply(coop, job, actor=None) -> MemberImport:
    with coop_scope(coop):
        assert importing.import_start(coop=coop, job=job, actor=actor)
    job.refresh_from_db()
    return job


def import_file(coop, content, name=None, targets=None, actor=None) -> MemberImport:
    job = upload(coop, content, name, actor=actor)
    check(coop, job, targets)
    assert job.errors == [], job.errors
    return apply(coop, job, actor=actor)


def csv_bytes(rows: list[str], encoding="utf-8") -> bytes:
    return ("\n".join(rows) + "\n").encode(encoding)


def members_of(coop) -> dict[str, Member]:
    with scopes_disabled():
        return {m.external_ref: m for m in Member.objects.filter(coop=coop)}


def counts(coop) -> tuple[int, int, int, int]:
    with scopes_disabled():
        return (
            Member.objects.filter(coop=coop).count(),
            MemberProfile.objects.filter(coop=coop).count(),
            Reservation.objects.filter(coop=coop).count(),
            ConsentRecord.objects.filter(coop=coop).count(),
        )


def stored_files() -> set[str]:
    """The files in the private imports folder (compare before and after a step)."""
    storage = MemberImport._meta.get_field("file").storage
    return set(storage.listdir("imports")[1]) if storage.exists("imports") else set()


def error_cells(job) -> set[tuple]:
    return {(e["row"], e["column"], e["code"]) for e in job.errors}


@pytest.fixture
def programmes(coop):
    return {
        "tilleuls": make_programme(coop, name="Les Tilleuls", kind="vefa"),
        "parc": make_programme(coop, name="Résidence du Parc", kind="locatif"),
    }


# --- Reading messy files -----------------------------------------------------------------------


def test_windows_1252_with_semicolons_blank_lines_and_trailing_spaces(coop, programmes):
    job = upload(coop, FILES / "cp1252_semicolons.csv")
    assert (job.encoding, job.delimiter) == ("cp1252", ";")
    assert job.total_rows == 3  # the blank lines are not rows
    # The duplicated header gets a suffix, so that both columns can be chosen.
    assert job.headers[4:6] == ["Téléphone", "Téléphone (2)"]
    assert job.mapping == {
        "targets": [
            "external_ref",
            "last_name",
            "first_name",
            "email",
            "phone",
            "",
            "address_line",
            "postcode",
            "town",
            "preferred_channel",
            "profile",
            "programme",
            "signed_on",
            "lot_number",
            "home_type",
            "consent_bulletin",
        ],
        "source": "guessed",
    }
    check(coop, job)
    assert job.errors == []
    assert (job.created_count, job.updated_count, job.unchanged_count) == (3, 0, 0)

    job = apply(coop, job)
    assert job.status == ImportStatus.DONE
    members = members_of(coop)
    assert set(members) == {"A-001", "A-002", "A-003"}
    helene, francois, gaelle = members["A-001"], members["A-002"], members["A-003"]
    assert (helene.last_name, helene.first_name) == ("Lefèvre", "Hélène")
    assert helene.email == "helene.lefevre@example.org"
    assert helene.phone == "01 23 45 67 89"
    assert helene.postal_address == "12, rue des Érables\n69003 Lyon"
    assert helene.preferred_channel == Channel.POST
    assert (francois.last_name, francois.first_name) == ("Müller", "François")
    assert francois.email == "" and francois.phone == ""
    assert francois.preferred_channel == Channel.EMAIL
    assert gaelle.postal_address == "Bâtiment C\n38000 Grenoble"
    assert gaelle.preferred_channel == Channel.SMS
    with scopes_disabled():
        reservation = Reservation.objects.get(member=helene)
        assert reservation.programme == programmes["tilleuls"]
        assert (reservation.kind, reservation.signed_on) == (
            ContractKind.RESERVATION,
            dt.date(2024, 3, 5),
        )
        assert (reservation.lot_number, reservation.home_type) == ("B12", "T3")
        lease = Reservation.objects.get(member=francois)
        assert (lease.kind, lease.signed_on) == (ContractKind.LEASE, dt.date(2023, 9, 1))
        assert MemberProfile.objects.get(member=helene).kind == ProfileKind.ACCEDANT
        assert MemberProfile.objects.get(member=helene).start_date == dt.date(2024, 3, 5)
        assert MemberProfile.objects.get(member=francois).kind == ProfileKind.LOCATAIRE
        assert not MemberProfile.objects.filter(member=gaelle).exists()
        consents = {
            c.member.external_ref: c for c in ConsentRecord.objects.filter(purpose="bulletin")
        }
        assert set(consents) == {"A-001", "A-002"}
        assert consents["A-001"].granted and not consents["A-002"].granted
        assert consents["A-001"].source == ConsentSource.IMPORT
        assert consents["A-001"].legal_basis == LegalBasis.CONSENT


def test_utf8_with_bom_and_commas_in_quoted_cells(coop):
    job = upload(coop, FILES / "utf8_bom_commas.csv")
    assert (job.encoding, job.delimiter) == ("utf-8-sig", ",")
    assert job.headers[0] == "N° associé"  # no BOM left in the first name
    import_file(coop, FILES / "utf8_bom_commas.csv")
    members = members_of(coop)
    assert members["B-001"].postal_address == "3, place de l'Église\n75011 Paris"
    assert members["B-002"].postal_address == "Résidence Les Pins\nEntrée 2\n13001 Marseille"
    assert members["B-002"].first_name == "Chloé"


def test_tab_separated_with_iso_dates(coop):
    job = upload(coop, FILES / "tabs.txt")
    assert job.delimiter == "\t"
    assert job.mapping["targets"] == [
        "external_ref",
        "last_name",
        "first_name",
        "phone",
        "profile",
        "profile_start",
    ]
    import_file(coop, FILES / "tabs.txt")
    with scopes_disabled():
        profile = MemberProfile.objects.get(member__external_ref="C-001")
    assert (profile.kind, profile.start_date) == (ProfileKind.COPROPRIETAIRE, dt.date(2022, 6, 30))


def test_an_xlsx_with_a_date_column_typed_as_text_and_one_as_dates(coop, programmes):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["N° associé", "Nom", "Prénom", "Portable", "Opération", "Date de réservation",
                  "Profil", "Date de début du profil"])  # fmt: skip
    sheet.append(["X1", "Perrin ", "Anaïs", 612345678, "Les Tilleuls", "05/03/2024",
                  "accédant", dt.datetime(2024, 3, 1)])  # fmt: skip  # noqa: DTZ001 (Excel cells are naive)
    sheet.append([None] * 8)  # a blank row
    sheet.append(["X2", "Blanc", "Yves", "07 81 23 45 67", "les tilleuls", "5/3/24",
                  "Accédant", dt.date(2023, 12, 31)])  # fmt: skip
    sheet.append([1003, "Vidal", "Rose", None, "Les Tilleuls", "31/02/2024", None, None])
    for row in sheet.iter_rows(min_row=2, min_col=6, max_col=6):
        row[0].number_format = "@"  # the reservation date column is typed as text
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = upload(coop, buffer.getvalue(), "adherents.xlsx")
    assert job.total_rows == 3
    check(coop, job)
    # The impossible date is reported at its spreadsheet row (5) and column.
    assert error_cells(job) == {(5, "Date de réservation", "impossible_date")}

    with scopes_disabled():
        job.file.delete(save=False)
    sheet["F5"] = "28/02/2024"
    buffer = io.BytesIO()
    workbook.save(buffer)
    import_file(coop, buffer.getvalue(), "adherents.xlsx")
    members = members_of(coop)
    assert members["X1"].last_name == "Perrin"
    assert members["X1"].phone == "06 12 34 56 78"  # the 0 Excel dropped is back
    assert "1003" in members  # a number typed as a number is still a reference
    with scopes_disabled():
        signed = dict(Reservation.objects.values_list("member__external_ref", "signed_on"))
        starts = dict(MemberProfile.objects.values_list("member__external_ref", "start_date"))
    assert signed == {
        "X1": dt.date(2024, 3, 5),
        "X2": dt.date(2024, 3, 5),
        "1003": dt.date(2024, 2, 28),
    }
    assert starts == {"X1": dt.date(2024, 3, 1), "X2": dt.date(2023, 12, 31)}


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"", "vide.csv", "empty"),
        (b"Nom\nDupont\n", "une-colonne.csv", "one_column"),
        (b"Nom;Pr\xc3\xa9nom\n\n;\n", "entete-seule.csv", "no_rows"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "ancien.xls", "file_type"),
        (b"not a zip", "faux.xlsx", "invalid_xlsx"),
        (b"%PDF-1.4", "document.pdf", "file_type"),
        (b"PK\x03\x04" + b"\x00" * 50, "casse.xlsx", "invalid_xlsx"),
        (b"N\x00o\x00m\x00", "binaire.csv", "binary"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(coop, content, name, code):
    before = stored_files()
    with pytest.raises(importing.ImportFileError) as error:
        upload(coop, content, name)
    assert error.value.code == code
    with scopes_disabled():
        # Refused in the request (no import) or by the analysis (a refused import); the
        # file is deleted either way.
        assert not MemberImport.objects.exclude(status=ImportStatus.FAILED).exists()
        assert not MemberImport.objects.exclude(file="").exists()
    assert stored_files() - before == set()


def test_empty_and_repeated_headers_get_names():
    """Trailing empty columns are dropped; an empty name in between gets one."""
    from django.utils.translation import gettext

    assert importing.unique_headers(["Nom", "", "nom ", "Prénom", "", ""]) == [
        "Nom",
        gettext("Column %(number)s") % {"number": 2},
        "nom (2)",
        "Prénom",
    ]


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Nom", "last_name"),
        ("NOM DE FAMILLE", "last_name"),
        ("Prénom", "first_name"),
        ("Courriel", "email"),
        ("E-mail", "email"),
        ("Adresse mail", "email"),
        ("Tél.", "phone"),
        ("Téléphone portable", "phone"),
        ("N° associé", "external_ref"),
        ("Numéro d'associé", "external_ref"),
        ("Réf. client", "external_ref"),
        ("Référence", "external_ref"),
        ("Adresse", "address_line"),
        ("Complément d'adresse", "address_line"),
        ("CP", "postcode"),
        ("Code postal", "postcode"),
        ("Ville", "town"),
        ("Commune", "town"),
        ("Date de réservation", "signed_on"),
        ("Date signature bail", "signed_on"),
        ("Opération", "programme"),
        ("Programme", "programme"),
        ("Résidence", "programme"),
        ("Lot", "lot_number"),
        ("N° de lot", "lot_number"),
        ("Type", "home_type"),
        ("Typologie", "home_type"),
        ("Canal préféré", "preferred_channel"),
        ("Profil", "profile"),
        ("Type de contrat", "contract"),
        ("Lettre d'info", "consent_bulletin"),
        ("Newsletter", "consent_bulletin"),
        ("Convocation AG par e-mail", "consent_ag_electronic"),
        ("Gros caractères", "needs_large_print"),
        ("Aide numérique", "needs_digital_help"),
        ("Civilité", ""),
    ],
)
def test_guesses_from_french_headers(header, target):
    assert importing.guess_target(header) == target


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("05/03/2024", dt.date(2024, 3, 5)),
        ("5/3/24", dt.date(2024, 3, 5)),
        ("1/9/23", dt.date(2023, 9, 1)),
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("05.03.2024", dt.date(2024, 3, 5)),
        ("05-03-2024", dt.date(2024, 3, 5)),
        ("05/03/2024 00:00", dt.date(2024, 3, 5)),
        ("2024-03-05 00:00:00", dt.date(2024, 3, 5)),
        (dt.datetime(2024, 3, 5, 0, 0), dt.date(2024, 3, 5)),  # noqa: DTZ001 (an Excel cell)
        (45356, dt.date(2024, 3, 5)),  # an Excel serial number
        ("", None),
    ],
)
def test_dates_in_the_usual_french_forms(value, expected):
    assert importing.parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("31/02/2024", "impossible_date"),
        ("29/02/2023", "impossible_date"),
        ("32/01/2024", "impossible_date"),
        ("2024-13-01", "impossible_date"),
        ("demain", "invalid_date"),
        ("03/2024", "invalid_date"),
    ],
)
def test_impossible_and_unreadable_dates(value, code):
    with pytest.raises(importing._CellError) as error:
        importing.parse_date(value)
    assert error.value.code == code


# --- Errors ------------------------------------------------------------------------------------


def test_every_error_is_listed_by_row_and_column(coop, programmes):
    job = upload(coop, FILES / "errors.csv")
    check(coop, job)
    assert job.status == ImportStatus.MAPPED
    assert error_cells(job) == {
        (2, "N° associé", "duplicate_ref"),
        (2, "Courriel", "invalid_email"),
        (2, "Date de réservation", "impossible_date"),
        (3, "Opération", "unknown_programme"),
        (4, "N° associé", "duplicate_ref"),
        (4, "Canal", "unknown_channel"),
        (5, "Nom", "required"),
        (6, "Date de réservation", "impossible_date"),
        (7, "Date de réservation", "invalid_date"),
    }
    # Sorted by row, then by column as in the file.
    assert [(e["row"], e["column"]) for e in job.errors[:3]] == [
        (2, "N° associé"),
        (2, "Courriel"),
        (2, "Date de réservation"),
    ]
    assert all(e["message"] for e in job.errors)
    assert "31/02/2024" in next(e["message"] for e in job.errors if e["row"] == 2 and
                                e["code"] == "impossible_date")  # fmt: skip
    assert "Les Glycines" in next(e["message"] for e in job.errors if e["row"] == 3)
    # An import with errors cannot start.
    with coop_scope(coop):
        assert not importing.import_start(coop=coop, job=job, actor=None)
    assert counts(coop) == (0, 0, 0, 0)


def test_a_failing_row_means_nothing_is_written(coop, programmes):
    make_member(coop, external_ref="A-001", last_name="Avant")
    before = counts(coop)
    rows = [
        "N° associé;Nom;Prénom;Opération;Date de réservation",
        "A-001;Après;Hélène;Les Tilleuls;05/03/2024",
        "N-1;Neuf;Nina;Les Tilleuls;05/03/2024",
        "N-2;Neuf;Noé;Les Tilleuls;05/03/2024",
    ]
    job = upload(coop, csv_bytes(rows), "a.csv")
    check(coop, job)
    assert job.errors == []
    # The programme is renamed between the check and the apply: row 3 now fails...
    with scopes_disabled():
        programmes["tilleuls"].name = "Les Tilleuls (tranche 2)"
        programmes["tilleuls"].save()
    job = apply(coop, job)
    assert job.status == ImportStatus.FAILED
    assert {e["code"] for e in job.errors} == {"unknown_programme"}
    # ...and nothing at all was written, not even the rows before it.
    assert counts(coop) == before
    assert members_of(coop)["A-001"].last_name == "Avant"
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="members.imported").exists()


def test_a_database_failure_in_a_later_chunk_rolls_back_the_earlier_ones(coop, monkeypatch, caplog):
    monkeypatch.setattr(importing, "CHUNK_SIZE", 2)
    real_write = importing._write_chunk
    calls = []

    def failing_write(plan):
        calls.append(plan)
        if len(calls) == 2:
            raise IntegrityError("simulated")
        real_write(plan)

    monkeypatch.setattr(importing, "_write_chunk", failing_write)
    rows = ["N° associé;Nom;Prénom"] + [f"R{n};Nom{n};Prénom{n}" for n in range(5)]
    job = upload(coop, csv_bytes(rows), "chunks.csv")
    check(coop, job)
    job = apply(coop, job)
    assert len(calls) == 2
    assert job.status == ImportStatus.FAILED
    assert [e["code"] for e in job.errors] == ["internal"]
    assert counts(coop) == (0, 0, 0, 0)
    assert not job.file  # personal data: deleted, the page asks to upload it again


# --- Idempotence and updates -------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(coop, programmes):
    first = import_file(coop, FILES / "cp1252_semicolons.csv")
    assert (first.created_count, first.updated_count, first.unchanged_count) == (3, 0, 0)
    rows_before = counts(coop)
    stamps = {ref: m.updated_at for ref, m in members_of(coop).items()}

    second = upload(coop, FILES / "cp1252_semicolons.csv")
    check(coop, second)
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 3)
    second = apply(coop, second)
    assert second.status == ImportStatus.DONE
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 3)
    assert counts(coop) == rows_before
    assert {ref: m.updated_at for ref, m in members_of(coop).items()} == stamps


def test_an_update_changes_only_what_differs_and_blank_cells_erase_nothing(coop, programmes):
    member = make_member(
        coop, external_ref="A-001", first_name="Hélène", last_name="Lefèvre",
        email="ancienne@example.org", phone="01 00 00 00 00",
    )  # fmt: skip
    stamp = member.updated_at
    rows = [
        "N° associé;Nom;Prénom;Courriel;Téléphone",
        "A-001;Lefèvre;Hélène;;01 99 99 99 99",
        "A-002;Neuve;Nina;nina@example.org;",
    ]
    job = import_file(coop, csv_bytes(rows), "maj.csv")
    assert (job.created_count, job.updated_count, job.unchanged_count) == (1, 1, 0)
    member.refresh_from_db()
    assert member.phone == "01 99 99 99 99"
    assert member.email == "ancienne@example.org"  # the empty cell erased nothing
    assert member.accessibility_notes == "Préfère être appelée le matin."  # not in the file
    assert member.updated_at > stamp


def test_a_new_profile_closes_the_open_one_and_a_reservation_is_updated_not_doubled(
    coop, programmes
):
    header = "N° associé;Nom;Prénom;Profil;Date de début du profil;Opération;Contrat;Date de réservation;Lot"  # noqa: E501
    import_file(
        coop,
        csv_bytes(
            [header, "P1;Petit;Paul;locataire;01/01/2020;Les Tilleuls;réservation;01/02/2024;A1"]
        ),
        "1.csv",
    )
    job = import_file(
        coop,
        csv_bytes(
            [
                header,
                "P1;Petit;Paul;accédant;01/03/2024;Les Tilleuls;Contrat de réservation;01/02/2024;A2",  # noqa: E501
            ]
        ),
        "2.csv",
    )
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 0)
    with scopes_disabled():
        profiles = list(MemberProfile.objects.order_by("start_date").values_list(
            "kind", "start_date", "end_date"))  # fmt: skip
        reservations = list(Reservation.objects.values_list("lot_number", "signed_on"))
    assert profiles == [
        (ProfileKind.LOCATAIRE, dt.date(2020, 1, 1), dt.date(2024, 2, 29)),
        (ProfileKind.ACCEDANT, dt.date(2024, 3, 1), None),
    ]
    assert reservations == [("A2", dt.date(2024, 2, 1))]


def test_an_import_never_overrides_a_members_own_consent_choice(coop):
    member = make_member(coop, external_ref="M1")
    with scopes_disabled():
        ConsentRecord.objects.create(
            coop=coop, member=member, purpose="bulletin", granted=False,
            legal_basis=LegalBasis.CONSENT, source=ConsentSource.UNSUBSCRIBE,
        )  # fmt: skip
    rows = ["N° associé;Nom;Prénom;Lettre d'info", f"M1;{member.last_name};Léa;oui"]
    job = import_file(coop, csv_bytes(rows), "c.csv")
    assert job.unchanged_count == 1
    with scopes_disabled():
        assert ConsentRecord.objects.filter(member=member).count() == 1
    with importing.report_open(job) as report:
        lines = list(csv.reader(io.StringIO(report.read().decode("utf-8-sig")), delimiter=";"))
    assert lines[1][:2] == ["2", "M1"]
    assert lines[1][3] == importing.note_label("consent_bulletin_kept")


# --- Isolation ---------------------------------------------------------------------------------


def test_an_import_into_coop_b_never_touches_coop_a(coop, other_coop):
    a_member = make_member(coop, external_ref="A-001", last_name="Dans-A", email="a@example.org")
    stamp = a_member.updated_at
    make_programme(coop, name="Les Tilleuls")  # coop A's programme: unknown to coop B
    rows = [
        "N° associé;Nom;Prénom;Courriel",
        "A-001;Dans-B;Hélène;b@example.org",
        "A-002;Müller;François;",
    ]
    job = import_file(other_coop, csv_bytes(rows), "b.csv")
    assert (job.created_count, job.updated_count) == (2, 0)
    a_member.refresh_from_db()
    assert (a_member.last_name, a_member.email, a_member.updated_at) == (
        "Dans-A",
        "a@example.org",
        stamp,
    )
    assert set(members_of(coop)) == {"A-001"}
    b_members = members_of(other_coop)
    assert set(b_members) == {"A-001", "A-002"}
    assert b_members["A-001"].last_name == "Dans-B"

    with_programme = upload(
        other_coop,
        csv_bytes(["N° associé;Nom;Prénom;Opération;Date", "A-003;X;Y;Les Tilleuls;01/01/2024"]),
        "p.csv",
    )
    check(other_coop, with_programme, ["external_ref", "last_name", "first_name", "programme",
                                       "signed_on"])  # fmt: skip
    assert error_cells(with_programme) == {(2, "Opération", "unknown_programme")}


def test_another_coops_import_is_not_found(coop, other_coop, users, client_for):
    job = upload(other_coop, FILES / "tabs.txt")
    client = client_for(users["admin"])
    for name in ("detail", "mapping", "preview", "report", "errors"):
        url = reverse(
            f"members_import:{name}", kwargs={"coop_slug": coop.slug, "import_id": job.public_id}
        )
        assert client.get(url).status_code == 404, name
        assert client.post(url).status_code == 404, name


# --- Mapping memory ----------------------------------------------------------------------------


def test_the_chosen_mapping_is_remembered_for_the_same_headers(
    coop, users, client_for, django_capture_on_commit_callbacks
):
    client = client_for(users["editor"])
    start = reverse("members_import:start", kwargs={"coop_slug": coop.slug})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            start,
            {"file": SimpleUploadedFile("1.csv", (FILES / "cp1252_semicolons.csv").read_bytes())},
        )
    assert response.status_code == 302
    with scopes_disabled():
        job = MemberImport.objects.get()
    targets = list(job.mapping["targets"])
    targets[4], targets[5] = "", "phone"  # the second "Téléphone" is the one to keep
    targets[15] = ""
    data = {f"col_{i}": t for i, t in enumerate(targets)}
    mapping_url = reverse(
        "members_import:mapping", kwargs={"coop_slug": coop.slug, "import_id": job.public_id}
    )
    response = client.post(mapping_url, data)
    assert response.status_code == 302
    assert response["Location"].endswith("/apercu/")
    with scopes_disabled():
        assert ColumnMapping.objects.filter(coop=coop).count() == 1

    # The same columns, spelled differently (case, accents, spaces) in a UTF-8 file.
    content = (FILES / "cp1252_semicolons.csv").read_bytes().decode("cp1252")
    header, rest = content.split("\r\n", 1)
    content = header.upper().replace("É", "E") + "\r\n" + rest
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(start, {"file": SimpleUploadedFile("2.csv", content.encode())})
    with scopes_disabled():
        second = MemberImport.objects.exclude(pk=job.pk).get()
    assert second.mapping == {"targets": targets, "source": "saved"}
    page = client.get(response["Location"]).content.decode()
    assert 'name="col_5"' in page
    assert '<option value="phone" selected>' in page


def test_the_mapping_form_refuses_a_mapping_without_the_required_columns(coop, users, client_for):
    job = upload(coop, FILES / "tabs.txt")
    client = client_for(users["admin"])
    url = reverse(
        "members_import:mapping", kwargs={"coop_slug": coop.slug, "import_id": job.public_id}
    )
    data = {"col_0": "", "col_1": "last_name", "col_2": "last_name", "col_3": "phone"}
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="error-summary"') == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED
    with scopes_disabled():
        assert not ColumnMapping.objects.exists()


# --- The pages ---------------------------------------------------------------------------------


def test_the_whole_journey_through_the_pages(
    coop, programmes, users, client_for, django_capture_on_commit_callbacks
):
    client = client_for(users["admin"])
    start = reverse("members_import:start", kwargs={"coop_slug": coop.slug})
    page = client.get(start)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.content.decode()
    assert 'accept=".csv,.txt,.tsv,.xlsx' in page.content.decode()

    upload = SimpleUploadedFile("adhérents.csv", (FILES / "cp1252_semicolons.csv").read_bytes())
    response = client.post(start, {"file": upload})
    mapping_url = response["Location"]
    # The file is read by the worker: until then the page says so, with a plain link.
    page = client.get(mapping_url).content.decode()
    assert "<select" not in page and f'href="{mapping_url}"' in page
    with scopes_disabled():
        job = MemberImport.objects.get()
    assert job.status == ImportStatus.ANALYSING
    with django_capture_on_commit_callbacks(execute=True):
        # what transaction.on_commit enqueued with the upload (the analysis task)
        importing._enqueue_analysis(coop, job)
    page = client.get(mapping_url).content.decode()
    assert "Lefèvre" in page  # examples from the file, to recognise each column
    assert page.count("<select") == 16

    with scopes_disabled():
        job = MemberImport.objects.get()
    assert job.original_name == "adhérents.csv"
    assert "adh" not in job.file.name  # stored under a random name
    assert str(job.file.path).startswith(str(importing.private_storage().location))
    data = {f"col_{i}": t for i, t in enumerate(job.mapping["targets"])}
    preview_url = client.post(mapping_url, data)["Location"]
    page = client.get(preview_url).content.decode()
    assert "<dd>3</dd>" in page  # three members to create
    assert "<meta http-equiv" not in page

    response = client.post(preview_url)
    detail_url = reverse(
        "members_import:detail", kwargs={"coop_slug": coop.slug, "import_id": job.public_id}
    )
    assert response["Location"] == detail_url
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert not job.file  # the uploaded file is deleted after a successful import
    page = client.get(detail_url).content.decode()
    assert (
        reverse(
            "members_import:report", kwargs={"coop_slug": coop.slug, "import_id": job.public_id}
        )
        in page
    )

    report = client.get(
        reverse(
            "members_import:report", kwargs={"coop_slug": coop.slug, "import_id": job.public_id}
        )
    )
    assert report.status_code == 200
    assert report["Content-Disposition"].startswith("attachment")
    assert "no-store" in report["Cache-Control"] or "no-cache" in report["Cache-Control"]
    lines = list(
        csv.reader(
            io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert [(line[0], line[1], line[2]) for line in lines[1:]] == [
        ("2", "A-001", str(importing.ACTION_LABELS["created"])),
        ("4", "A-002", str(importing.ACTION_LABELS["created"])),
        ("6", "A-003", str(importing.ACTION_LABELS["created"])),
    ]

    # Applying again (a double click, a replayed form) does nothing more.
    assert client.post(preview_url)["Location"] == detail_url
    assert counts(coop)[0] == 3
    with scopes_disabled():
        event = AuditEvent.objects.get(action="members.imported")
    assert event.actor == users["admin"]
    assert event.data == {
        "import": str(job.public_id),
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }


def test_the_preview_lists_the_errors_and_offers_them_as_csv(coop, programmes, users, client_for):
    job = upload(coop, FILES / "errors.csv")
    check(coop, job)
    client = client_for(users["editor"])
    kwargs = {"coop_slug": coop.slug, "import_id": job.public_id}
    page = client.get(reverse("members_import:preview", kwargs=kwargs)).content.decode()
    assert page.count('<tr data-code="') == 9
    assert 'data-code="impossible_date"' in page
    assert '<form method="post">' not in page  # no apply button while there are errors
    assert client.post(reverse("members_import:preview", kwargs=kwargs)).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.MAPPED

    response = client.get(reverse("members_import:errors", kwargs=kwargs))
    body = response.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert len(lines) == 10
    assert lines[1][:3] == ["2", "N° associé", "duplicate_ref"]


def test_many_errors_are_paginated(coop, users, client_for):
    rows = ["N° associé;Nom;Prénom;Courriel"] + [f"R{n};Nom;P;pas-un-email" for n in range(120)]
    job = upload(coop, csv_bytes(rows), "e.csv")
    check(coop, job)
    assert len(job.errors) == 120
    url = reverse(
        "members_import:preview", kwargs={"coop_slug": coop.slug, "import_id": job.public_id}
    )
    client = client_for(users["admin"])
    first = client.get(url).content.decode()
    assert first.count('<tr data-code="') == 50
    assert "?page=2" in first
    last = client.get(url + "?page=3").content.decode()
    assert last.count('<tr data-code="') == 20


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("membres.xls", b"\xd0\xcf\x11\xe0"),
        ("membres.ods", b"PK\x03\x04"),
        ("photo.jpg", b"\xff\xd8\xff"),
        ("vide.csv", b""),
    ],
)
def test_the_upload_form_refuses_other_files(coop, users, client_for, name, content):
    client = client_for(users["admin"])
    url = reverse("members_import:start", kwargs={"coop_slug": coop.slug})
    response = client.post(url, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()
    with scopes_disabled():
        assert not MemberImport.objects.exists()


def test_the_upload_form_refuses_files_above_the_limit(coop, users, client_for, monkeypatch):
    monkeypatch.setattr(importing, "MAX_FILE_SIZE", 100)
    client = client_for(users["admin"])
    url = reverse("members_import:start", kwargs={"coop_slug": coop.slug})
    response = client.post(url, {"file": SimpleUploadedFile("gros.csv", b"N;P\n" + b"a;b\n" * 50)})
    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()


def test_an_unreadable_file_is_refused_on_the_upload_page(
    coop, users, client_for, django_capture_on_commit_callbacks
):
    before = stored_files()
    client = client_for(users["admin"])
    url = reverse("members_import:start", kwargs={"coop_slug": coop.slug})
    # Refused in the request (the first bytes say it is not a spreadsheet we read)...
    response = client.post(url, {"file": SimpleUploadedFile("une.xlsx", b"Nom\nDupont\n")})
    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()
    assert stored_files() == before  # the refused file is not kept
    # ...or by the analysis, in the worker: the import's page gives the reason.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile("une.csv", b"Nom\nDupont\n")})
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Une seule colonne" in page
    assert stored_files() == before


# --- Background --------------------------------------------------------------------------------


def test_a_large_file_is_queued_and_its_page_shows_progress(
    coop, users, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    """Above the threshold, the apply is a task enqueued on commit (the immediate backend of
    the test settings runs it at once); the task is idempotent."""
    monkeypatch.setattr(importing, "BACKGROUND_THRESHOLD", 2)
    job = upload(coop, FILES / "cp1252_semicolons.csv")
    check(coop, job, [*job.mapping["targets"][:11], "", "", "", "", ""])
    client = client_for(users["admin"])
    kwargs = {"coop_slug": coop.slug, "import_id": job.public_id}
    detail_url = reverse("members_import:detail", kwargs=kwargs)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("members_import:preview", kwargs=kwargs))
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    assert len(callbacks) == 1
    with scopes_disabled():
        importing.progress_set(job, 1)
    page = client.get(detail_url).content.decode()
    assert 'value="33"' in page  # 1 row of 3
    assert f'href="{detail_url}"' in page  # the "Refresh" button
    assert "http-equiv" not in page  # nothing refreshes the page by itself

    callbacks[0]()  # the commit: the task is enqueued, and run by the immediate backend
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert counts(coop)[0] == 3
    assert "<dd>3</dd>" in client.get(detail_url).content.decode()

    from coopculture.members.import_tasks import apply_import_task

    result = apply_import_task.enqueue(coop_id=coop.pk, import_id=job.pk)
    assert result.return_value is None  # done already: nothing runs twice
    assert counts(coop)[0] == 3


def test_the_task_does_nothing_for_a_closed_coop(coop):
    job = upload(coop, FILES / "tabs.txt")
    check(coop, job)
    with scopes_disabled():
        MemberImport.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    coop.is_active = False
    coop.save(update_fields=["is_active"])
    from coopculture.members.import_tasks import apply_import_task

    assert apply_import_task.enqueue(coop_id=coop.pk, import_id=job.pk).return_value is None
    assert counts(coop)[0] == 0


def test_old_files_and_error_lists_are_purged(coop):
    done = import_file(coop, FILES / "tabs.txt")
    waiting = upload(coop, FILES / "errors.csv")
    check(coop, waiting)
    assert waiting.file and waiting.errors and importing.report_exists(done)
    assert importing.purge_old_files() == 0  # too recent
    later = timezone.now() + importing.FILE_RETENTION + dt.timedelta(minutes=1)
    assert importing.purge_old_files(now=later) == 2
    done.refresh_from_db()
    waiting.refresh_from_db()
    assert not waiting.file and waiting.errors == []
    assert not importing.report_exists(done)
    assert done.created_count == 2  # the figures stay


def test_a_coop_that_does_not_convene_by_email_imports_no_such_consent(other_coop):
    """The "Convocation AG par e-mail" column is not guessed, and cannot be chosen."""
    from coopculture.members.forms_import import MappingForm

    content = "Nom;Prénom;N° associé;Convocation AG par e-mail\nArnaud;Léa;B-1;oui\n".encode()
    job = upload(other_coop, content, "membres.csv")
    assert "consent_ag_electronic" not in job.mapping["targets"]
    form = MappingForm(
        {"col_0": "last_name", "col_1": "first_name", "col_2": "external_ref",
         "col_3": "consent_ag_electronic"},
        coop=other_coop, headers=job.headers, samples=[], targets=job.mapping["targets"],
    )  # fmt: skip
    assert not form.is_valid()
    assert "col_3" in form.errors
