"""Content bundles: export, all-or-nothing import with every error listed, idempotence."""

import copy
import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from django_scopes import scopes_disabled
from PIL import Image

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from coopculture.learning.bundles import (
    BundleError,
    export_bundle,
    import_bundle,
    import_bundle_dir,
    import_bundle_zip,
    validate_bundle,
)
from coopculture.learning.models import (
    Activity,
    EventKind,
    GlossaryTerm,
    LearningEvent,
    Module,
)
from tests.learning.factories import CONTENT, make_glossary, make_module
from tests.processes import child_env, manage

pytestmark = pytest.mark.django_db

VTT = b"WEBVTT\n\n00:00.000 --> 00:02.000\nBonjour et bienvenue.\n"
VIDEO = b"\x00\x00\x00\x18ftypmp42 not a real video, but bytes to copy"


def png(colour="#1d5c8c", size=(64, 36)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def make_bundle(folder: Path, data: dict, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bundle.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return folder


def zip_of(data: dict, files: dict[str, bytes], extra: dict[str, bytes] | None = None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bundle.json", json.dumps(data, ensure_ascii=False))
        for name, content in {**files, **(extra or {})}.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def activity(position, kind, **fields):
    return {
        "position": position,
        "kind": kind,
        "title": f"{kind} {position}",
        "required": True,
        "content": copy.deepcopy(CONTENT[kind]),
        "media": "",
        "captions": "",
        "poster": "",
        **fields,
    }


def module(slug, position, activities, **fields):
    return {
        "slug": slug,
        "title": f"Module {slug}",
        "summary": "Un module pour les tests.",
        "duration_minutes": 10,
        "position": position,
        "concerns": [],
        "recommended_for": [],
        "audiences": ["locataire"],
        "completion_rule": "attempted",  # bundles of before 2026-12: ignored
        "status": "published",
        "cover_image": "",
        "cover_alt": "",
        "activities": activities,
        **fields,
    }


def sample() -> tuple[dict, dict[str, bytes]]:
    """A small valid bundle: two modules (one with a video, captions, poster and cover)."""
    data = {
        "schema": "culture-coop-parcours",
        "version": 1,
        "exported_at": "2025-01-01T00:00:00+00:00",
        "glossary": [
            {
                "term": "Syndic",
                "slug": "syndic",
                "definition": "Gestionnaire de l'immeuble.",
                "variants": ["syndics"],
            }
        ],
        "modules": [
            module(
                "ma-coop",
                1,
                [
                    activity(
                        1,
                        "video",
                        media="media/intro.mp4",
                        captions="media/intro.vtt",
                        poster="media/intro.png",
                    ),
                    activity(2, "quiz"),
                    activity(3, "leaflet"),
                ],
                cover_image="media/cover.png",
                cover_alt="Des habitants devant leur résidence",
            ),
            module("copro", 2, [activity(1, "text"), activity(2, "game")], concerns=["syndic"]),
        ],
    }
    files = {
        "media/intro.mp4": VIDEO,
        "media/intro.vtt": VTT,
        "media/intro.png": png("#0f6b5c"),
        "media/cover.png": png("#6b3fa0", (120, 80)),
    }
    return data, files


def snapshot() -> dict:
    """Everything an import writes, without database ids, media as bytes."""

    def read(fieldfile):
        if not fieldfile.name:
            return None
        with default_storage.open(fieldfile.name, "rb") as stored:
            return stored.read()

    modules = {}
    for m in Module.objects.prefetch_related("steps"):
        modules[m.slug] = {
            "fields": {
                f: getattr(m, f)
                for f in (
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
            },
            "cover": read(m.cover_image),
            "activities": [
                {
                    "fields": (a.position, a.kind, a.title, a.required, a.content),
                    "files": (read(a.media), read(a.captions), read(a.poster)),
                }
                for a in sorted(m.steps.all(), key=lambda a: a.position)
            ],
        }
    terms = {(t.slug, t.term, t.definition, tuple(t.variants)) for t in GlossaryTerm.objects.all()}
    return {"modules": modules, "glossary": terms}


def stored_bytes(fieldfile) -> bytes:
    with default_storage.open(fieldfile.name, "rb") as stored:
        return stored.read()


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def db_counts() -> tuple[int, int, int]:
    return Module.objects.count(), Activity.objects.count(), GlossaryTerm.objects.count()


# --- Import of a valid bundle -------------------------------------------------------------


def test_import_creates_modules_activities_glossary_and_media(tmp_path):
    """A valid folder bundle creates everything; files land in the storage."""
    data, files = sample()
    report = import_bundle_dir(make_bundle(tmp_path / "b", data, files))

    assert report.modules_created == ["ma-coop", "copro"]
    assert report.activities_created == 5
    assert report.terms_created == 1
    assert report.files_written == 4
    video = Activity.objects.get(module__slug="ma-coop", position=1)
    assert video.media.name.startswith("learning/media/")
    assert stored_bytes(video.media) == VIDEO
    assert stored_bytes(video.captions) == VTT
    assert Module.objects.get(slug="ma-coop").cover_image.name.startswith("learning/covers/")
    assert Module.objects.get(slug="copro").concerns == ["syndic"]
    assert "5" in str(report)  # the French summary holds the counts


def test_zip_bundle_in_a_top_folder_imports(tmp_path):
    """A zip made from the bundle's folder (bundle.json one level down) is accepted."""
    data, files = sample()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("parcours/bundle.json", json.dumps(data))
        for name, content in files.items():
            archive.writestr(f"parcours/{name}", content)
    buffer.seek(0)
    report = import_bundle_zip(buffer)
    assert len(report.modules_created) == 2


def test_export_import_round_trip_into_an_empty_database(tmp_path, settings):
    """Export (zip and folder), empty the database and the storage, import: same content."""
    data, files = sample()
    import_bundle_dir(make_bundle(tmp_path / "source", data, files))
    extra = make_module(kinds=("testimonial", "game", "quiz"), slug="extra", position=5)
    extra.steps.filter(position=1).update(poster="")
    make_glossary()
    before = snapshot()

    archive = io.BytesIO()
    exported = export_bundle(archive, as_zip=True)
    export_bundle(tmp_path / "folder", as_zip=False)
    assert exported["version"] == 1 and len(exported["modules"]) == 3

    for target in (archive, tmp_path / "folder"):
        Module.objects.all().delete()
        GlossaryTerm.objects.all().delete()
        settings.MEDIA_ROOT = tmp_path / f"media-{len(str(target))}"
        if isinstance(target, io.BytesIO):
            target.seek(0)
        report = import_bundle(target)
        assert len(report.modules_created) == 3
        assert snapshot() == before


def test_reimport_is_idempotent(tmp_path, settings):
    """The same bundle twice: nothing changes, no timestamp bumped, no duplicate file."""
    data, files = sample()
    folder = make_bundle(tmp_path / "b", data, files)
    import_bundle_dir(folder)
    stamps = {m.slug: m.updated_at for m in Module.objects.all()}
    stored = media_files(settings)
    ids = sorted(Activity.objects.values_list("id", flat=True))

    report = import_bundle_dir(folder)

    assert not report.changed
    assert report.modules_unchanged == ["ma-coop", "copro"]
    assert report.activities_unchanged == 5 and report.terms_unchanged == 1
    assert report.files_written == 0
    assert {m.slug: m.updated_at for m in Module.objects.all()} == stamps
    assert media_files(settings) == stored
    assert sorted(Activity.objects.values_list("id", flat=True)) == ids


def test_reimport_updates_only_what_changed(tmp_path, coop):
    """A changed title, a removed activity and a new poster: only that module moves;
    progress on the activities kept by position survives."""
    data, files = sample()
    import_bundle_dir(make_bundle(tmp_path / "v1", data, files))
    quiz = Activity.objects.get(module__slug="ma-coop", position=2)
    leaflet = Activity.objects.get(module__slug="ma-coop", position=3)
    with scopes_disabled():
        for done in (quiz, leaflet):
            LearningEvent.objects.create(
                coop=coop,
                learner_key=uuid.uuid4(),
                kind=EventKind.ACTIVITY_DONE,
                module=done.module,
                activity=done,
            )
    untouched = Module.objects.get(slug="copro").updated_at
    old_poster = Activity.objects.get(module__slug="ma-coop", position=1).poster.name

    data["modules"][0]["title"] = "Ma coop, nouvelle version"
    data["modules"][0]["activities"].pop()  # the leaflet at position 3
    files["media/intro.png"] = png("#9b2c3b")
    report = import_bundle_dir(make_bundle(tmp_path / "v2", data, files))

    assert report.modules_updated == ["ma-coop"]
    assert report.modules_unchanged == ["copro"]
    assert report.activities_deleted == 1
    assert report.activities_updated == 1  # the video's poster
    assert report.files_written == 1
    assert Module.objects.get(slug="ma-coop").title == "Ma coop, nouvelle version"
    assert Module.objects.get(slug="copro").updated_at == untouched
    video = Activity.objects.get(module__slug="ma-coop", position=1)
    assert video.poster.name != old_poster
    assert stored_bytes(video.poster) == files["media/intro.png"]
    assert Activity.objects.get(pk=quiz.pk)  # same row, progress kept
    with scopes_disabled():
        assert LearningEvent.objects.filter(activity=quiz).exists()
        assert not LearningEvent.objects.filter(activity_id=leaflet.pk).exists()


def test_dry_run_reports_without_saving(tmp_path, settings):
    """--dry-run: the report says what would change; the database and storage stay empty."""
    data, files = sample()
    report = import_bundle_dir(make_bundle(tmp_path / "b", data, files), dry_run=True)
    assert report.dry_run and report.modules_created == ["ma-coop", "copro"]
    assert db_counts() == (0, 0, 0)
    assert media_files(settings) == []


# --- Broken bundles -----------------------------------------------------------------------


def test_broken_bundle_reports_every_error_and_changes_nothing(tmp_path, settings):
    """Six defects give six French messages naming where they are; nothing is written."""
    existing = make_module(slug="ma-coop", title="Titre d'origine")
    counts, stored = db_counts(), media_files(settings)
    data, files = sample()
    data["version"] = 99
    bad_modules = data["modules"]
    bad_modules[0]["activities"][0]["poster"] = "media/absent.png"  # missing file
    bad_modules[0]["activities"][1]["content"]["questions"][0]["choices"][1]["correct"] = False
    bad_modules[1]["activities"][0]["kind"] = "podcast"  # unknown kind
    bad_modules[1]["cover_image"] = "media/../../secret.png"  # leaves the bundle
    bad_modules.append(module("copro", 3, [activity(1, "text")]))  # duplicate slug
    bad_modules[0]["title"] = "Titre importé"

    with pytest.raises(BundleError) as caught:
        import_bundle_dir(make_bundle(tmp_path / "b", data, files))

    errors = caught.value.errors
    assert len(errors) == 6, errors
    assert sum("99" in e for e in errors) == 1
    assert sum("media/absent.png" in e and "ma-coop" in e for e in errors) == 1
    assert sum("ma-coop" in e and "2" in e for e in errors if "absent" not in e) >= 1
    assert sum("podcast" in e and "copro" in e for e in errors) == 1
    assert sum("media/../../secret.png" in e for e in errors) == 1
    assert sum("Module 3" in e or "copro" in e for e in errors) >= 2
    assert db_counts() == counts
    existing.refresh_from_db()
    assert existing.title == "Titre d'origine"
    assert media_files(settings) == stored


def test_content_errors_say_which_module_and_activity(tmp_path):
    """A content problem (from learning.content) is prefixed with its module and activity."""
    data, files = sample()
    data["modules"][1]["activities"][1]["content"]["statements"][0]["answer"] = "oui"
    errors = validate_bundle(make_bundle(tmp_path / "b", data, files))
    assert len(errors) == 1
    assert "copro" in errors[0] and "2" in errors[0]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"schema": "autre-chose"}, "autre-chose"),
        ({"version": "un"}, "un"),
        ({"modules": "pas une liste"}, "modules"),
    ],
)
def test_wrong_schema_version_or_shape(tmp_path, change, fragment):
    """An unknown schema, an unknown version or a wrong type: one clear message."""
    data, files = sample()
    data.update(change)
    errors = validate_bundle(make_bundle(tmp_path / "b", data, files))
    assert len(errors) == 1 and fragment in errors[0]


