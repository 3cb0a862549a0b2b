"""An address nobody serves: a page in the site's layout for a browser, JSON for the API and for scripts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api.hostile_helpers import SQLITE_ONLY
from tests.api.test_web_pages import _sign_in

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_gets_a_page_for_an_unknown_address(client: TestClient) -> None:
    response = client.get("/no-such-page", headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in response.text
    assert 'class="site-header"' in response.text and 'href="/"' in response.text


@SQLITE_ONLY
def test_a_signed_in_browser_keeps_its_navigation_on_the_not_found_page(client: TestClient, session: Session) -> None:
    _sign_in(client, session, "employee")
    for address in ("/clearances/new/oops", "/clearances/not-a-number"):
        response = client.get(address, headers=BROWSER)
        assert response.status_code == 404, address
        assert "<h1>Page not found</h1>" in response.text
        assert 'aria-label="Main"' in response.text and "My photos" in response.text


def test_the_api_and_scripts_keep_json(client: TestClient, employee: dict[str, str]) -> None:
    for address, headers in (("/api/v1/nothing-here", BROWSER), ("/no-such-page", {"Accept": "application/json"})):
        response = client.get(address, headers=headers)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}
    wrong = client.get("/api/v1/clearances/not-a-number", headers={**employee, **BROWSER})
    assert wrong.status_code == 422 and "detail" in wrong.json()
