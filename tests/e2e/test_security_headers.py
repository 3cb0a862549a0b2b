"""In a real browser, under the service's Content-Security-Policy: the API docs work from the service's
own files, and the pages that had inline handlers still do what they did, with no violation reported."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect


def test_the_api_docs_run_from_the_service_itself(page: Page, server) -> None:
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith((server.url, "data:", "blob:")) else None
        ),
    )
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.goto("/docs")
    expect(page.locator(".opblock-tag", has_text="clearances").first).to_be_visible()
    assert outside == []
    assert violations == []


def test_a_new_api_token_selects_itself_for_copying(
    page: Page,
    sign_in: Callable[[str], Page],
) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    sign_in("admin")
    page.goto("/admin/tokens")
    page.get_by_label("What is it for?").fill("Nightly attendance export")
    page.get_by_role("button", name="Create the token").click()
    field = page.get_by_label("New API token")
    field.focus()
    selected = page.evaluate(
        "() => { const f = document.activeElement; return f.value.slice(f.selectionStart, f.selectionEnd); }"
    )
    assert selected == field.input_value() and selected.startswith("crt_")
    assert violations == []