def test_every_field_problem_is_listed(tmp_path):
    """Types, slugs, activity codes, audiences, positions, images and captions."""
    data, files = sample()
    first, second = data["modules"]
    first["slug"] = "Ma Coop"
    first["duration_minutes"] = "dix"
    first["concerns"] = ["accession_vefa", "piscine"]
    first["audiences"] = ["martiens"]
    first["activities"][1]["position"] = 1  # twice position 1
    second["activities"][0]["captions"] = "media/not.vtt"
    second["activities"][1]["poster"] = "media/not.png"
    files.update({"media/not.vtt": b"1\n00:00 --> 00:01\nhello", "media/not.png": b"GIF89a?"})
    data["glossary"].append(dict(data["glossary"][0]))  # duplicate slug and term

    errors = validate_bundle(make_bundle(tmp_path / "b", data, files))

    assert sum(e.startswith("Module 1") for e in errors) == 5, errors
    for fragment in ("duration_minutes", "piscine", "martiens", "media/not.vtt", "media/not.png"):
        assert sum(fragment in e for e in errors) == 1, (fragment, errors)
    assert len(errors) == 9, errors  # + position twice + glossary slug and term twice


def test_odd_json_shapes_are_reported_not_crashed_on(tmp_path):
    """Wrong types anywhere (lists for texts, null items...) give messages, not a crash."""
    data, files = sample()
    data["glossary"] = [None, {"term": ["x"], "slug": 3, "definition": "", "variants": "x"}]
    data["modules"] = [
        7,
        module("bizarre", 2, [None, {"position": True, "kind": ["video"], "content": []}]),
    ]
    data["modules"][1]["status"] = ["published"]
    errors = validate_bundle(make_bundle(tmp_path / "b", data, files))
    assert len(errors) >= 8
    assert all(isinstance(e, str) and e for e in errors)


