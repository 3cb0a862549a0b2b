"""Commands that keep the registry trustworthy: audit, retention, purge, breach counts, backup and restore."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from registry.core.db import make_engine, unit_of_work
from registry.core.errors import RegistryError
from registry.core.files import sweep_orphans
from registry.core.migrate import upgrade
from registry.core.storage import StorageError, storage_at
from registry.people.service import find_by_external_id
from registry.trust import audit_log, retention
from registry.trust.backup import BackupError, make_backup
from registry.trust.restore import restore_backup
from registry.trust.schemas import AuditVerification
from registry.trust.store_copy import CopyReport, copy_folder_to_store
from scripts.cli_context import command_settings, database, district_of

RUNNING_SERVICE_GRACE_SECONDS = 3600  # a file younger than this may belong to an upload still in progress


def _verification_lines(result: AuditVerification) -> list[str]:
    if result.ok:
        return [f"Audit log verified: {result.entries_checked} entries, head {result.head.last_id} {result.head.hash}"]
    if result.table_name is not None:  # the chain holds, a table does not agree with it
        return [
            f"AUDIT LOG CONTRADICTED by {result.table_name} row {result.row_id}: {result.problem}",
            f"(the chain of {result.entries_checked} entries verified)",
        ]
    return [
        f"AUDIT LOG BROKEN at entry {result.first_broken_id}: {result.problem}",
        f"({result.entries_checked} entries before it verified)",
    ]


def audit_verify(
    expected_head_id: Annotated[int | None, typer.Option(help="the head id exported earlier (audit-head)")] = None,
    expected_head_hash: Annotated[str | None, typer.Option(help="the head hash exported earlier")] = None,
) -> None:
    """Verify the audit log: exit 1 and name the first broken entry if it is not intact.

    Every entry's hash and its link to the one before are recomputed. Give the head exported earlier
    (audit-head) to also catch entries cut off the end."""

    _, engine = database()
    with unit_of_work(engine, actor="cli:audit-verify") as session:
        result = audit_log.verify(session, expected_head_id=expected_head_id, expected_head_hash=expected_head_hash)
    for line in _verification_lines(result):
        typer.secho(line, fg="green" if result.ok else "red", err=not result.ok)
    if not result.ok:
        raise typer.Exit(1)


def audit_head() -> None:
    """Print the newest audit entry's id and hash as JSON, to keep off this server.

    Print it or mail it: a later `audit-verify --expected-head-id .. --expected-head-hash ..` then proves
    that no entry up to it was lost."""

    _, engine = database()
    with unit_of_work(engine, actor="cli:audit-head") as session:
        head = audit_log.head(session)
    typer.echo(head.model_dump_json())


def retention_command() -> None:
    """Delete what is kept longer than allowed; run it daily (cron, systemd timer).

    Original photos decided more than REGISTRY_RETENTION_DAYS (default 30) ago go, their decision records
    stay; photos awaiting review are kept until reviewed. Face templates of people without a biometric
    consent in force, or who have departed, go. Files no record names (older than an hour) go."""

    settings, engine = database()
    with unit_of_work(engine, actor="system:retention") as session:
        report = retention.run_retention(session, settings=settings, district=district_of(settings))
    with unit_of_work(engine, actor="system:retention") as session:
        swept = sweep_orphans(session, settings, older_than_seconds=RUNNING_SERVICE_GRACE_SECONDS)
    typer.echo(
        f"originals deleted {report.originals_deleted}, face templates deleted {report.templates_deleted} "
        f"(of {report.people_forgotten} people), unreferenced files removed {len(swept)}"
    )


def purge(
    person: Annotated[str, typer.Option("--person", help="the person's external id (SIS or HR id)")],
) -> None:
    """Really delete one person's biometric data (templates and photos showing their face).

    Their face templates with their thumbnails, and every kept original photo (and its thumbnail) in
    which their face was found or named as possible. Decision records stay, without the photos. The
    audit log records the purge by counts, never the deleted content."""

    settings, engine = database()
    try:
        with unit_of_work(engine, actor="cli:purge") as session:
            found = find_by_external_id(session, person)
            if found is None or found.id is None:
                raise RegistryError(f"No person with external id {person!r}.")
            report = retention.purge_person(
                session, person_id=found.id, settings=settings, district=district_of(settings)
            )
    except RegistryError as exc:
        typer.secho(exc.message, fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"Purged {person}: {report.templates_deleted} face template(s), {report.originals_deleted} "
        f"original photo(s); {report.clearances_kept} decision record(s) kept without their photo."
    )
    if report.biometric_consent_in_force:
        typer.secho(
            "Their biometric consent is still in force: revoke it, or their face may be enrolled again.", fg="yellow"
        )


def biometrics_report() -> None:
    """For a breach notice: how many people of each kind have biometric data held (counts only).

    People by kind (student, employee, community) with face templates, and identified in kept original
    photos; totals of templates and photos. Never names. Prints JSON."""

    settings, engine = database()
    with unit_of_work(engine, actor="cli:biometrics-report") as session:
        report = retention.biometrics_report(session, settings=settings)
    typer.echo(json.dumps(report, indent=2, sort_keys=True))


def backup(
    path: Annotated[Path, typer.Argument(help="the backup file to write, e.g. registry-2026-11-21.tar")],
) -> None:
    """Make a consistent backup while the service runs, as one tar file.

    It holds the database (SQLite's online copy, or pg_dump -Fc of DATABASE_URL), the scanned consent
    forms and the kept photos, and manifest.json naming the audit head inside it. Keep backups as
    safely as the data, and no longer than retention allows: they hold what was purged after them."""

    settings, engine = database()
    engine.dispose()
    try:
        manifest = make_backup(settings, path)
    except (BackupError, OSError, StorageError) as exc:
        typer.secho(f"Backup failed: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"Backup written to {path}: {manifest['database']} database, audit head "
        f"{manifest['audit_head']['last_id']}, files {manifest['files']}"
    )


def restore(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a file made by `backup`")],
    force: Annotated[bool, typer.Option(help="replace a registry that is not empty (stop the service first)")] = False,
) -> None:
    """Put a backup back into an empty registry and verify its audit log.

    REGISTRY_DATA_DIR and DATABASE_URL say where. The schema is brought up to date and the audit log
    verified against the head recorded in the backup. A registry that already holds data is refused
    unless --force (stop the service first)."""

    settings = command_settings()
    try:
        manifest = restore_backup(settings, path, force=force)
    except (BackupError, OSError, StorageError) as exc:
        typer.secho(f"Restore refused: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    head = manifest["audit_head"]
    with unit_of_work(engine, actor="cli:restore") as session:
        result = audit_log.verify(
            session,
            expected_head_id=head["last_id"] or None,
            expected_head_hash=head["hash"] if head["last_id"] else None,
        )
    engine.dispose()
    typer.echo(f"Restored {path} (made {manifest['created_at']}).")
    for line in _verification_lines(result):
        typer.secho(line, fg="green" if result.ok else "red", err=not result.ok)
    if not result.ok:
        raise typer.Exit(1)


def copy_to_store(
    source: Annotated[
        Path | None, typer.Option("--from", help="the data folder to copy (default: REGISTRY_DATA_DIR)")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--to", help="the store to fill (default: REGISTRY_STORAGE_URL), s3://bucket/prefix")
    ] = None,
) -> None:
    """Copy a data folder's kept photos and scans into a bucket, before setting REGISTRY_STORAGE_URL.

    Endpoint and keys come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
    AWS_DEFAULT_REGION. Safe to run again or to stop half-way: what is already in the bucket with the
    same size and SHA-256 is left alone; everything copied is read back and compared. The folder is not
    changed. Run it once more with the service stopped, then start it with the new setting."""

    settings = command_settings()
    url = target or settings.storage_url
    if not url:
        typer.secho("Name the bucket: --to s3://bucket/prefix (or set REGISTRY_STORAGE_URL).", fg="red", err=True)
        raise typer.Exit(2)
    folder = source or settings.data_dir

    def show(report: CopyReport) -> None:
        if report.total % 500 == 0:
            typer.echo(f"  {report.total} files looked at...")

    try:
        report = copy_folder_to_store(folder, storage_at(url), progress=show)
    except (StorageError, ValueError) as exc:
        typer.secho(f"Copy refused: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"{folder} into {storage_at(url).url}: {report.copied} copied ({report.replaced} of them replaced a "
        f"different object), {report.already_there} already there, {len(report.failed)} failed."
    )
    for line in report.failed:
        typer.secho(f"  not copied: {line}", fg="red", err=True)
    if report.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("copy-to-store")(copy_to_store)
    app.command("audit-verify")(audit_verify)
    app.command("audit-head")(audit_head)
    app.command("retention")(retention_command)
    app.command("purge")(purge)
    app.command("biometrics-report")(biometrics_report)
    app.command("backup")(backup)
    app.command("restore")(restore)
