"""What the database benchmarks start from: an office account (id 1) and students S-0, S-1, ... (ids 1, 2, ...)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from registry.models.accounts import User
from registry.models.people import Person
from registry.people.service import search_key


def office_and_students(
    session: Session, *, students: int, now: datetime, fields: Callable[[int], dict[str, Any]] = lambda n: {}
) -> None:
    """Bulk inserts; `fields(n)` adds columns to student n (a school, a grade)."""
    office = {
        "email": "office@example.org",
        "full_name": "Office",
        "role": "office_staff",
        "password_hash": "-",
        "active": True,
        "session_version": 0,
        "must_change_password": False,
        "created_at": now,
    }
    session.execute(insert(User), [office])
    session.execute(
        insert(Person),
        [
            {
                "external_id": f"S-{n}",
                "kind": "student",
                "name": f"Student {n:03d}",
                "search_key": search_key(f"Student {n:03d}", f"S-{n}"),
                "status": "active",
                "created_at": now,
                "updated_at": now,
                **fields(n),
            }
            for n in range(students)
        ],
    )
