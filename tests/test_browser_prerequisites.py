"""Browser tests are never skipped quietly: a missing Chromium fails them under `make test`
(REQUIRE_BROWSER=1) and, under a plain pytest, ends the run with a banner naming the fix."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = [
    "tests/browser/test_no_javascript.py::test_javascript_is_really_off",
    "tests/browser/test_no_javascript.py::test_coop_public_page",
]


def run_browser_tests(tmp_path, **env: str) -> subprocess.CompletedProcess:
    # On SQLite in its own VAR_DIR, whatever this session runs on: the child would
    # otherwise create, then delete at its end, this session's own test database.
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REQUIRE_BROWSER", "DATABASE_URL", "REDIS_URL"}
    }
    environment.update(BROWSER_TESTS_CHROMIUM=str(tmp_path / "no-chromium"), **env)
    environment["VAR_DIR"] = str(tmp_path / "var")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *TESTS],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_without_chromium_make_tests_setting_fails_the_browser_tests(tmp_path):
    result = run_browser_tests(tmp_path, REQUIRE_BROWSER="1")

    assert result.returncode == 1, result.stdout
    assert "2 errors" in result.stdout
    assert "REQUIRE_BROWSER=1 but browser tests need:" in result.stdout
    assert "run `make install` (as root: it installs them)" in result.stdout


def test_without_chromium_a_plain_pytest_skips_them_loudly(tmp_path):
    result = run_browser_tests(tmp_path)

    assert result.returncode == 0, result.stdout
    assert "2 skipped" in result.stdout
    banner = result.stdout[result.stdout.index("2 BROWSER TESTS SKIPPED") :]
    assert "no-chromium not found (run `make install` (as root: it installs them)" in banner
    assert "`sudo bin/system-packages`" in banner
