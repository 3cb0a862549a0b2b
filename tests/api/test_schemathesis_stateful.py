"""Stateful Schemathesis: sequences of calls that follow the OpenAPI document's links (a person made by POST
/people is then read, changed and given consents; an event made is read and changed; an account made is
read and changed...), signed in as an administrator. No answer along the way may be a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as fuzzing
from schemathesis.checks import not_a_server_error

EXPECTED_LINKS = {
    "POST /api/v1/people -> GET /api/v1/people/{person_id}",
    "POST /api/v1/people -> PATCH /api/v1/people/{person_id}",
    "POST /api/v1/people -> POST /api/v1/people/{person_id}/faces",
    "POST /api/v1/consents -> GET /api/v1/consents/{consent_id}",
    "POST /api/v1/consents -> POST /api/v1/consents/{consent_id}/revoke",
    "POST /api/v1/consents -> POST /api/v1/consents/{consent_id}/evidence",
    "POST /api/v1/events -> GET /api/v1/events/{event_id}",
    "POST /api/v1/users -> GET /api/v1/users/{user_id}",
    "POST /api/v1/users -> PATCH /api/v1/users/{user_id}",
    "POST /api/v1/groups -> PUT /api/v1/groups/{group_id}",
    "POST /api/v1/clearances -> GET /api/v1/clearances/{clearance_id}",
}
STEPS = 40  # examples of up to 6 calls each: about half a minute on a shared two-core machine


def links_of(schema) -> set[str]:
    """Every link the state machine can follow, as 'SOURCE -> TARGET'."""
    machine = schema.as_state_machine()
    transitions = machine._transitions.operations.values()  # the installed version keeps them here
    return {f"{link.source.label} -> {link.target.label}" for t in transitions for link in t.incoming}


@pytest.mark.slow
def test_call_sequences_along_the_documents_links_never_meet_a_server_error(app, make_user):
    headers = make_user("admin")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    links = links_of(schema)
    assert links >= EXPECTED_LINKS, sorted(EXPECTED_LINKS - links)

    followed: list[str] = []  # calls whose path or body came from an earlier answer, through a link

    class Workflow(schema.as_state_machine()):
        def step(self, input):
            if input.transition is not None and input.is_applied:
                followed.append(input.case.operation.label)
            return super().step(input)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=[not_a_server_error], transport_kwargs=kwargs or None)

    Workflow.run(
        settings=fuzzing(
            max_examples=STEPS,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    assert len(followed) >= 10 and len(set(followed)) >= 3, followed  # links were followed, to several places
