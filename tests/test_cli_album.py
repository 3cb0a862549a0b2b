"""The command line's bulk photo work, run as an administrator would: enrol a folder, clear a folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.consents import service as consents
from registry.consents.schemas import ConsentCreate
from registry.core.db import make_engine, new_session
from registry.core.migrate import upgrade
from registry.people import service as people
from registry.people.schemas import PersonCreate
from scripts.cli_album import _exit_code
from tests.api.album_helpers import blank_jpeg
from tests.conftest import FACES, PASSWORD, ROOT
from tests.district import DISTRICT


def registry_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REGISTRY_DATA_DIR": str(data_dir), "PYTHONWARNINGS": "ignore"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def seed(data_dir: Path) -> None:
    """An administrator; Obama (employee) consents to enrolment and to posting; Biden never signed."""
    engine = make_engine(f"sqlite:///{data_dir / 'registry.db'}")
    upgrade(engine)
    signed = date.today() - timedelta(days=10)
    with new_session(engine) as session:
        admin = accounts.add_user(
            session,
            data=UserCreate(email="admin@district.example.org", full_name="Admin", role="admin", password=PASSWORD),
        )
        for external_id, name in (("E-1", "Barack Obama"), ("E-2", "Joe Biden")):
            people.add_person(session, data=PersonCreate(external_id=external_id, kind="employee", name=name))
        obama = people.find_by_external_id(session, "E-1")
        assert obama is not None and admin.id is not None and obama.id is not None
        for kind, scopes in (("biometric", []), ("image_release", ["personal_social_media"])):
            consents.record_consent(
                session,
                data=ConsentCreate(
                    person_id=obama.id,
                    kind=kind,
                    status="granted",
                    scopes=scopes,
                    signer_name="Barack Obama",
                    signer_relationship="self",
                    signed_on=signed,
                ),
                entered_by_id=admin.id,
                district=DISTRICT,
            )
        session.commit()
    engine.dispose()


@pytest.mark.slow
def test_enrol_a_folder_then_clear_a_folder_with_a_report_and_an_exit_code_for_scripts(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    seed(data_dir)
    references = tmp_path / "references"
    references.mkdir()
    shutil.copy(FACES / "people" / "obama" / "obama-portrait.jpg", references / "E-1.jpg")
    shutil.copy(FACES / "people" / "biden" / "biden-2.jpg", references / "E-2.jpg")
    shutil.copy(FACES / "people" / "obama" / "obama-2.jpg", references / "E-404_2.jpg")

    enrolled = registry_cli(data_dir, "enrol-folder", str(references), "--report", str(tmp_path / "enrol.json"))
    assert enrolled.returncode == 3, enrolled.stderr  # E-404 is nobody
    outcome = {r["file"]: r["outcome"] for r in json.loads((tmp_path / "enrol.json").read_text())}
    assert outcome == {"E-1.jpg": "enrolled", "E-2.jpg": "skipped", "E-404_2.jpg": "failed"}

    album = tmp_path / "game"
    album.mkdir()
    shutil.copy(FACES / "people" / "obama" / "obama-720p.jpg", album / "1-obama.jpg")
    shutil.copy(FACES / "groups" / "biden-obama.jpg", album / "2-with-biden.jpg")
    (album / "3-sky.jpg").write_bytes(blank_jpeg())
    (album / "4-notes.txt").write_text("not a photo")
    cleared = registry_cli(
        data_dir,
        "clear",
        str(album),
        "--destination",
        "personal_social_media",
        "--context-kind",
        "classroom",
        "--not-public",
        "--report",
        str(tmp_path / "report.csv"),
    )
    assert cleared.returncode == 1, cleared.stderr  # Biden's face blocks: no consent
    lines = (tmp_path / "report.csv").read_text().splitlines()
    assert lines[0] == "file,status,decision,clearance_id,faces,reasons,error"
    rows = {line.split(",")[0]: line.split(",")[1:4] for line in lines[1:]}
    assert rows["1-obama.jpg"][:2] == ["done", "allowed"]
    assert rows["2-with-biden.jpg"][:2] == ["done", "blocked"]
    assert rows["3-sky.jpg"][:2] == ["done", "allowed"]
    assert rows["4-notes.txt"][:2] == ["failed", ""]
    assert "blocked" in cleared.stderr and "failed" in cleared.stderr  # the summary table

    usage = registry_cli(
        data_dir, "clear", str(album), "--destination", "facebook", "--context-kind", "classroom", "--not-public"
    )
    assert usage.returncode == 2 and "destination must be one of" in usage.stderr


def test_the_exit_code_fails_closed():
    from registry.albums.schemas import AlbumPublic

    def view(blocked: int = 0, failed: int = 0, review: int = 0) -> AlbumPublic:
        only_the_counts: dict[str, Any] = {
            "counts": {"failed": failed},
            "decisions": {"blocked": blocked, "needs_review": review, "allowed": 1},
        }
        return AlbumPublic.model_construct(**only_the_counts)

    assert _exit_code(view()) == 0
    assert _exit_code(view(blocked=1, failed=1, review=1)) == 1
    assert _exit_code(view(failed=1, review=1)) == 3
    assert _exit_code(view(review=1)) == 4
