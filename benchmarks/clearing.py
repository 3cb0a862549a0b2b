"""The service's real clearing path for the precision benchmark, in this process, on a real database.

A migrated SQLite file holds an office account, a teacher (an employee of the school, with an
account) and the students of one school, each with a parent's biometric consent and image release
for personal social media and one reference photo enrolled through the service's own enrolment.
Every photo is cleared by ``registry.clearances.service.clear_photo`` (the function the API, the
pages and the albums call) as a classroom photo posted on the teacher's personal social media,
under the district's active pack: whatever the face-finding stage is, this measures it.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from media.faces import Box
from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.clearances.check import Clearing, PhotoCheck
from registry.clearances.service import clear_photo, faces_of
from registry.consents import service as consents
from registry.consents.schemas import ConsentCreate
from registry.core.db import make_engine, unit_of_work
from registry.core.errors import Invalid
from registry.core.migrate import upgrade
from registry.core.settings import Settings
from registry.faces.enrolment import enrol_face
from registry.faces.templates import TemplateCache
from registry.models.accounts import User
from registry.people import service as people
from registry.people.schemas import PersonCreate
from registry.policy.ledger import District
from registry.policy.pack import load_active_pack

SCHOOL = "Maple Street Elementary"
PASSWORD = "benchmark password"
MS = re.compile(r"(\d+(?:\.\d+)?)\s*ms")


@dataclass(frozen=True)
class Student:
    key: str  # who: the same key for every photo of one person
    references: tuple[bytes, ...]  # the photo enrolled (another than those cleared), or the next if refused


@dataclass
class Cleared:
    decision: str
    people: list[int | None]  # per face found: the person matched, or None
    boxes: list[Box]
    searches: list[str]
    reasons: list[str]
    wall: float
    cpu: float

    def stages(self) -> dict[str, float]:
        """Milliseconds by stage, where the searches record them (``"name ... 12 ms"``)."""
        found: dict[str, float] = defaultdict(float)
        for search in self.searches:
            match = MS.search(search)
            if match:
                found[re.split(r"[@ (:]", search.strip(), maxsplit=1)[0]] += float(match.group(1))
        return dict(found)


@dataclass
class School:
    folder: Path
    engine: object = None
    settings: Settings | None = None
    teacher_id: int = 0
    enrolled: dict[str, int] = field(default_factory=dict)  # student key -> person id
    not_enrolled: dict[str, str] = field(default_factory=dict)  # student key -> why
    templates: TemplateCache = field(default_factory=TemplateCache)

    def clear(self, photo: bytes) -> Cleared:
        assert self.settings is not None
        pack = load_active_pack(self.settings.policy_pack)
        using = Clearing(settings=self.settings, pack=pack, templates=self.templates)
        with unit_of_work(self.engine, actor="bench") as session:  # type: ignore[arg-type]
            teacher = session.get(User, self.teacher_id)
            assert teacher is not None
            check = PhotoCheck(
                uploader=teacher, destination="personal_social_media", context_kind="classroom", context_public=False
            )
            wall, cpu = time.perf_counter(), time.process_time()
            clearance = clear_photo(session, check, photo, using=using)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            faces = faces_of(session, int(clearance.id or 0))
            return Cleared(
                decision=clearance.decision,
                people=[face.person_id for face in faces],
                boxes=[Box(top=f.box_top, right=f.box_right, bottom=f.box_bottom, left=f.box_left) for f in faces],
                searches=list(clearance.searches),
                reasons=list(clearance.review_reasons),
                wall=wall,
                cpu=cpu,
            )


def open_school(folder: Path, students: list[Student]) -> School:
    """The school's database, seeded through the service's own functions."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{folder / 'registry.db'}")
    upgrade(engine)
    settings = Settings(environment="test", data_dir=folder)
    district = District(load_active_pack(settings.policy_pack), settings.time_zone)
    school = School(folder=folder, engine=engine, settings=settings)
    signed = date.today() - timedelta(days=30)
    with unit_of_work(engine, actor="bench") as session:
        office = accounts.add_user(
            session,
            data=UserCreate(
                email="office@school.example.org", full_name="Office", role="office_staff", password=PASSWORD
            ),
        )
        staff = people.add_person(
            session, data=PersonCreate(external_id="T-1", kind="employee", name="Ms Teacher", school=SCHOOL)
        )
        teacher = accounts.add_user(
            session,
            data=UserCreate(
                email="teacher@school.example.org",
                full_name="Ms Teacher",
                role="employee",
                password=PASSWORD,
                person_id=staff.id,
            ),
        )
        school.teacher_id = int(teacher.id or 0)
    for n, student in enumerate(students):
        with unit_of_work(engine, actor="bench") as session:
            office_user = session.get(User, int(office.id or 0))
            assert office_user is not None
            person = people.add_person(
                session,
                data=PersonCreate(
                    external_id=f"S-{n}", kind="student", name=f"Student {n:03d}", school=SCHOOL, grade="5"
                ),
            )
            for kind, scopes in (("biometric", []), ("image_release", ["personal_social_media"])):
                consents.record_consent(
                    session,
                    data=ConsentCreate(
                        person_id=int(person.id or 0),
                        kind=kind,
                        status="granted",
                        scopes=scopes,
                        signer_name=f"Parent {n:03d}",
                        signer_relationship="parent",
                        signed_on=signed,
                    ),
                    entered_by_id=int(office_user.id or 0),
                    district=district,
                )
            school.enrolled[student.key] = int(person.id or 0)
        for reference in student.references:
            try:
                with unit_of_work(engine, actor="bench") as session:
                    office_user = session.get(User, int(office.id or 0))
                    person = people.get_person(session, school.enrolled[student.key])
                    assert office_user is not None
                    enrol_face(
                        session,
                        person=person,
                        photo=reference,
                        face_index=None,
                        created_by=office_user,
                        settings=settings,
                        district=district,
                    )
                school.not_enrolled.pop(student.key, None)
                break
            except Invalid as refused:
                school.not_enrolled[student.key] = str(refused)
    return school
