"""Tables: what every API host must agree on, kept in the database rather than in one process.

Request counts for the rate limits (registry/core/rate_counts.py) and leases that let one host at a time do a
piece of work that must run once (registry/core/leases.py). Bookkeeping, not records: not in the audit log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from registry.models.base import utcnow

RATE_KEY_LENGTH = 200


class RateCount(SQLModel, table=True):
    """Requests counted against one key (a client address, an account) in one window of time."""

    __tablename__ = "rate_counts"
    key: str = Field(primary_key=True, max_length=RATE_KEY_LENGTH)
    # The second (since 1970) its window starts.
    slot: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hits: int = 0


class Lease(SQLModel, table=True):
    """Work that one host at a time may do: who holds it, and until when unless they renew it."""

    __tablename__ = "leases"
    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=100)
    expires_at: datetime = Field(default_factory=utcnow)
