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
