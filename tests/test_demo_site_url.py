"""The demo's links and QR codes point where the demo listens: SITE_URL follows HOST/PORT
(`make demo HOST=… PORT=…`) unless SITE_URL itself is given."""

import json
import os
import socket
import subprocess
import sys

import pytest

from tests.conftest import make_coop
from tests.kit.print_helpers import decoded_qr_codes, pdf_text
from tests.processes import ROOT, child_env, manage

SHOW_SETTINGS = """
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
from django.conf import settings
print(json.dumps([settings.SITE_URL, settings.ALLOWED_HOSTS, settings.CSRF_TRUSTED_ORIGINS]))
"""
# Variables of this run that would change what the demo's settings compute.
NOT_INHERITED = {
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_DEMO",
    "DEBUG",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "HTTPS",
    "SECRET_KEY",
    "HOST",
    "PORT",
    "REDIS_URL",
}


def demo_env(**variables: str) -> dict[str, str]:
    """What `make demo` gives its processes: DJANGO_DEMO=1 and HOST/PORT, nothing else."""
    env = {k: v for k, v in child_env().items() if k not in NOT_INHERITED}
    env.update(DJANGO_DEMO="1", **variables)
    return env


def demo_settings(**variables: str) -> list:
    """SITE_URL, ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS as a demo process reads them."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(DJANGO_DEMO="1", **variables)
    result = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_demo_on_port_8010_links_to_port_8010():
    site_url, hosts, origins = demo_settings(PORT="8010")

    assert site_url == "http://127.0.0.1:8010"
    assert "127.0.0.1" in hosts
    assert origins == ["http://127.0.0.1:8010"]


def test_the_demo_without_host_or_port_keeps_its_usual_address():
    assert demo_settings()[0] == "http://127.0.0.1:8000"


def test_the_demo_on_another_host_links_to_it_and_answers_to_it():
    site_url, hosts, _origins = demo_settings(HOST="192.168.1.20", PORT="8010")

    assert site_url == "http://192.168.1.20:8010"
    assert "192.168.1.20" in hosts


def test_the_demo_on_all_interfaces_links_to_an_address_a_phone_can_reach():
    site_url, hosts, _origins = demo_settings(HOST="0.0.0.0", PORT="8080")  # noqa: S104

    host = site_url.removeprefix("http://").removesuffix(":8080")
    assert host != "0.0.0.0"  # noqa: S104
    socket.inet_aton(host)  # an IPv4 address of this machine (or 127.0.0.1 without a network)
    assert host in hosts


def test_an_explicit_site_url_still_wins_in_the_demo():
    site_url, hosts, _origins = demo_settings(
        SITE_URL="https://demo.culture-coop.example.org", PORT="8010"
    )

    assert site_url == "https://demo.culture-coop.example.org"
    assert "demo.culture-coop.example.org" in hosts


RENDER_FLYER = """
import sys
from django_scopes import scopes_disabled
from coopculture.coops.models import Coop
from coopculture.kit import printing
with scopes_disabled():
    coop = Coop.objects.get(slug="coop-qr")
    pdf = printing.render_piece(coop=coop, piece=printing.get_piece(coop=coop, key="flyer"))
open({path!r}, "wb").write(pdf)
"""


@pytest.mark.django_db(transaction=True)
def test_a_flyer_printed_by_the_demo_on_port_8010_scans_to_port_8010(tmp_path):
    make_coop("coop-qr", name="Coop QR")
    flyer = tmp_path / "flyer.pdf"

    result = manage(
        "shell", "-c", RENDER_FLYER.format(path=str(flyer)), env=demo_env(PORT="8010"), timeout=120
    )

    assert result.returncode == 0, result.stderr
    pdf = flyer.read_bytes()
    codes = decoded_qr_codes(pdf)
    assert codes, "no QR code found on the flyer"
    assert all(code.startswith("http://127.0.0.1:8010/l/") for code in codes), codes
    assert "127.0.0.1:8010/l/" in pdf_text(pdf)