def test_glossary_term_owned_by_another_slug(tmp_path):
    """A term already in the glossary under another address name is refused."""
    GlossaryTerm.objects.create(term="Syndic", slug="le-syndic", definition="Autre.")
    data, files = sample()
    errors = validate_bundle(make_bundle(tmp_path / "b", data, files))
    assert len(errors) == 1 and "le-syndic" in errors[0]


def test_zip_slip_is_rejected(settings):
    """Entries leaving the bundle (../, absolute) are refused even if unused."""
    data, files = sample()
    archive = zip_of(data, files, {"../evil.txt": b"x", "/etc/cron.d/evil": b"x"})
    with pytest.raises(BundleError) as caught:
        import_bundle_zip(archive)
    assert len(caught.value.errors) == 2
    assert any("../evil.txt" in e for e in caught.value.errors)
    assert db_counts() == (0, 0, 0)
    assert media_files(settings) == []


def test_symbolic_link_out_of_a_folder_bundle(tmp_path):
    """A media file that is a link to a file outside the folder counts as missing."""
    data, files = sample()
    folder = make_bundle(tmp_path / "b", data, files)
    outside = tmp_path / "outside.png"
    outside.write_bytes(png())
    (folder / "media" / "intro.png").unlink()
    (folder / "media" / "intro.png").symlink_to(outside)
    errors = validate_bundle(folder)
    assert len(errors) == 1 and "media/intro.png" in errors[0]


