"""Schemathesis against the app's own OpenAPI document, signed in as each role in turn.

Every operation gets generated requests, valid and invalid, some aimed at records that exist;
no answer may be a 5xx and every answer must match the schema the document gives for it.
"""

from __future__ import annotations

import re
from contextlib import suppress
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as fuzzing
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api.clearance_helpers import add_person, clear, enrol, record
from tests.scan_helpers import signed_form_pdf

EXAMPLES = 8  # per operation and role, on each database: about a minute in all on a shared two-core machine
ROLES = ("employee", "reviewer", "office_staff", "admin")  # the administrator last: it can disable the others
PUBLIC = {"POST /api/v1/auth/token", "GET /healthz"}
CHECKS = [not_a_server_error, response_schema_conformance]


def seed_records(client, headers: dict[str, dict[str, str]]) -> dict[str, int]:
    """One of each kind of record, so that some requests reach real ones rather than a 404."""
    office, employee = headers["office_staff"], headers["employee"]
    person = add_person(client, office, "S-100", "student", "Barack Obama")
    enrolled = enrol(client, office, person, "people/obama/obama-portrait.jpg", signer="parent")
    consent = record(client, office, person)
    evidence = client.post(
        f"/api/v1/consents/{consent['id']}/evidence",
        headers=office,
        files={"file": ("form.pdf", signed_form_pdf(), "application/pdf")},
    )
    event = client.post(
        "/api/v1/events",
        headers=office,
        json={
            "name": "Field day",
            "kind": "sporting_event",
            "public": True,
            "starts_at": "2026-05-04T09:00:00",
            "ends_at": "2026-05-04T12:00:00",
            "location": "North field",
        },
    )
    cleared = clear(client, employee, "people/obama/obama-2.jpg")
    token = client.post("/api/v1/tokens", json={"name": "SIS sync"}, headers=headers["admin"])
    for response in (evidence, event, cleared, token):
        assert response.status_code == 201, response.text
    client.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "Parent asked"}, headers=office)
    takedowns = client.get("/api/v1/takedowns", headers=employee).json()
    return {
        "person_id": person,
        "template_id": enrolled["id"],
        "consent_id": consent["id"],
        "evidence_id": evidence.json()["evidence"][0]["id"],
        "event_id": event.json()["id"],
        "clearance_id": cleared.json()["id"],
        "index": 0,
        "token_id": token.json()["id"],
        "user_id": 1,
        "takedown_id": _first_id(takedowns),
    }


def _first_id(page: Any) -> int:
    items = page.get("items", []) if isinstance(page, dict) else page
    return int(items[0]["id"]) if items else 1


def strategy_for(operation, known: dict[str, int]) -> st.SearchStrategy:
    """Valid requests, valid requests for records that exist, and invalid requests."""
    names = set(re.findall(r"{(\w+)}", operation.path))
    choices = [operation.as_strategy()]
    if names and names <= known.keys():
        choices.append(operation.as_strategy(path_parameters={n: known[n] for n in names}))
    with suppress(Exception):  # some operations have nothing that can be made invalid
        choices.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(choices)


def run_operation(operation, strategy: st.SearchStrategy, headers: dict[str, str]) -> str | None:
    """None if every generated request was answered well, else what went wrong (shrunk by Hypothesis)."""

    @fuzzing(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        check()
    except FailureGroup as failures:
        return str(failures)[:3000]
    except Exception as error:  # noqa: BLE001 - an exception the app let out is reported like a failure
        return f"{type(error).__name__}: {error}"[:3000]
    return None


@pytest.mark.slow
def test_every_operation_answers_every_role_without_a_server_error_and_as_documented(app, client, make_user):
    headers = {role: make_user(role) for role in ROLES}
    known = seed_records(client, headers)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    problems: list[str] = []
    for role in ROLES:
        for operation in operations:
            label = f"{operation.method.upper()} {operation.path}"
            if label in PUBLIC and role != ROLES[0]:
                continue
            problem = run_operation(operation, strategy_for(operation, known), headers[role])
            if problem:
                problems.append(f"--- as {role}: {label}\n{problem}")
    assert not problems, "\n".join(problems)
