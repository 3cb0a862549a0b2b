"""axe-core in the page: no critical or serious accessibility violation, and nothing wider than the screen."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

_axe = Axe()
BLOCKING = ("critical", "serious")


def check_page(page: Page) -> None:
    """Fails on a critical or serious axe-core violation, naming the rule and the elements."""
    results = _axe.run(page)
    found = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    report = "; ".join(f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in found)
    assert not found, f"{page.url}: {report}"
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{page.url} is {overflow}px wider than the screen"
