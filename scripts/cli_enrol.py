"""`enrol-folder`: reference photos named by external id, enrolled in parallel on every core.

Consent is checked before a photo is read: the face of someone without a biometric consent in
force is never encoded, not even to be thrown away.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlmodel import Session

from media.analysis import AnalysisSettings, PhotoAnalysis
from media.images import ImageRejected
from registry.analysis.mode import analyser
from registry.analysis.queue import Dispatcher, ExternalAnalysisUnavailable, conninfo
from registry.core.db import new_session, unit_of_work
from registry.core.errors import RegistryError
from registry.core.settings import Settings
from registry.faces.analysis_pool import AnalysisPool, analysis_settings, pool_size
from registry.faces.enrolment import check_enrolable, enrol_analysed
from registry.faces.recognition import check_recognition_allows_enrolment
from registry.models.accounts import User
from registry.models.people import Person
from registry.people.service import find_by_external_id
from scripts.album_report import write_report
from scripts.cli_context import acting_user, console, database, district_of

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
_NUMBERED = re.compile(r"^(?P<id>.+)_(?P<n>\d+)$")


def person_for(session: Session, stem: str) -> Person | None:
    """S-1001 → S-1001; S-1001_2 → S-1001 (a second photo), unless S-1001_2 is itself an external id."""
    person = find_by_external_id(session, stem)
    numbered = _NUMBERED.match(stem)
    if person is None and numbered:
        person = find_by_external_id(session, numbered["id"])
    return person


def enrol_folder(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="reference photos named by external id")],
    as_email: Annotated[
        str | None, typer.Option("--as", help="record under this account (default: first admin)")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="write a per-file report: .csv or .json")] = None,
) -> None:
    """Enrol a folder of reference photos: S-1001.jpg (and S-1001_2.jpg for another photo of S-1001).

    Each photo must show one face. People without a biometric consent in force, or departed, are
    skipped and listed. Exit code: 0 done (skips included), 2 usage error, 3 some photos failed.
    """

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES and not p.name.startswith("."))
    if not files:
        console.print(f"[red]{folder} holds no JPEG, PNG or WebP files.[/red]")
        raise typer.Exit(2)
    settings, engine = database()
    if settings.analysis == "external":
        try:
            conninfo(settings)
        except ExternalAnalysisUnavailable as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    district = district_of(settings)
    rows: list[dict[str, Any]] = []
    plan: list[tuple[Path, int]] = []
    with new_session(engine) as session:
        user_id = int(acting_user(session, as_email).id or 0)
        for path in files:
            person = person_for(session, path.stem)
            try:
                if person is None:
                    raise RegistryError(f"No person has the external id {path.stem!r}.")
                check_recognition_allows_enrolment(settings, person)  # no face read where none may be enrolled
                check_enrolable(session, person, district=district)
            except RegistryError as exc:
                rows.append(_row(path, "skipped" if person else "failed", exc.message))
                continue
            plan.append((path, int(person.id or 0)))
    reader = FaceReader(settings, engine)
    how = analysis_settings(settings, face_thumbnails=True)
    in_flight: deque[tuple[Path, int, Future[PhotoAnalysis]]] = deque()

    def finish() -> None:
        path, person_id, future = in_flight.popleft()
        try:
            analysis = reader.result(future)
            with unit_of_work(engine, actor=f"user:{user_id}") as session:
                person, creator = session.get(Person, person_id), session.get(User, user_id)
                assert person is not None and creator is not None
                check_enrolable(session, person, district=district)  # consent may have been withdrawn meanwhile
                enrol_analysed(
                    session, person=person, analysis=analysis, face_index=None, created_by=creator, settings=settings
                )
            rows.append(_row(path, "enrolled", ""))
        except (ImageRejected, RegistryError) as exc:
            rows.append(_row(path, "failed", exc.message))

    try:
        with Progress(TextColumn("[bold]Enrolling"), BarColumn(), MofNCompleteColumn(), console=console) as progress:
            task = progress.add_task("", total=len(plan))
            for path, person_id in plan:
                in_flight.append((path, person_id, reader.submit(path.read_bytes(), how)))
                if len(in_flight) > reader.at_once:
                    finish()
                    progress.advance(task)
            while in_flight:
                finish()
                progress.advance(task)
    finally:
        reader.close()
    outcome = Counter(row["outcome"] for row in rows)
    table = Table(title=f"{len(files)} reference photos")
    for column in ("outcome", "photos", "for example"):
        table.add_column(column)
    for name in ("enrolled", "skipped", "failed"):
        example = next((r for r in rows if r["outcome"] == name and r["problem"]), None)
        if outcome[name]:
            table.add_row(name, str(outcome[name]), f"{example['file']}: {example['problem']}" if example else "")
    console.print(table)
    if report is not None:
        write_report(report, rows, fields=("file", "outcome", "problem"))
    raise typer.Exit(3 if outcome["failed"] else 0)


def _row(path: Path, outcome: str, problem: str) -> dict[str, Any]:
    return {"file": path.name, "outcome": outcome, "problem": problem}


class FaceReader:
    """Reads the reference photos' faces where the district reads faces: this host's own pool of face-engine
    processes (``REGISTRY_ANALYSIS=local``), or the workers of the queue (``external``: the command reads no
    face itself, and keeps as many photos in hand as there are workers alive, at least two)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.pool: AnalysisPool | None = None
        self.dispatcher: Dispatcher | None = None
        if settings.analysis == "external":
            self.dispatcher = Dispatcher(engine, settings)
            self.dispatcher.open()  # the queue's tables, made on first use
            with new_session(engine) as session:
                self.at_once = max(2, self.dispatcher.workers_alive(session))
            self._threads = ThreadPoolExecutor(max_workers=self.at_once, thread_name_prefix="enrol")
            self._analyse = analyser(settings, pool=self._no_pool, dispatcher=self.dispatcher)
        else:
            self.pool = AnalysisPool(pool_size(settings))
            self.at_once = self.pool.processes

    @staticmethod
    def _no_pool() -> AnalysisPool:
        raise RuntimeError("faces are read by the workers")

    def submit(self, photo: bytes, how: AnalysisSettings) -> Future[PhotoAnalysis]:
        if self.pool is not None:
            return self.pool.submit(photo, how)
        return self._threads.submit(self._analyse, photo, how)

    def result(self, future: Future[PhotoAnalysis]) -> PhotoAnalysis:
        return self.pool.result(future) if self.pool is not None else future.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        else:
            self._threads.shutdown(cancel_futures=True)
            assert self.dispatcher is not None
            self.dispatcher.close()
