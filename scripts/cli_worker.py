"""`registry worker`: a face-engine worker taking photos from the queue (REGISTRY_ANALYSIS=external)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from registry.analysis.queue import QUEUES, ExternalAnalysisUnavailable, conninfo
from scripts.cli_context import command_settings


def worker(
    queue: Annotated[
        list[str] | None,
        typer.Option(help="take jobs from this queue only: photos (someone waits) or albums; repeat for both"),
    ] = None,
) -> None:
    """Read faces for the service on this host: one photo at a time, until stopped (Ctrl-C or SIGTERM
    finishes the photo under way). Run one per core, on any host with the same DATABASE_URL, store and
    REGISTRY_SECRET_KEY as the service; the service needs REGISTRY_ANALYSIS=external."""
    settings = command_settings()
    queues = tuple(queue or QUEUES)
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        typer.secho(f"Unknown queue {', '.join(unknown)}: the queues are {', '.join(QUEUES)}.", fg="red", err=True)
        raise typer.Exit(2)
    try:
        conninfo(settings)
    except ExternalAnalysisUnavailable as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc
    from registry.analysis.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    typer.echo(f"Face-engine worker on {', '.join(queues)}: loading the face models.")
    run_worker(settings, queues=queues)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
