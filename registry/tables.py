"""Imports every module that defines tables, so that SQLModel.metadata holds them all
(Alembic's environment and the schema test read it). One line per module."""

import registry.albums  # noqa: F401
import registry.audit_entries  # noqa: F401
import registry.groups  # noqa: F401
import registry.models  # noqa: F401
import registry.sign_in  # noqa: F401
