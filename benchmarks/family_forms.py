"""Families online: the letters PDF for 600 students, 10,000 requests for a district, and a parent signing on a phone.

- Letters: one school of 600 students, each with an open request; the PDF as the office downloads it (a page per
  student, the form's text, the QR code drawn as vector rectangles, the short code), against a baseline made in
  the same run: the same letters with each QR code embedded as a PNG image instead.
- Requests: 10,000 students asked at once (one private link each, hashed, each row in the audit log), as the
  district-wide renewal does.
- A parent on a phone: the seconds and taps the browser test tests/e2e/test_family.py measured
  (test_a_parent_signs_on_a_phone writes test-artifacts/family-sign-on-a-phone.json); run that test first.

Run from the repository root:  .venv/bin/python -m benchmarks.family_forms [--quick] [--postgres]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from unittest import mock

import segno
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from benchmarks.machine import OtherLoad, machine
from benchmarks.seeding import office_and_students
from registry.consent_requests import letters, outreach
from registry.core.db import make_engine, new_session, unit_of_work
from registry.core.migrate import upgrade
from registry.core.settings import Settings
from registry.models.people import Person
from registry.policy.ledger import District
from registry.policy.pack import load_builtin_pack

LETTERS = 600
DISTRICT_STUDENTS = 10_000
NOW = datetime(2026, 9, 8, 14, tzinfo=UTC)
PHONE = Path("test-artifacts/family-sign-on-a-phone.json")


def seed(engine: Engine, students: int) -> None:
    upgrade(engine)
    with new_session(engine) as session:
        session.info["actor"] = "bench"
        office_and_students(
            session,
            students=students,
            now=NOW,
            fields=lambda n: {"school": f"School {n // LETTERS}", "grade": str(n % 6), "birth_date": date(2015, 1, 1)},
        )
        session.commit()


def ask(engine: Engine, district: District, settings: Settings, school: str | None) -> float:
    started = time.perf_counter()
    with unit_of_work(engine, actor="bench") as session:
        statement = select(Person)
        if school is not None:
            statement = statement.where(Person.school == school)
        students = list(session.exec(statement.order_by(col(Person.id))))
        outreach.ask_families(
            session,
            students=students,
            kind="image_release",
            language="en",
            group_id=None,
            send_email=False,
            requested_by_id=1,
            district=district,
            settings=settings,
        )
    return time.perf_counter() - started


def png_qr(pdf: object, data: str, *, x: float, y: float, size: float) -> None:
    """The baseline: the QR code as a PNG image on the page."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="png", scale=4, border=0)
    out.seek(0)
    pdf.image(out, x=x, y=y, w=size, h=size)  # type: ignore[attr-defined]


def timed(make: Callable[[], bytes], samples: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(samples):
        started = time.perf_counter()
        size = len(make())
        times.append(time.perf_counter() - started)
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of the letters instead of three")
    parser.add_argument("--postgres", action="store_true", help="the district's requests on PostgreSQL too")
    args = parser.parse_args()
    samples = 1 if args.quick else 3
    district_size = DISTRICT_STUDENTS
    district = District(load_builtin_pack("litchfield-4118.51"), "America/New_York", clock=lambda: NOW)
    print(machine())
    load = OtherLoad()
    rows: list[str] = []
    with load, tempfile.TemporaryDirectory() as folder:
        settings = Settings(environment="test", data_dir=Path(folder), secret_key="bench-" + "x" * 40)
        engine = make_engine(f"sqlite:///{Path(folder) / 'letters.db'}")
        seed(engine, LETTERS)
        ask(engine, district, settings, "School 0")

        def make() -> bytes:
            with new_session(engine) as session:
                return outreach.class_letters(
                    session, school_year=2027, district=district, settings=settings, school="School 0"
                )

        vector_s, vector_bytes = timed(make, samples)
        with mock.patch.object(letters, "draw_qr", png_qr):
            png_s, png_bytes = timed(make, samples)
        engine.dispose()
        print(f"\nLetters for {LETTERS} students, a page each ({samples} runs; median)")
        print("| QR code drawn as | seconds | size | per letter |")
        print("|---|---|---|---|")
        print(
            f"| vector rectangles (the service) | {vector_s:.1f} s | {vector_bytes / 1024:.0f} KiB | "
            f"{vector_s / LETTERS * 1000:.1f} ms |"
        )
        print(
            f"| a PNG image (baseline) | {png_s:.1f} s | {png_bytes / 1024:.0f} KiB | {png_s / LETTERS * 1000:.1f} ms |"
        )

        databases = {"SQLite": f"sqlite:///{Path(folder) / 'district.db'}"}
        for name, url in databases.items():
            engine = make_engine(url)
            seed(engine, district_size)
            seconds = ask(engine, district, settings, None)
            rows.append(f"| {name} | {district_size:,} | {seconds:.1f} s | {seconds / district_size * 1000:.2f} ms |")
            engine.dispose()
        if args.postgres:
            from benchmarks.service import fresh_postgres

            with fresh_postgres() as url:
                engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://"))
                seed(engine, district_size)
                seconds = ask(engine, district, settings, None)
                rows.append(
                    f"| PostgreSQL | {district_size:,} | {seconds:.1f} s | {seconds / district_size * 1000:.2f} ms |"
                )
                engine.dispose()
    print("\nA request per student for a whole district (one transaction, each request in the audit log)")
    print("| database | students | seconds | per request |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    if PHONE.exists():
        phone = json.loads(PHONE.read_text())
        print(
            f"\nA parent signing on a phone (390 px, from the browser test): {phone['seconds']} s from opening the "
            f"link to the receipt, {phone['taps']} taps, typing the date of birth and a name."
        )
    else:
        print(f"\n{PHONE} not found: run tests/e2e/test_family.py -k phone first for the parent's taps and seconds.")
    print(load.sentence())


if __name__ == "__main__":
    main()
