"""The administrators' command line: `./scripts/registry --help`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session, select

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.core.db import checkpoint, make_engine, unit_of_work
from registry.core.errors import RegistryError
from registry.core.files import sweep_at_start
from registry.core.leases import holder_name
from registry.core.migrate import upgrade
from registry.core.storage import StorageError, storage_for
from registry.models.accounts import User
from registry.people import roster
from registry.policy.ledger import District
from registry.policy.pack import load_active_pack
from registry.takedowns import daily_recheck
from scripts.cli_context import command_settings, database, district_of

app = typer.Typer(
    help="Consent Registry: run the service and do the administrators' bulk work.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run again)."""
    settings = command_settings()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    engine.dispose()
    typer.echo("Database is up to date.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="API worker processes")] = 1,
) -> None:
    """Migrate, make sure there is an administrator, and serve the web pages and the API."""
    import uvicorn

    from registry.policy import PackError

    settings = command_settings()
    try:
        pack = load_active_pack(settings.policy_pack)
    except (PackError, OSError) as exc:
        typer.secho(f"The policy pack cannot be used, so the service will not start:\n  {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Policy pack: {pack.title} (version {pack.version})")
    try:
        store = storage_for(settings)
        store.check()
    except (StorageError, ValueError) as exc:
        typer.secho(f"Photos and scans cannot be kept, so the service will not start:\n  {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Photos and scans kept in {store.url}")
    if settings.analysis == "external":
        from registry.analysis.queue import ExternalAnalysisUnavailable, conninfo

        try:
            conninfo(settings)
        except ExternalAnalysisUnavailable as exc:
            typer.secho(str(exc), fg="red", err=True)
            raise typer.Exit(2) from exc
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with unit_of_work(engine, actor="cli:serve") as session:
        created = accounts.ensure_first_admin(
            session, email=os.environ.get("REGISTRY_ADMIN_EMAIL"), password=os.environ.get("REGISTRY_ADMIN_PASSWORD")
        )
    engine.dispose()
    district = District(pack, settings.time_zone)
    expired = daily_recheck.run_once(engine, district=district, force=True, settings=settings) or []
    with unit_of_work(engine, actor="system:start") as session:
        sweep_at_start(session, settings)  # before any request: files an interrupted write left behind
    if expired:
        typer.echo(f"Photos no longer allowed: {len(expired)} new takedown request(s).")
    if created is not None:
        user, generated = created
        typer.secho(f"First administrator: {user.email}", fg="green", bold=True)
        if generated:
            typer.secho(f"Password (shown once, change it after signing in): {generated}", fg="green", bold=True)
    typer.echo(f"Consent Registry on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    if workers > 1:  # each API worker has its own face-engine pool: share the cores out between them
        os.environ.setdefault("REGISTRY_ANALYSIS_PROCESSES", str(max(1, (os.cpu_count() or 1) // workers)))
    # A worker importing the face engine holds the interpreter for seconds on a small or busy server;
    # uvicorn's default 5 s health check then takes it for hung and restarts it, again and again.
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
        timeout_worker_healthcheck=60,
    )


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Argument(help="the address they sign in with")],
    full_name: Annotated[str, typer.Argument(help='their name as staff know it, in quotes: "Ana Ruiz"')],
    role: Annotated[str, typer.Option(help="employee, office_staff, reviewer or admin")] = "employee",
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="asked for (twice, not shown) when not given"
        ),
    ] = "",
) -> None:
    """Create an account that signs in with an email address and a password.

    Roles: employee (clears their own photos), office_staff (people, consents, enrolment),
    reviewer (the review queue), admin (everything, including accounts).
    """
    _, engine = database()
    try:
        with unit_of_work(engine, actor="cli:create-user") as session:
            user = accounts.add_user(
                session, data=UserCreate(email=email, full_name=full_name, role=role, password=password)
            )
            typer.echo(f"Created {user.role} account {user.email} (id {user.id}).")
    except RegistryError as exc:  # a password too easy to guess, an address already taken
        typer.secho(exc.message, fg="red", err=True)
        raise typer.Exit(2) from exc


def _has_admin(session: Session) -> bool:
    return session.exec(select(User.id).where(User.role == "admin", User.active == True)).first() is not None  # noqa: E712


@app.command("import-roster")
def import_roster(
    csv_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the roster CSV")],
    kind: Annotated[str, typer.Option(help="kind for rows without a kind column")] = "student",
    as_email: Annotated[
        str | None, typer.Option("--as", help="make the groups it names under this account (default: first admin)")
    ] = None,
) -> None:
    """Import people from a CSV roster (comma- or semicolon-separated), by external id: created, updated,
    unchanged or rejected with line numbers."""
    from scripts.cli_album import acting_user

    settings, engine = database()
    try:
        with unit_of_work(engine, actor="cli:import-roster") as session:
            by = acting_user(session, as_email).id if as_email or _has_admin(session) else None
            report = roster.import_roster(
                session,
                content=csv_file.read_bytes(),
                default_kind=kind,
                district=district_of(settings),
                checkpoint=lambda: checkpoint(session),
                by=by,
            )
    except roster.RosterFileError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(report.summary)
    typer.echo(
        f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"rejected {len(report.rejected)}"
    )
    if report.groups_created:
        typer.echo(f"new groups: {', '.join(report.groups_created)}")
    for problem in report.rejected:
        typer.echo(f"  line {problem.line} ({problem.external_id or 'no id'}): {problem.problem}")
    if report.rejected:
        raise typer.Exit(1)


@app.command("expiry-scan")
def expiry_scan() -> None:
    """Decide again every photo still allowed (forms that ran out, people who left) and ask the
    uploaders of those no longer allowed to take them down. The service runs this itself at start
    and every day at REGISTRY_EXPIRY_SCAN_AT; this command is for operators and is safe to repeat."""
    settings, engine = database()
    outcome = daily_recheck.recheck_today(
        engine, district=district_of(settings), holder=f"cli:{holder_name()}", force=True, settings=settings
    )
    if outcome.created is None:
        until = f" (until {outcome.busy_until:%H:%M} UTC at the latest)" if outcome.busy_until else ""
        typer.secho(f"A service host is running the re-check now{until}: try again once it is done.", err=True)
        raise typer.Exit(1)
    typer.echo(f"{len(outcome.created)} new takedown request(s).")


# Command groups kept in modules of their own; each module defines register(app).
# (one line per module below)
import scripts.cli_trust  # noqa: E402  (audit, retention, purge, biometrics-report, backup, restore, copy-to-store)

scripts.cli_trust.register(app)
import scripts.cli_album  # noqa: E402  (clear, enrol-folder)

scripts.cli_album.register(app)
import scripts.cli_worker  # noqa: E402  (worker)

scripts.cli_worker.register(app)


if __name__ == "__main__":
    app()
