"""What the command line shows and writes after clearing an album: a summary table and a CSV/JSON report."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

from rich.table import Table
from sqlmodel import Session

from registry.albums.service import album_items
from registry.clearances.disclosure import ADMINISTRATOR
from registry.clearances.reviews import clearance_summary
from registry.models.clearances import Clearance

REPORT_FIELDS = ("file", "status", "decision", "clearance_id", "faces", "reasons", "error")
ORDER = ("allowed", "needs_review", "blocked", "failed")
# A spreadsheet runs a cell starting with one of these as a formula (a file name like "=HYPERLINK(...)").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def album_rows(session: Session, job_id: int) -> list[dict[str, Any]]:
    """One row per photo, in upload order: what was decided and why, or why it could not be checked."""
    rows = []
    for item in album_items(session, job_id):
        clearance = session.get(Clearance, item.clearance_id) if item.clearance_id else None
        stored = clearance.reasons if clearance else []
        reasons = "; ".join(str(r["message"]) for r in stored if r.get("verdict") != "allowed")
        rows.append(
            {
                "file": item.name,
                "status": item.status,
                "decision": item.decision or "",
                "clearance_id": item.clearance_id or "",
                "reasons": reasons,
                "error": item.error or "",
                "faces": clearance_summary(session, clearance, viewer=ADMINISTRATOR).faces if clearance else "",
            }
        )
    return rows


def summary_table(rows: list[dict[str, Any]], *, title: str) -> Table:
    outcome = Counter(row["decision"] or "failed" for row in rows)
    table = Table(title=title)
    table.add_column("outcome")
    table.add_column("photos", justify="right")
    table.add_column("for example")
    for name in ORDER:
        if outcome[name]:
            example = next(r for r in rows if (r["decision"] or "failed") == name)
            why = example["error"] or example["reasons"]
            table.add_row(
                name.replace("_", " "), str(outcome[name]), f"{example['file']}: {why[:90]}" if why else example["file"]
            )
    table.add_row("total", str(len(rows)), "")
    return table


def write_report(path: Path, rows: list[dict[str, Any]], *, fields: tuple[str, ...] = REPORT_FIELDS) -> None:
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows({key: as_text_cell(row.get(key, "")) for key in fields} for row in rows)


def as_text_cell(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: a leading apostrophe before a formula's first character."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
