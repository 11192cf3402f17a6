"""`make install` and .ci/run bring the Debian packages of requirements-apt.txt.

apt and dpkg are the outside system here: the scripts run for real, against `dpkg-query`,
`apt-get` and `id` commands put first on PATH that answer from a file and record every call.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LISTED = subprocess.run(
    [str(ROOT / "bin" / "system-packages"), "--list"],
    capture_output=True,
    text=True,
    check=True,
).stdout.split()

DPKG_QUERY = """#!/bin/sh
echo "dpkg-query $*" >>"$FAKE_LOG"
status=0
for arg in "$@"; do
    case "$arg" in -*) continue ;; esac
    if grep -qx "$arg" "$FAKE_INSTALLED"; then
        echo "$arg install ok installed"
    else
        echo "dpkg-query: no packages found matching $arg" >&2
        status=1
    fi
done
exit $status
"""

APT_GET = """#!/bin/sh
echo "apt-get $* (DEBIAN_FRONTEND=$DEBIAN_FRONTEND)" >>"$FAKE_LOG"
if [ "$1" = install ]; then
    [ -n "$FAKE_APT_FAILS" ] && exit 100
    for arg in "$@"; do
        case "$arg" in install|-*) ;; *) echo "$arg" >>"$FAKE_INSTALLED" ;; esac
    done
