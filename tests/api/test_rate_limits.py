"""Rate limits on sign-in and uploads (per address and per account), and the lockout behind them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.ratelimit import SlidingWindow
from tests.conftest import PASSWORD

NOT_A_PHOTO = ("photo.jpg", b"plain text, not a photo", "image/jpeg")
FORM = {"destination": "personal_social_media", "context_kind": "classroom", "context_public": "false"}


@pytest.fixture
def limited(settings, connection) -> Iterator[Callable[..., TestClient]]:
    """A client of an app whose limits are set by the test (the others stay generous)."""
    clients: list[TestClient] = []

    def make(**limits: int) -> TestClient:
        app = create_app(settings.model_copy(update={f"rate_limit_{k}": v for k, v in limits.items()}), bind=connection)
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
    one_worker, another_worker = limited(), limited()  # each app has its own in-process limits
    for _ in range(settings.login_max_failures):
        assert sign_in(one_worker, email, "wrong password!").status_code == 401
    locked = sign_in(another_worker, email)
    assert locked.status_code == 429 and "locked" in locked.json()["detail"]


def test_the_window_slides_and_refused_requests_are_not_counted():
    now = [1000.0]
    window = SlidingWindow(window=60, clock=lambda: now[0])
    assert window.hit("a", 2) is None
    now[0] += 30
    assert window.hit("a", 2) is None
    assert window.hit("a", 2) == pytest.approx(30)  # the first hit leaves the window in 30 s
    assert window.hit("b", 2) is None  # keys are counted apart
    now[0] += 29
    assert window.hit("a", 2) == pytest.approx(1)
    now[0] += 1
    assert window.hit("a", 2) is None  # refused hits did not extend the wait
    assert window.hit("a", 2) == pytest.approx(30)


def test_idle_keys_are_forgotten():
    now = [0.0]
    window = SlidingWindow(window=10, clock=lambda: now[0])
    for n in range(1000):
        window.hit(f"sprayed-{n}", 5)
    now[0] += 11
    window.hit("later", 5)
    assert len(window._hits) == 1
