"""Every answer tells the browser: only the service's own scripts, no framing, no type guessing, no
addresses sent to other sites; and the API docs come from the service itself, not a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api.hostile_helpers import SQLITE_ONLY

TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


def _directives(policy: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()}


@SQLITE_ONLY
@pytest.mark.parametrize(
    "path", ["/login", "/api/v1/auth/me", "/healthz", "/static/site.css", "/no-such-page", "/docs", "/openapi.json"]
)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    policy = _directives(response.headers["content-security-policy"])
    assert policy["script-src"] == "script-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["object-src"] == "object-src 'none'"


@SQLITE_ONLY
def test_a_refused_upload_carries_them_too(client, employee):
    response = client.post("/api/v1/clearances", headers={**employee, "content-length": str(10**10)})
    assert response.status_code == 413
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@SQLITE_ONLY
def test_the_api_docs_load_nothing_from_another_site(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    assert not INLINE_SCRIPT.search(page.text)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/docs.js" in sources
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert client.get("/redoc").status_code == 404  # its bundle would fetch its logo from another site


def test_no_template_holds_an_inline_script_or_event_handler():
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in INLINE_SCRIPT.finditer(path.read_text())
    ]
    assert found == []
