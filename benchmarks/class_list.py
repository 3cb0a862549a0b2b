"""The class list of a school of 600 students: how long the list and its PDF take.

600 students in one school, one reference thumbnail each (a 96 px JPEG), and a realistic mix of
forms: a grant in force, a refusal, no form, a grant superseded by a later refusal, a grant that ran
out. Timed in the same run: the class list as the service makes it (every form of the list in one
query, each student read by the ledger) against a baseline that reads each student on their own
(`standing.read_standing`, one query per student, as the person's page does), and the PDF.

Run from the repository root:  .venv/bin/python -m benchmarks.class_list [--quick] [--postgres]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from PIL import Image
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from benchmarks.machine import OtherLoad, machine
from benchmarks.seeding import office_and_students
from registry.consents import standing
from registry.core.db import make_engine, new_session
from registry.core.migrate import upgrade
from registry.groups import class_list
from registry.groups.class_list_pdf import class_list_pdf
from registry.models.consents import Consent
from registry.models.faces import FaceTemplate
from registry.models.people import Person
from registry.policy.ledger import District, Standing
from registry.policy.pack import load_builtin_pack

STUDENTS = 600
SCHOOL = "Lincoln High"
SIGNED = date(2026, 9, 2)
NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)
DESTINATION = "personal_social_media"


def _thumbnail(n: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 96), ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256)).save(out, "JPEG", quality=85)
    return out.getvalue()


def _form(person_id: int, status: str, signed: date, until: date | None) -> dict[str, object]:
    return {
        "person_id": person_id,
        "kind": "image_release",
        "status": status,
        "scopes": [DESTINATION] if status == "granted" else [],
        "signer_name": "Parent",
        "signer_relationship": "parent",
        "signed_on": signed,
        "valid_from": signed,
        "valid_until": until,
        "entered_by_id": 1,
        "created_at": NOW,
    }


def seed(engine: Engine) -> None:
    upgrade(engine)
    with new_session(engine) as session:
        session.info["actor"] = "bench"
        office_and_students(
            session, students=STUDENTS, now=NOW, fields=lambda n: {"school": SCHOOL, "grade": str(9 + n % 4)}
        )
        forms = []
        for n in range(STUDENTS):
            person_id, kind = n + 1, n % 10
            if kind < 4:
                forms.append(_form(person_id, "granted", SIGNED, date(2027, 6, 30)))
            elif kind < 6:
                forms.append(_form(person_id, "refused", SIGNED, None))
            elif kind == 7:
                forms.append(_form(person_id, "granted", SIGNED, date(2027, 6, 30)))
                forms.append(_form(person_id, "refused", date(2026, 10, 3), None))
            elif kind == 8:
                forms.append(_form(person_id, "granted", date(2025, 9, 2), date(2026, 6, 30)))
            # kind 6 and 9: no form
        session.execute(insert(Consent), forms)
        session.execute(
            insert(FaceTemplate),
            [
                {
                    "person_id": n + 1,
                    "encoding": b"\0" * 1024,
                    "model": "bench",
                    "box_top": 0,
                    "box_right": 96,
                    "box_bottom": 96,
                    "box_left": 0,
                    "source_width": 96,
                    "source_height": 96,
                    "thumbnail": _thumbnail(n),
                    "created_by_id": 1,
                    "created_at": NOW,
                }
                for n in range(STUDENTS)
            ],
        )
        session.commit()


def one_by_one(session: Session, students: list[Person], district: District) -> list[int]:
    """The baseline: each student's record loaded and read on its own."""
    return [
        int(p.id or 0)
        for p in students
        if standing.read_standing(session, p, kind="image_release", destination=DESTINATION, district=district).standing
        is not Standing.GRANTED
    ]


def measure(engine: Engine, district: District, samples: int) -> dict[str, float]:
    listed, baseline, pdf, sizes = [], [], [], []
    for _ in range(samples):
        with new_session(engine) as session:
            start = time.perf_counter()
            students = class_list.students_of_school(session, SCHOOL)
            listing = class_list.class_list(
                session, title=SCHOOL, students=students, destination=DESTINATION, district=district
            )
            listed.append(time.perf_counter() - start)
            start = time.perf_counter()
            document = class_list_pdf(session, listing)
            pdf.append(time.perf_counter() - start)
            sizes.append(len(document))
        with new_session(engine) as session:
            start = time.perf_counter()
            naive = one_by_one(session, class_list.students_of_school(session, SCHOOL), district)
            baseline.append(time.perf_counter() - start)
        assert naive == [s.person_id for s in listing.listed], "the two readings differ"
    return {
        "listed": len(listing.listed),
        "list": statistics.median(listed),
        "baseline": statistics.median(baseline),
        "pdf": statistics.median(pdf),
        "pdf_bytes": statistics.median(sizes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--postgres", action="store_true", help="also on a fresh PostgreSQL")
    args = parser.parse_args()
    samples = 3 if args.quick else 9
    district = District(load_builtin_pack("litchfield-4118.51"), "UTC", clock=lambda: NOW)
    print(machine())
    results = {}
    load = OtherLoad()
    with load, tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'registry.db'}")
        seed(engine)
        results["SQLite"] = measure(engine, district, samples)
        engine.dispose()
        if args.postgres:
            from benchmarks.service import fresh_postgres

            with fresh_postgres() as url:
                engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://"))
                seed(engine)
                results["PostgreSQL"] = measure(engine, district, samples)
                engine.dispose()
    print(f"\nClass list of a school of {STUDENTS} students, one thumbnail each ({samples} runs; median)")
    print("| database | students listed | class list | one student at a time | ratio | PDF | PDF size |")
    print("|---|---|---|---|---|---|---|")
    for database, r in results.items():
        print(
            f"| {database} | {r['listed']:.0f} | {r['list'] * 1000:.0f} ms | {r['baseline'] * 1000:.0f} ms | "
            f"{r['baseline'] / r['list']:.1f}x | {r['pdf'] * 1000:.0f} ms | {r['pdf_bytes'] / 1024:.0f} KiB |"
        )
    print(load.sentence())


if __name__ == "__main__":
    main()
