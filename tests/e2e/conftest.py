"""A real server on a fresh SQLite database, and one headless Chromium for the whole session."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright
from sqlmodel import select

from api.main import create_app
from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.core.db import make_engine, unit_of_work
from registry.core.migrate import upgrade
from registry.core.settings import Settings
from registry.faces import enrolment
from registry.models.faces import FaceTemplate
from tests.conftest import GENEROUS_LIMITS
from tests.paths import FACES as FACES  # noqa: F401 - the e2e tests import it from here
from tests.paths import ROOT

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
USERS = {
    "office": ("office_staff", "Olive Office"),
    "employee": ("employee", "Eddie Coach"),
    "admin": ("admin", "Ada Admin"),
    "reviewer": ("reviewer", "Rita Reviewer"),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


class Server:
    def __init__(self, app: FastAPI, settings: Settings, url: str) -> None:
        self.app, self.settings, self.url = app, settings, url

    def email(self, who: str) -> str:
        return f"{who}@district.example.org"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("e2e")
    settings = Settings(
        environment="test",
        data_dir=data,
        database_url=f"sqlite:///{data / 'registry.db'}",
        secret_key="e2e-secret-" + "x" * 40,
        **GENEROUS_LIMITS,
    )
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        for who, (role, name) in USERS.items():
            accounts.add_user(
                session,
                data=UserCreate(email=f"{who}@district.example.org", full_name=name, role=role, password=PASSWORD),
            )
    engine.dispose()
    app = create_app(settings)
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # start-up loads the face engine in every worker first
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Server(app, settings, f"http://127.0.0.1:{port}")
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def no_face_outlives_its_test(server: Server) -> Iterator[None]:
    """The browser tests share one service: a face one test enrols is removed when it ends, so that another
    test's photo is never matched with it (which test runs after which depends on how the suite is split)."""
    yield
    with unit_of_work(server.app.state.bind) as session:
        for person_id in set(session.exec(select(FaceTemplate.person_id)).all()):
            enrolment.delete_person_templates(session, person_id=person_id)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, viewport=DESKTOP)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(page: Page, server: Server) -> Callable[[str], Page]:
    def go(who: str) -> Page:
        page.goto("/login")
        page.get_by_label("Email address").fill(server.email(who))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    return go


@pytest.fixture
def shoot() -> Callable[[Page, str], None]:
    """A full-page screenshot at desktop width and at a phone's width, to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str, **_: Any) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)  # type: ignore[arg-type]
        page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]

    return take
