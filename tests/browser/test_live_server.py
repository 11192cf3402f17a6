"""The browser tests' live server counts its requests in flight, so that no test ends (and
no database is flushed) while one of them still runs."""

import threading
import time
import urllib.request

import pytest

from django.http import HttpResponse
from django.urls import path

from coopculture.coops.models import Coop

RELEASE = threading.Event()
STARTED = threading.Event()


def slow_view(request):
    STARTED.set()
    RELEASE.wait(timeout=30)
    # Reads the database after the wait, as a PDF preview does after rendering.
    return HttpResponse(str(Coop.objects.count()))


urlpatterns = [path("slow/", slow_view)]


@pytest.fixture
def slow_urlconf(settings):
    RELEASE.clear()
    STARTED.clear()
    settings.ROOT_URLCONF = __name__
    yield
    RELEASE.set()


def test_a_running_request_is_counted_until_its_response_is_closed(live_server, slow_urlconf):
    in_flight = live_server.in_flight
    assert in_flight.wait_until_idle(timeout=5)
    answers = []
    client = threading.Thread(
        target=lambda: answers.append(urllib.request.urlopen(f"{live_server.url}/slow/").read())
    )
    client.start()
    assert STARTED.wait(timeout=10)
    assert in_flight.count == 1
    # Still running: waiting gives up after its timeout instead of returning early.
    started = time.monotonic()
    assert not in_flight.wait_until_idle(timeout=0.5)
    assert time.monotonic() - started >= 0.5
    RELEASE.set()
    assert in_flight.wait_until_idle(timeout=10)
    assert in_flight.count == 0
    client.join(timeout=10)
    assert answers == [b"0"]  # the response came, after the database was read


def test_a_request_that_fails_is_not_counted_forever(live_server, slow_urlconf, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{live_server.url}/no-such-page/")
    assert live_server.in_flight.wait_until_idle(timeout=5)
