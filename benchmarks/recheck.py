"""Re-checking posted photos after an act: how many clearances one act decides again, and how long.

A district with 10,000 allowed clearances (600 students; each photo shows 1 to 4 of them) on
PostgreSQL and on SQLite. For a sample of acts (a refusal, a revocation, a departure), the act is
done in a transaction that is rolled back, and timed: the batched re-check the service uses
against a baseline in the same run that decides each affected clearance one at a time
(`decide_again`, as a reviewer's change does).

Run from the repository root:  .venv/bin/python -m benchmarks.recheck [--quick]   (--quick: 2 acts of each kind)
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from benchmarks.machine import OtherLoad, machine
from benchmarks.seeding import office_and_students
from benchmarks.service import fresh_postgres
from registry.clearances.service import decide_again
from registry.consents import service as consents
from registry.consents import standing
from registry.consents.schemas import ConsentCreate
from registry.core.db import make_engine, new_session
from registry.core.migrate import upgrade
from registry.models.clearances import Clearance, ClearanceConsent, ClearanceFace
from registry.models.consents import Consent
from registry.people import service as people
from registry.people.schemas import PersonUpdate
from registry.policy.ledger import District
from registry.policy.pack import load_builtin_pack

STUDENTS = 600
SIGNED = date(2026, 9, 2)
NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)


def seed(engine: Engine, clearances: int, rng: random.Random) -> None:
    """Students with a granted release each, and allowed clearances that relied on them (bulk inserts)."""
    upgrade(engine)
    with new_session(engine) as session:
        session.info["actor"] = "bench"
        office_and_students(session, students=STUDENTS, now=NOW)
        session.execute(
            insert(Consent),
            [
                {
                    "person_id": n + 1,
                    "kind": "image_release",
                    "status": "granted",
                    "scopes": ["personal_social_media"],
                    "signer_name": "Parent",
                    "signer_relationship": "parent",
                    "signed_on": SIGNED,
                    "valid_from": SIGNED,
                    "valid_until": date(2027, 6, 30),
                    "entered_by_id": 1,
                    "created_at": NOW,
                }
                for n in range(STUDENTS)
            ],
        )
        base = {
            "uploader_id": 1,
            "context_kind": "classroom",
            "context_public": False,
            "destination": "personal_social_media",
            "tags": [],
            "reasons": [],
            "review_reasons": [],
            "decision": "allowed",
            "context_confirmed": False,
            "context_check": "declared",
            "redaction_offered": False,
            "pack_id": "litchfield-4118.51",
            "pack_version": "bench",
            "engine": "bench",
            "detector": "hog",
            "detect_max_side": 1600,
            "match_threshold": 0.5,
            "review_threshold": 0.6,
            "min_margin": 0.06,
            "min_face_px": 40,
            "photo_sha256": "0" * 64,
            "photo_width": 1600,
            "photo_height": 1200,
            "created_at": NOW,
            "decided_at": NOW,
        }
        session.execute(insert(Clearance), [base] * clearances)
        faces, relied = [], []
        for clearance_id in range(1, clearances + 1):
            for index, person_id in enumerate(rng.sample(range(1, STUDENTS + 1), rng.randint(1, 4))):
                faces.append(
                    {
                        "clearance_id": clearance_id,
                        "index": index,
                        "box_top": 0,
                        "box_right": 50,
                        "box_bottom": 50,
                        "box_left": 0,
                        "band": "identified",
                        "person_id": person_id,
                        "distance": 0.3,
                        "margin": 0.2,
                        "candidates": [],
                        "match_reason": "",
                        "verdict": "allowed",
                        "rule": "student-consent",
                        "clause": "4118.51 IV.A.2",
                        "message": "",
                        "consent_id": person_id,
                        "redactable": False,
                        "blurred": False,
                    }
                )
                relied.append({"clearance_id": clearance_id, "consent_id": person_id})
        session.execute(insert(ClearanceFace), faces)
        session.execute(insert(ClearanceConsent), relied)
        session.commit()


def acts(district: District) -> dict[str, Callable[[Session, int], None]]:
    def refusal(session: Session, person_id: int) -> None:
        consents.record_consent(
            session,
            entered_by_id=1,
            district=district,
            data=ConsentCreate.model_validate(
                {
                    "person_id": person_id,
                    "kind": "image_release",
                    "status": "refused",
                    "scopes": [],
                    "signer_name": "Parent",
                    "signer_relationship": "parent",
                    "signed_on": "2026-11-19",
                }
            ),
        )

    def revocation(session: Session, person_id: int) -> None:
        consent = session.exec(select(Consent).where(Consent.person_id == person_id)).one()
        consents.revoke_consent(session, consent=consent, reason="bench", revoked_by_id=1, district=district)

    def departure(session: Session, person_id: int) -> None:
        people.update_person(
            session,
            person=people.get_person(session, person_id),
            changes=PersonUpdate(status="departed"),
            district=district,
        )

    return {"refusal": refusal, "revocation": revocation, "departure": departure}


def one_by_one(session: Session, person_id: int, district: District) -> int:
    """The baseline: each clearance showing the person decided again on its own."""
    shown = session.exec(select(ClearanceFace.clearance_id).where(ClearanceFace.person_id == person_id)).all()
    for clearance_id in shown:
        clearance = session.get(Clearance, clearance_id)
        assert clearance is not None
        decide_again(session, clearance=clearance, district=district, at=NOW)
    return len(shown)


def measure(
    engine: Engine, district: District, samples: int, rng: random.Random
) -> list[tuple[str, float, float, float]]:
    rows = []
    for name, act in acts(district).items():
        batched, baseline, counts = [], [], []
        for person_id in rng.sample(range(1, STUDENTS + 1), samples):
            with new_session(engine) as session:
                session.info["actor"] = "bench"
                start = time.perf_counter()
                act(session, person_id)
                batched.append(time.perf_counter() - start)
                counts.append(len(standing.requested_in(session)))
                session.rollback()
            with new_session(engine) as session:
                session.info["actor"] = "bench"
                start = time.perf_counter()
                one_by_one(session, person_id, district)
                baseline.append(time.perf_counter() - start)
                session.rollback()
        rows.append((name, statistics.mean(counts), statistics.median(batched), statistics.median(baseline)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer acts sampled")
    parser.add_argument("--clearances", type=int, default=10_000)
    args = parser.parse_args()
    samples = 2 if args.quick else 20
    district = District(load_builtin_pack("litchfield-4118.51"), "UTC", clock=lambda: NOW)
    print(machine())
    results = {}
    load = OtherLoad()
    with load, tempfile.TemporaryDirectory() as folder:
        with fresh_postgres() as url:
            engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://"))
            seed(engine, args.clearances, random.Random(7))
            results["PostgreSQL"] = measure(engine, district, samples, random.Random(11))
            engine.dispose()
        engine = make_engine(f"sqlite:///{Path(folder) / 'registry.db'}")
        seed(engine, args.clearances, random.Random(7))
        results["SQLite"] = measure(engine, district, samples, random.Random(11))
        engine.dispose()
    print(
        f"\nRe-checking posted photos after one act, {args.clearances:,} allowed clearances of {STUDENTS} "
        f"students ({samples} acts of each kind; median seconds per act)"
    )
    print("| database | act | clearances re-decided per act | batched re-check | one at a time | ratio |")
    print("|---|---|---|---|---|---|")
    for database, rows in results.items():
        for name, count, batched, baseline in rows:
            print(
                f"| {database} | {name} | {count:.1f} | {batched * 1000:.0f} ms | {baseline * 1000:.0f} ms | "
                f"{baseline / batched:.1f}x |"
            )
    print(load.sentence())


if __name__ == "__main__":
    main()