def test_not_a_zip_and_not_json(tmp_path):
    """Garbage instead of a zip, or bundle.json that is not JSON: one message each."""
    with pytest.raises(BundleError) as caught:
        import_bundle_zip(io.BytesIO(b"ceci n'est pas un zip"))
    assert len(caught.value.errors) == 1
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "bundle.json").write_text('{"schema": ', encoding="utf-8")
    assert len(validate_bundle(folder)) == 1
    assert len(validate_bundle(tmp_path / "empty-does-not-exist")) == 1


# --- Management commands ------------------------------------------------------------------


def test_commands_export_then_import(tmp_path):
    """export_parcours writes a zip; import_parcours prints the report (and --dry-run)."""
    make_module(kinds=("video", "quiz"), slug="m1")
    target = tmp_path / "parcours.zip"
    out = io.StringIO()
    call_command("export_parcours", str(target), stdout=out)
    assert target.exists() and "parcours.zip" in out.getvalue()

    out = io.StringIO()
    call_command("import_parcours", str(target), "--dry-run", stdout=out)
    call_command("import_parcours", str(target), stdout=out)
    assert Module.objects.count() == 1


def test_import_command_lists_errors_and_fails(tmp_path):
    """A broken bundle: every error on stderr, CommandError with exit status 1."""
    data, files = sample()
    data["version"] = 99
    data["modules"][0]["activities"][0]["poster"] = "media/absent.png"
    folder = make_bundle(tmp_path / "b", data, files)
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_parcours", str(folder), stderr=err)
    assert caught.value.returncode == 1
    assert err.getvalue().count("\n- ") + err.getvalue().startswith("- ") == 2
    assert Module.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_exit_codes_of_real_processes(tmp_path, settings):
    """Through manage.py in a child process: 0 when imported, 1 when the bundle is broken."""
    env = child_env(MEDIA_ROOT=str(settings.MEDIA_ROOT))
    data, files = sample()
    good = make_bundle(tmp_path / "good", data, files)
    data["version"] = 99
    bad = make_bundle(tmp_path / "bad", data, files)

    failed = manage("import_parcours", str(bad), env=env)
    assert failed.returncode == 1
    assert "99" in failed.stderr

    done = manage("import_parcours", str(good), env=env)
    assert done.returncode == 0, done.stderr
    assert Module.objects.count() == 2

    exported = manage("export_parcours", str(tmp_path / "out.zip"), env=env)
    assert exported.returncode == 0, exported.stderr
    assert zipfile.ZipFile(tmp_path / "out.zip").read("bundle.json")


def test_uploaded_file_object_is_accepted():
    """The staff upload view can pass the uploaded file itself (a file object)."""
    data, files = sample()
    upload = ContentFile(zip_of(data, files).getvalue(), name="parcours.zip")
    report = import_bundle_zip(upload)
    assert len(report.modules_created) == 2
