"""Eight undos of one reviewer's act at once, each in its own transaction, on SQLite and PostgreSQL:
exactly one takes the act back; the others are refused (their last act is now the undo)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.clearances import reviews
from registry.clearances.check import Clearing, PhotoCheck
from registry.clearances.schemas import ClearanceReviewRequest
from registry.clearances.service import clear_photo
from registry.consents import service as consents
from registry.consents.schemas import ConsentCreate
from registry.core.db import new_session, unit_of_work
from registry.core.errors import Conflict
from registry.core.settings import Settings
from registry.faces import enrolment
from registry.faces.templates import TemplateCache
from registry.models.clearances import Clearance, ClearanceReview
from registry.people import service as people
from registry.people.schemas import PersonCreate
from registry.policy import load_builtin_pack
from registry.trust.audit_log import verify
from tests.conftest import FACES, PASSWORD, fresh_database
from tests.district import DISTRICT

UNDOS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database that several transactions can share (the tests' own roll everything back)."""
    with fresh_database(request.param, tmp_path, prefix="registry_undo") as engine:
        yield engine


def _an_act_to_undo(engine: Engine, tmp_path: Path) -> tuple[int, int]:
    """A photo a reviewer has just settled (the face named): (clearance id, reviewer id)."""
    settings = Settings(environment="test", data_dir=tmp_path / "data", match_threshold=0.2)
    with unit_of_work(engine) as session:
        add = accounts.add_user
        office = add(
            session, data=UserCreate(email="o@d.org", full_name="Office", role="office_staff", password=PASSWORD)
        )
        coach = add(session, data=UserCreate(email="c@d.org", full_name="Coach", role="employee", password=PASSWORD))
        rita = add(session, data=UserCreate(email="r@d.org", full_name="Rita", role="reviewer", password=PASSWORD))
        student = people.add_person(session, data=PersonCreate(external_id="S-1", kind="student", name="Barack Obama"))
        consents.record_consent(
            session,
            entered_by_id=office.id or 0,
            district=DISTRICT,
            data=ConsentCreate.model_validate(
                {
                    "person_id": student.id,
                    "kind": "biometric",
                    "status": "granted",
                    "signer_name": "Parent",
                    "signer_relationship": "parent",
                    "signed_on": str(date.today() - timedelta(days=10)),
                }
            ),
        )
        enrolment.enrol_face(
            session,
            person=student,
            photo=(FACES / "people/obama/obama-portrait.jpg").read_bytes(),
            face_index=None,
            created_by=office,
            settings=settings,
            district=DISTRICT,
        )
        clearance = clear_photo(
            session,
            PhotoCheck(
                uploader=coach,
                destination="personal_social_media",
                event_id=None,
                context_kind="classroom",
                context_public=False,
            ),
            (FACES / "people/obama/obama-2.jpg").read_bytes(),
            using=Clearing(settings=settings, pack=load_builtin_pack("litchfield-4118.51"), templates=TemplateCache()),
        )
        assert clearance.decision == "needs_review"  # a possible match: the reviewer's to settle
        act = ClearanceReviewRequest.model_validate({"faces": [{"index": 0, "resolution": "reject"}]})
        reviews.review_clearance(session, clearance=clearance, reviewer=rita, data=act, district=DISTRICT)
        assert clearance.decision == "blocked"
        return int(clearance.id or 0), int(rita.id or 0)


def test_eight_undos_at_once_take_the_act_back_once(engine: Engine, tmp_path: Path) -> None:
    clearance_id, reviewer_id = _an_act_to_undo(engine, tmp_path)
    start = threading.Barrier(UNDOS)
    outcomes: list[str] = []

    # SQLite lets one transaction in at a time (BEGIN IMMEDIATE): they all start together. On PostgreSQL every
    # undo has read the photo and the act before any of them writes.
    serial = engine.dialect.name == "sqlite"

    def undo() -> None:
        try:
            if serial:
                start.wait(timeout=60)
            with unit_of_work(engine) as session:
                clearance = session.get(Clearance, clearance_id)
                reviewer = accounts.get_user(session, reviewer_id)
                assert clearance is not None
                if not serial:
                    start.wait(timeout=60)
                reviews.undo_last_act(session, clearance=clearance, reviewer=reviewer, since=None, district=DISTRICT)
            outcomes.append("undone")
        except Conflict:
            outcomes.append("refused")
        except Exception as exc:  # anything else is a failure of the test, not an outcome
            outcomes.append(f"error: {exc!r}")

    threads = [threading.Thread(target=undo) for _ in range(UNDOS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["refused"] * (UNDOS - 1) + ["undone"], outcomes
    with new_session(engine) as session:
        acts = session.exec(
            select(ClearanceReview)
            .where(ClearanceReview.clearance_id == clearance_id)
            .order_by(col(ClearanceReview.id))
        ).all()
        assert [a.resolution for a in acts] == ["reject", "undo"]
        clearance = session.get(Clearance, clearance_id)
        assert clearance is not None and clearance.decision == "needs_review"  # as before the act
        assert verify(session).ok
