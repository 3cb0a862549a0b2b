"""The tables, and nothing else: every domain package reads and writes these; they import nothing of the domain.

Importing the package imports every table module, so that SQLModel.metadata holds them all
(Alembic's environment and the schema test read it)."""

from registry.models import (
    accounts,  # noqa: F401
    albums,  # noqa: F401
    audit,  # noqa: F401
    base,  # noqa: F401
    clearances,  # noqa: F401
    consent_requests,  # noqa: F401
    consents,  # noqa: F401
    events,  # noqa: F401
    faces,  # noqa: F401
    groups,  # noqa: F401
    people,  # noqa: F401
    shared,  # noqa: F401
    state,  # noqa: F401
    takedowns,  # noqa: F401
)
