"""Table: the registry's own state (template version, daily re-check claims)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class RegistryState(SQLModel, table=True):
    """Counters the workers compare to know their in-memory copies are current."""

    __tablename__ = "registry_state"
    key: str = Field(primary_key=True, max_length=40)
    value: int = 0
