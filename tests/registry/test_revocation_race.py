"""A revocation that lands while a photo is being decided on PostgreSQL never loses its takedown."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.clearances.check import Clearing, PhotoCheck
from registry.clearances.service import clear_photo
from registry.consents import service as consents
from registry.consents.schemas import ConsentCreate
from registry.core.db import new_session, unit_of_work
from registry.core.settings import Settings
from registry.faces import enrolment
from registry.faces.templates import TemplateCache
from registry.models.takedowns import Takedown
from registry.people import service as people
from registry.people.schemas import PersonCreate
from registry.policy import load_builtin_pack
from tests.conftest import FACES, PASSWORD, fresh_database
from tests.district import DISTRICT


@pytest.fixture
def pg_engine(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database("postgresql", tmp_path, prefix="registry_race") as engine:
        yield engine


def _school(engine: Engine, settings: Settings) -> tuple[int, int, int]:
    with unit_of_work(engine) as session:
        office = accounts.add_user(
            session,
            data=UserCreate(
                email="office@district.example.org", full_name="Office", role="office_staff", password=PASSWORD
            ),
        )
        coach = accounts.add_user(
            session,
            data=UserCreate(email="coach@district.example.org", full_name="Coach", role="employee", password=PASSWORD),
        )
        student = people.add_person(session, data=PersonCreate(external_id="S-1", kind="student", name="Barack Obama"))
        form = {
            "person_id": student.id,
            "status": "granted",
            "signer_name": "Parent",
            "signer_relationship": "parent",
            "signed_on": str(date.today() - timedelta(days=10)),
        }
        consents.record_consent(
            session,
            entered_by_id=office.id or 0,
            district=DISTRICT,
            data=ConsentCreate.model_validate({**form, "kind": "biometric"}),
        )
        release = consents.record_consent(
            session,
            entered_by_id=office.id or 0,
            district=DISTRICT,
            data=ConsentCreate.model_validate({**form, "kind": "image_release", "scopes": ["personal_social_media"]}),
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
        return office.id or 0, coach.id or 0, release.id or 0


def _someone_waits_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(waiting.scalar())


@pytest.mark.postgres
def test_a_revocation_waits_for_the_decision_in_flight_and_then_takes_it_down(pg_engine: Engine, tmp_path: Path):
    settings = Settings(environment="test", data_dir=tmp_path)
    office_id, coach_id, consent_id = _school(pg_engine, settings)
    deciding = new_session(pg_engine, expire_on_commit=False)
    coach = accounts.get_user(deciding, coach_id)
    clearance = clear_photo(
        deciding,
        PhotoCheck(
            uploader=coach,
            destination="personal_social_media",
            event_id=None,
            context_kind="classroom",
            context_public=False,
            tags=tuple([]),
            caption=None,
        ),
        (FACES / "people/obama/obama-720p.jpg").read_bytes(),
        using=Clearing(settings=settings, pack=load_builtin_pack("litchfield-4118.51"), templates=TemplateCache()),
    )
    assert clearance.decision == "allowed"  # decided, not yet committed

    def revoke() -> None:
        with unit_of_work(pg_engine) as session:
            consents.revoke_consent(
                session,
                consent=consents.get_consent(session, consent_id),
                reason="Parent phoned",
                revoked_by_id=office_id,
                district=DISTRICT,
            )

    revoking = threading.Thread(target=revoke)
    revoking.start()
    for _ in range(600):  # bounded: at most about 30 s
        if _someone_waits_on_a_lock(pg_engine):
            break
        assert revoking.is_alive(), "the revocation went through without waiting for the decision in flight"
        time.sleep(0.05)
    else:
        raise AssertionError("the revocation neither waited nor finished")
    deciding.commit()
    deciding.close()
    revoking.join(timeout=30)
    assert not revoking.is_alive()
    with new_session(pg_engine) as session:
        takedowns = session.exec(select(Takedown).where(Takedown.consent_id == consent_id)).all()
        assert [t.clearance_id for t in takedowns] == [clearance.id]
