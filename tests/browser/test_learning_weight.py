"""Page weight of the member learning pages (DESIGN.md §6): at most 150 KB transferred and
15 requests for the parcours home, a module page and every activity page (video excluded)."""

import pytest

from tests.browser.conftest import goto
from tests.browser.test_learning_accessibility import PAGES, build_learning_world, learning_paths

MAX_BYTES = 150 * 1024
MAX_REQUESTS = 15


def weigh(page, path: str) -> tuple[int, int, list[str]]:
    """Bytes of every response body and the number of requests made to show `path`."""
    responses = []

    def keep(response):
        responses.append(response)

    page.on("response", keep)
    goto(page, path)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", keep)
    total, urls = 0, []
    for response in responses:
        if response.request.resource_type == "media":
            continue
        urls.append(response.url)
        if 300 <= response.status < 400:
            continue  # a redirect has no body
        total += len(response.body())
    return total, len(urls), urls


@pytest.mark.parametrize("name", PAGES)
def test_learning_pages_stay_within_the_weight_budget(new_page, live_server, coop, name):
    world = build_learning_world(coop)
    page = new_page()
    total, count, urls = weigh(page, learning_paths(world)[name])
    assert count <= MAX_REQUESTS, f"{name}: {count} requests: {urls}"
    assert total <= MAX_BYTES, f"{name}: {total} bytes: {urls}"
    # Nothing comes from a third party (the hosted video is only a link).
    assert all(url.startswith(live_server.url + "/") for url in urls), urls