fi
exit 0
"""

ID = """#!/bin/sh
if [ "$1" = -u ]; then echo "$FAKE_UID"; else exec /usr/bin/id "$@"; fi
"""


class FakeApt:
    def __init__(self, folder: Path):
        self.bin = folder / "bin"
        self.bin.mkdir()
        for name, script in {"dpkg-query": DPKG_QUERY, "apt-get": APT_GET, "id": ID}.items():
            (self.bin / name).write_text(script)
            (self.bin / name).chmod(0o755)
        self.log = folder / "calls.log"
        self.log.touch()
        self.installed = folder / "installed"
        self.installed.touch()

    def have(self, *packages: str) -> None:
        self.installed.write_text("".join(f"{p}\n" for p in packages))

    def env(self, *, uid: int, apt_fails: bool = False) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "SKIP_SYSTEM_PACKAGES"}
        env.update(
            PATH=f"{self.bin}:{os.environ['PATH']}",
            FAKE_LOG=str(self.log),
            FAKE_INSTALLED=str(self.installed),
            FAKE_UID=str(uid),
            FAKE_APT_FAILS="1" if apt_fails else "",
        )
        env.pop("MAKEFLAGS", None)
        env.pop("MFLAGS", None)
        return env

    def calls(self, command: str) -> list[list[str]]:
        return [
            line.split()[1:]
            for line in self.log.read_text().splitlines()
            if line.split()[0] == command
        ]


@pytest.fixture
def apt(tmp_path):
    return FakeApt(tmp_path)


def system_packages(apt, *args, uid, root=ROOT, **options):
    return subprocess.run(
        [str(root / "bin" / "system-packages"), *args],
        env=apt.env(uid=uid, **options),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_list_holds_what_the_suite_and_the_pdfs_need():
    assert {"libharfbuzz-subset0", "chromium", "poppler-utils", "gettext"} <= set(LISTED)
    assert len(LISTED) == len(set(LISTED))


def test_an_up_to_date_machine_asks_dpkg_once_and_never_apt(apt):
    apt.have(*LISTED)

    for uid in (0, 1000):
        result = system_packages(apt, uid=uid)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""

    assert apt.calls("apt-get") == []
    assert len(apt.calls("dpkg-query")) == 2  # one per run, all the packages at once


def test_as_root_the_missing_packages_are_installed_after_an_update(apt):
    apt.have(*(p for p in LISTED if p not in {"libharfbuzz-subset0", "chromium"}))

    result = system_packages(apt, uid=0)

    assert result.returncode == 0, result.stderr
    missing = [p for p in LISTED if p in {"libharfbuzz-subset0", "chromium"}]
    assert apt.calls("apt-get") == [
        ["update", "-q", "(DEBIAN_FRONTEND=noninteractive)"],
        [
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            *missing,
            "(DEBIAN_FRONTEND=noninteractive)",
        ],
    ]
    # Run again: now everything is there, apt is left alone.
    assert system_packages(apt, uid=0).returncode == 0
    assert len(apt.calls("apt-get")) == 2


def test_as_root_a_failed_install_stops_with_apt_gets_status(apt):
    apt.have()

    result = system_packages(apt, uid=0, apt_fails=True)

    assert result.returncode == 100


def test_not_root_it_stops_at_once_naming_the_command_to_run(apt):
    apt.have(*(p for p in LISTED if p != "libharfbuzz-subset0"))

    result = system_packages(apt, uid=1000)

    assert result.returncode == 1
    assert apt.calls("apt-get") == []
    message = result.stderr
    assert "Paquets Debian manquants / Missing Debian packages: libharfbuzz-subset0" in message
    assert "Installez-les en root" in message and "Install them as root" in message
    assert (
        "sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends "
        "libharfbuzz-subset0'" in message
    )


def test_check_reports_the_missing_packages_and_installs_nothing(apt):
    apt.have()

    result = system_packages(apt, "--check", uid=0)

    assert result.returncode == 1
    assert " ".join(LISTED) in result.stderr
    assert apt.calls("apt-get") == []


# --- The Makefile and .ci/run read the same list ------------------------------------------


@pytest.fixture
def checkout(tmp_path):
    """The Makefile, .ci/run and bin/system-packages of this tree, with a list of our own,
    and an installed .venv that is up to date (newer than what it is built from)."""
    root = tmp_path / "checkout"
    (root / "bin").mkdir(parents=True)
    (root / ".ci").mkdir()
    shutil.copy2(ROOT / "Makefile", root / "Makefile")
    shutil.copy2(ROOT / ".ci" / "run", root / ".ci" / "run")
    shutil.copy2(ROOT / "bin" / "system-packages", root / "bin" / "system-packages")
    (root / "requirements-apt.txt").write_text(
        "# a list of our own\nfonts-dejavu-core   # fonts\nlibharfbuzz-subset0\n"
    )
    for name in ("pyproject.toml", "package.json", "package-lock.json"):
        (root / name).write_text("{}\n")
    (root / ".venv").mkdir()
    installed = root / ".venv" / ".installed"
    installed.touch()
    os.utime(installed, (installed.stat().st_mtime + 60,) * 2)
    return root


def make_install(checkout, apt, *, uid):
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(checkout), "install"],
        env=apt.env(uid=uid),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_make_install_installs_the_listed_packages_even_when_the_venv_is_up_to_date(checkout, apt):
    apt.have("fonts-dejavu-core")

    result = make_install(checkout, apt, uid=0)

    assert result.returncode == 0, result.stderr
    assert apt.calls("apt-get")[-1][:-1] == [
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "libharfbuzz-subset0",
    ]
    assert "pip install" not in result.stdout  # the venv was up to date: not rebuilt


def test_make_install_as_a_user_stops_before_anything_else(checkout, apt):
    apt.have()
    os.utime(checkout / "pyproject.toml")  # the venv is out of date too
    os.utime(checkout / ".venv" / ".installed", (0, 0))

    result = make_install(checkout, apt, uid=1000)

    assert result.returncode != 0
    assert "Missing Debian packages: fonts-dejavu-core libharfbuzz-subset0" in result.stderr
    assert "pip" not in result.stdout + result.stderr
    assert apt.calls("apt-get") == []


def test_ci_installs_the_same_list_as_make(checkout, apt):
    apt.have()

    result = subprocess.run(
        ["bash", str(checkout / ".ci" / "run")],
        env=apt.env(uid=0, apt_fails=True),  # stop .ci/run right there
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 100
    assert "CI FAILED during: System packages (fonts-dejavu-core libharfbuzz-subset0)" in (
        result.stderr
    )
    assert apt.calls("apt-get")[-1][:-1] == [
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "fonts-dejavu-core",
        "libharfbuzz-subset0",
    ]


# --- A plain pytest on a machine without libharfbuzz-subset0 ------------------------------


def _private_mounts_work() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    return probe.returncode == 0


HARFBUZZ_SUBSET = sorted(Path("/usr/lib").glob("*/libharfbuzz-subset.so.0"))


@pytest.mark.skipif(
    not (HARFBUZZ_SUBSET and _private_mounts_work()),
    reason="hides libharfbuzz-subset in a private mount namespace: needs root, unshare and the "
    "library (CI runs it)",
)
def test_a_plain_pytest_without_harfbuzz_subset_says_what_to_install(tmp_path):
    """The library is hidden from this one child process only (its own mount namespace)."""
    library = HARFBUZZ_SUBSET[0].resolve()

    result = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            'mount --bind /dev/null "$1" && exec "$2" -m pytest -p no:cacheprovider -q "$3"',
            "sh",
            str(library),
            sys.executable,
            "tests/core/test_pdf.py",  # imports WeasyPrint
        ],
        cwd=ROOT,
        # Its own VAR_DIR: a run that went on would otherwise share (and at its end
        # delete) this session's test database.
        env={**os.environ, "VAR_DIR": str(tmp_path / "var")},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "libharfbuzz-subset0 manque / is missing" in result.stderr
    assert "`make install` as root, or: sudo bin/system-packages" in result.stderr
    assert "DeprecationWarning" not in result.stdout + result.stderr
