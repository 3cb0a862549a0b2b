"""Bulk photo work from a terminal: `clear` a folder of photos, `enrol-folder` of reference photos.

Exit codes of `clear`, so that it can gate a script (fail closed: 0 only when every photo may be posted):
0 every photo allowed · 1 something blocked · 2 usage error · 3 a photo could not be checked
(and nothing blocked) · 4 some photos need a reviewer (and nothing blocked or failed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine

from registry.albums import service as albums
from registry.albums.files import keep_photo
from registry.albums.runner import AlbumRunner
from registry.analysis.queue import Dispatcher, ExternalAnalysisUnavailable, conninfo
from registry.clearances.check import PhotoCheck
from registry.core.db import new_session, unit_of_work
from registry.core.errors import RegistryError
from registry.core.settings import Settings
from registry.core.storage import storage_for
from registry.faces.analysis_pool import AnalysisPool, pool_size
from registry.faces.templates import TemplateCache
from registry.policy import PolicyPack
from scripts.album_report import album_rows, summary_table, write_report
from scripts.cli_context import EXIT_BLOCKED, EXIT_FAILED, EXIT_REVIEW, EXIT_USAGE, acting_user, console, database
from scripts.cli_enrol import enrol_folder


def clear(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="folder of JPEG, PNG or WebP photos")],
    destination: Annotated[
        str, typer.Option(help="personal_social_media, district_social_media, district_website or print")
    ],
    event_id: Annotated[int | None, typer.Option(help="the district event they were taken at")] = None,
    context_kind: Annotated[str | None, typer.Option(help="without an event: sporting_event, classroom, ...")] = None,
    public: Annotated[
        bool | None, typer.Option("--public/--not-public", help="without an event: open to the public?")
    ] = None,
    tags: Annotated[
        list[str] | None, typer.Option("--tag", help="e.g. district_logo (repeat or comma-separate)")
    ] = None,
    caption: Annotated[str | None, typer.Option(help="caption for every photo")] = None,
    as_email: Annotated[
        str | None, typer.Option("--as", help="record under this account (default: first admin)")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="write a per-photo report: .csv or .json")] = None,
) -> None:
    """Clear every photo in FOLDER as one album, with a progress bar and a summary by decision.

    Exit code: 0 all allowed, 1 something blocked, 2 usage error, 3 a photo could not be checked,
    4 some need a reviewer. Interrupted? The service finishes the album (or run it again).
    """
    from registry.policy.pack import load_active_pack

    if report is not None and report.suffix.lower() not in (".csv", ".json"):
        console.print("[red]--report must end in .csv or .json[/red]")
        raise typer.Exit(EXIT_USAGE)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        console.print(f"[red]{folder} holds no files.[/red]")
        raise typer.Exit(EXIT_USAGE)
    settings, engine = database()
    if settings.analysis == "external":
        try:
            conninfo(settings)
        except ExternalAnalysisUnavailable as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(EXIT_USAGE) from exc
    pack = load_active_pack(settings.policy_pack)
    tag_list = sorted({t.strip() for value in tags or [] for t in value.split(",") if t.strip()})
    try:
        with unit_of_work(engine, actor="cli:clear") as session:
            user = acting_user(session, as_email)
            job = albums.start_album(
                session,
                PhotoCheck(
                    uploader=user,
                    destination=destination,
                    event_id=event_id,
                    context_kind=context_kind,
                    context_public=public,
                    tags=tuple(tag_list),
                    caption=caption,
                ),
                source="cli",
                pack=pack,
            )
            session.info["actor"] = f"user:{user.id}"
            for position, path in enumerate(files):
                with path.open("rb") as handle:
                    incoming = keep_photo(
                        path.name, handle, store=storage_for(settings), max_bytes=settings.max_upload_bytes
                    )
                albums.add_photo(
                    session,
                    job=job,
                    position=position,
                    name=incoming.name,
                    photo_file=incoming.photo_file,
                    error=incoming.error,
                    settings=settings,
                )
            job_id = int(job.id or 0)
    except RegistryError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    step, close = _reader(engine, settings, pack=pack, job_id=job_id)
    columns = (
        TextColumn("[bold]Clearing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("", total=len(files))
            while True:
                step()
                public_view = _progress(engine, job_id)
                counts, decisions = public_view.counts, public_view.decisions
                progress.update(
                    task,
                    completed=counts["done"] + counts["failed"],
                    description=" ".join(
                        f"{k.replace('_', ' ')} {v}" for k, v in {**decisions, "failed": counts["failed"]}.items() if v
                    ),
                )
                if public_view.finished:
                    break
    except KeyboardInterrupt:
        console.print(f"[yellow]Stopped. Album {job_id} is kept: the service finishes it when it runs.[/yellow]")
        raise typer.Exit(130) from None
    finally:
        close()
    with new_session(engine) as session:
        rows = album_rows(session, job_id)
    console.print(summary_table(rows, title=f"Album {job_id}: {len(rows)} photos ({destination})"))
    if report is not None:
        write_report(report, rows)
        console.print(f"Report: {report}")
    raise typer.Exit(_exit_code(public_view))


def _progress(engine: object, job_id: int) -> albums.AlbumPublic:
    with new_session(engine) as session:
        job = session.get(albums.AlbumJob, job_id)
        assert job is not None
        return albums.album_public(session, job, thumbnail_url="")


def _exit_code(view: albums.AlbumPublic) -> int:
    if view.decisions["blocked"]:
        return EXIT_BLOCKED
    if view.counts["failed"]:
        return EXIT_FAILED
    if view.decisions["needs_review"]:
        return EXIT_REVIEW
    return 0


def _reader(
    engine: Engine, settings: Settings, *, pack: PolicyPack, job_id: int
) -> tuple[Callable[[], object], Callable[[], None]]:
    """What reads the album's photos while the command follows them: a runner and pool of its own, or (with
    REGISTRY_ANALYSIS=external) the queue's workers, its photos handed to them once. (step, close)."""
    if settings.analysis == "external":
        dispatcher = Dispatcher(engine, settings)
        dispatcher.wake(job_id)
        return (lambda: time.sleep(0.5)), dispatcher.close
    pool = AnalysisPool(pool_size(settings))
    runner = AlbumRunner(
        engine, settings=settings, pack=pack, templates=TemplateCache(), pool=pool, poll_seconds=0.2, only_job=job_id
    )
    return runner.run_pass, pool.shutdown


def register(app: typer.Typer) -> None:
    app.command("clear")(clear)
    app.command("enrol-folder")(enrol_folder)
