"""The schema migrates on both databases, and the audit trail refuses edits at the database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from provisioner.errors import ConfigError
from provisioner.store.db import current_revision, head_revision, upgrade


def test_migrated_store_is_at_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT last_seq FROM audit_head WHERE id = 1")).scalar_one() == 0


def test_audit_rows_cannot_be_updated_or_deleted(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (seq, at, actor, action, reason, change, prev_hash, hash)"
                " VALUES (1, CURRENT_TIMESTAMP, 'x', 'y', '', '{}', 'a', 'b')"
            )
        )
    for statement in ("UPDATE audit_events SET actor = 'z'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


def test_a_database_from_a_newer_release_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(ConfigError, match="newer version"):
        upgrade(engine)


def test_the_migrations_build_exactly_the_schema_of_the_tables(engine: Engine) -> None:
    """A column added to tables.py without a migration (or the reverse) fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from provisioner.store.tables import Base

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    # Alembic's own bookkeeping tables and the audit triggers' helpers are not in the models.
    missing_or_extra = [d for d in diff if not _is_bookkeeping(d)]
    assert missing_or_extra == []


def _is_bookkeeping(change: object) -> bool:
    text_of = repr(change)
    return "alembic_version" in text_of or "audit_head" in text_of
