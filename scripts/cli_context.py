"""What every command shares: the settings, a migrated database, the district, the acting account, the
console and the exit codes. Command modules import this; nothing here imports a command module."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.accounts.permissions import Role
from registry.core.db import make_engine
from registry.core.migrate import upgrade
from registry.core.settings import Settings, get_settings, remember_secret_key
from registry.models.accounts import User
from registry.policy.ledger import District
from registry.policy.pack import load_active_pack

EXIT_BLOCKED, EXIT_USAGE, EXIT_FAILED, EXIT_REVIEW = 1, 2, 3, 4
console = Console(stderr=True)


def command_settings() -> Settings:
    """The settings; without a configured secret key, the one kept in the data folder."""
    if not os.environ.get("REGISTRY_SECRET_KEY"):
        data_dir = Path(os.environ.get("REGISTRY_DATA_DIR", "data"))
        os.environ["REGISTRY_SECRET_KEY"] = remember_secret_key(data_dir)
    try:
        settings = get_settings()
    except ValueError as exc:
        typer.secho(f"Configuration problem: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def district_of(settings: Settings) -> District:
    """The active pack and the district's clock, for commands that read consent records."""
    return District(load_active_pack(settings.policy_pack), settings.time_zone)


def database() -> tuple[Settings, Engine]:
    """The settings and a migrated database, for a command to work on."""
    settings = command_settings()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    return settings, engine


def acting_user(session: Session, email: str | None) -> User:
    """The account the work is recorded under: --as, or the first active administrator."""
    statement = select(User).where(User.active == True)  # noqa: E712
    statement = statement.where(User.email == email.lower()) if email else statement.where(User.role == Role.ADMIN)
    user = session.exec(statement.order_by(col(User.id))).first()
    if user is None:
        console.print(
            f"[red]No active account {email}.[/red]"
            if email
            else "[red]No active administrator; create one (create-user) or name an account with --as.[/red]"
        )
        raise typer.Exit(EXIT_USAGE)
    return user
