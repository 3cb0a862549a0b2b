"""Rate limits on sign-in and uploads (per address and per account), and the lockout behind them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.accounts import security
from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.core.db import make_engine, unit_of_work
from registry.core.migrate import upgrade
from tests.api.family_helpers import add_student, ask, open_link, prove
from tests.api.rate_windows import within_one_window
from tests.conftest import PASSWORD

NOT_A_PHOTO = ("photo.jpg", b"plain text, not a photo", "image/jpeg")
FORM = {"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"}


@pytest.fixture
def limited(settings, connection) -> Iterator[Callable[..., TestClient]]:
    """A client of an app whose limits are set by the test (the others stay generous)."""
    clients: list[TestClient] = []

    def make(**limits: int) -> TestClient:
        update = {"rate_limit_window_seconds": within_one_window(), **{f"rate_limit_{k}": v for k, v in limits.items()}}
        app = create_app(settings.model_copy(update=update), bind=connection)
        clients.append(TestClient(app).__enter__())
        return clients[-1]

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def sign_in(client: TestClient, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def assert_throttled(response, words: str) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) >= 1
    assert words in response.json()["detail"] and "wait" in response.json()["detail"]


def test_one_address_may_try_only_so_many_sign_ins(limited, make_user):
    make_user("employee")
    client = limited(sign_in_per_client=3)
    for n in range(3):
        assert sign_in(client, f"someone{n}@district.example.org").status_code == 401
    assert_throttled(sign_in(client, "employee0@district.example.org"), "sign-in")


def test_one_account_may_be_tried_only_so_many_times_however_its_name_is_spelled(limited, make_user):
    make_user("employee")
    make_user("office_staff")
    client = limited(sign_in_per_account=2)
    assert sign_in(client, "employee0@district.example.org", "wrong password!").status_code == 401
    assert sign_in(client, "employee0@district.example.org").status_code == 200
    assert_throttled(sign_in(client, " Employee0@District.example.org "), "sign-in")
    assert sign_in(client, "office_staff1@district.example.org").status_code == 200


def test_sign_in_sent_as_multipart_still_counts_against_the_address(limited, make_user):
    make_user("employee")
    client = limited(sign_in_per_client=1)
    form = {"username": (None, "employee0@district.example.org"), "password": (None, PASSWORD)}
    assert client.post("/api/v1/auth/token", files=form).status_code == 200
    assert_throttled(client.post("/api/v1/auth/token", files=form), "sign-in")


def test_the_per_account_limit_counts_sign_ins_sent_as_multipart(limited, make_user):
    make_user("employee")
    client = limited(sign_in_per_account=2)
    form = {"username": (None, "Employee0@district.example.org"), "password": (None, "not the password")}
    for _ in range(2):
        assert client.post("/api/v1/auth/token", files=form).status_code == 401
    throttled = client.post("/api/v1/auth/token", files=form)
    assert throttled.status_code == 429 and "sign-in" in throttled.json()["detail"]
    page = client.post("/login", files={"email": (None, "employee0@district.example.org"), "password": (None, "x")})
    assert page.status_code == 429


def test_a_sign_in_form_padded_past_any_real_size_is_refused(limited):
    client = limited(sign_in_per_account=2)
    padded = {"username": (None, "pat@district.example.org"), "password": (None, "x"), "pad": (None, "x" * 20_000)}
    assert client.post("/api/v1/auth/token", files=padded).status_code == 413


def test_uploads_are_limited_per_account(limited, make_user):
    first, second = make_user("employee"), make_user("employee")
    client = limited(uploads_per_account=2)
    for _ in range(2):
        assert (
            client.post("/api/v1/clearances", data=FORM, files={"photo": NOT_A_PHOTO}, headers=first).status_code == 415
        )
    assert_throttled(
        client.post("/api/v1/clearances", data=FORM, files={"photo": NOT_A_PHOTO}, headers=first), "uploads"
    )
    assert client.post("/api/v1/clearances", data=FORM, files={"photo": NOT_A_PHOTO}, headers=second).status_code == 415
    assert client.get("/api/v1/clearances", headers=first).status_code == 200  # reading is not limited


def test_uploads_are_limited_per_address_across_accounts_and_upload_routes(limited, make_user):
    office = make_user("office_staff")
    employee = make_user("employee")
    client = limited(uploads_per_client=2)
    person = client.post(
        "/api/v1/people", json={"external_id": "S-1", "kind": "student", "name": "A Student"}, headers=office
    ).json()["id"]
    assert (
        client.post(f"/api/v1/people/{person}/faces", files={"photo": NOT_A_PHOTO}, headers=office).status_code == 403
    )  # no biometric consent yet; counted all the same
    assert (
        client.post("/api/v1/clearances", data=FORM, files={"photo": NOT_A_PHOTO}, headers=employee).status_code == 415
    )
    assert_throttled(
        client.post("/api/v1/clearances/", data=FORM, files={"photo": NOT_A_PHOTO}, headers=employee), "uploads"
    )
    assert_throttled(
        client.post(f"/api/v1/people/{person}/faces", files={"photo": NOT_A_PHOTO}, headers=office), "uploads"
    )


def test_the_lockout_is_kept_in_the_database_so_every_worker_enforces_it(limited, make_user, settings):
    make_user("employee")
    email = "employee0@district.example.org"
    one_worker, another_worker = limited(), limited()
    for _ in range(settings.login_max_failures):
        assert sign_in(one_worker, email, "wrong password!").status_code == 401
    locked = sign_in(another_worker, email)
    assert locked.status_code == 429 and "locked" in locked.json()["detail"]


def test_every_worker_and_host_counts_against_the_same_limits(limited, make_user):
    """Two apps on one database stand for two processes or two hosts behind a proxy: one count between them."""
    employee = make_user("employee")
    one, other = (
        limited(uploads_per_account=3, sign_in_per_client=3),
        limited(uploads_per_account=3, sign_in_per_client=3),
    )
    for client in (one, other, one):
        sent = client.post("/api/v1/clearances", data=FORM, files={"photo": NOT_A_PHOTO}, headers=employee)
        assert sent.status_code == 415
    assert_throttled(
        other.post("/api/v1/clearances", data=FORM, files={"photo": NOT_A_PHOTO}, headers=employee), "uploads"
    )
    for client in (other, one, other):
        assert sign_in(client, "nobody@district.example.org", "wrong password!").status_code == 401
    assert_throttled(sign_in(one, "nobody@district.example.org"), "sign-in")


@pytest.fixture
def behind_proxy(settings, connection) -> Iterator[Callable[..., TestClient]]:
    """A client whose requests come from `peer`, to an app trusting the proxies in `trusted`."""
    clients: list[TestClient] = []

    def make(peer: str, *, trusted: str = "", **limits: int) -> TestClient:
        update = {
            "trusted_proxies": trusted,
            "rate_limit_window_seconds": within_one_window(),
            **{f"rate_limit_{k}": v for k, v in limits.items()},
        }
        app = create_app(settings.model_copy(update=update), bind=connection)
        clients.append(TestClient(app, client=(peer, 40000)).__enter__())
        return clients[-1]

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def from_(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def test_a_client_cannot_pick_its_own_address_when_no_proxy_is_trusted(behind_proxy):
    client = behind_proxy("198.51.100.20", sign_in_per_client=2)
    for n in range(2):
        forged = {"username": "x@district.example.org", "password": "wrong"}
        assert client.post("/api/v1/auth/token", data=forged, headers=from_(f"192.0.2.{n}")).status_code == 401
    assert_throttled(client.post("/api/v1/auth/token", data=forged, headers=from_("192.0.2.99")), "sign-in")


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(behind_proxy, make_user):
    employee = make_user("employee")
    proxy = behind_proxy("10.0.0.5", trusted="10.0.0.0/24", uploads_per_client=2)
    other_proxy = behind_proxy("10.0.0.6", trusted="10.0.0.0/24", uploads_per_client=2)

    def upload(client: TestClient, forwarded: str) -> int:
        headers = {**employee, **from_(forwarded)}
        return client.post("/api/v1/clearances", data=FORM, files={"photo": NOT_A_PHOTO}, headers=headers).status_code

    assert upload(proxy, "203.0.113.7") == 415
    assert upload(other_proxy, "203.0.113.7") == 415  # the same client through either proxy: one count
    assert upload(proxy, "203.0.113.7") == 429
    # Whatever the client writes itself stands left of what the proxy appended, and is not believed.
    assert upload(proxy, "192.0.2.1, 203.0.113.7") == 429
    assert upload(proxy, "198.51.100.9") == 415  # another client behind the same proxy is not held back


def test_wrong_passwords_are_counted_against_the_forwarded_client(behind_proxy, make_user, settings):
    make_user("employee")
    email = "employee0@district.example.org"
    proxy = behind_proxy("10.0.0.5", trusted="10.0.0.5")
    for _ in range(settings.login_max_failures):
        wrong = proxy.post(
            "/api/v1/auth/token", data={"username": email, "password": "nope"}, headers=from_("203.0.113.7")
        )
        assert wrong.status_code == 401
    locked = proxy.post(
        "/api/v1/auth/token", data={"username": email, "password": PASSWORD}, headers=from_("203.0.113.7")
    )
    assert locked.status_code == 429 and "locked" in locked.json()["detail"]
    # The owner, elsewhere behind the same proxy, signs in: the guesser's address alone waits.
    owner = proxy.post(
        "/api/v1/auth/token", data={"username": email, "password": PASSWORD}, headers=from_("198.51.100.9")
    )
    assert owner.status_code == 200


def test_a_family_page_counts_its_tries_without_waiting_on_its_own_transaction(settings, tmp_path):
    """On its own SQLite file (not a test's shared connection) every transaction holds the write lock: the
    date-of-birth page counts its tries in the request's transaction, not in a second one that would wait."""
    engine = make_engine(f"sqlite:///{tmp_path / 'own.db'}")
    upgrade(engine)
    with unit_of_work(engine, actor="test") as session:
        office = accounts.add_user(
            session,
            data=UserCreate(
                email="office@district.example.org", full_name="Office", role="office_staff", password=PASSWORD
            ),
        )
    token, _ = security.issue_access_token(user_id=office.id or 0, secret=settings.secret_key, minutes=5)
    headers = {"Authorization": f"Bearer {token}"}
    limited = settings.model_copy(update={"rate_limit_birth_date_per_client": 2})
    with TestClient(create_app(limited, bind=engine, warm_start=False)) as client:
        people = [add_student(client, headers, f"S-O{n}", f"Own File {n}") for n in range(2)]
        pages = [open_link(client, ask(client, headers, person_id=p)["items"][0]["url"]) for p in people]
        assert prove(client, pages[0], {"day": "1", "month": "1", "year": "2001"}).status_code == 422
        assert prove(client, pages[1], {"day": "1", "month": "1", "year": "2001"}).status_code == 422
        assert prove(client, pages[1]).status_code == 429  # the third date from this address, on any link
    engine.dispose()
