"""Opening the state store: SQLite (embedded default) or PostgreSQL (production)."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from provisioner.errors import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"
#: PostgreSQL advisory lock key of schema migrations (a stable 32-bit number from a name).
MIGRATION_LOCK_KEY = zlib.crc32(b"school-provisioner:migrations")

log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    """An engine with the settings this project relies on.

    SQLite: WAL journal (readers never block the writer), foreign keys on, and a busy
    timeout so the bot and a sync can share the file.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    script = ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://")))
    head = script.get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://")))
    return {rev.revision for rev in script.walk_revisions()}


class SchemaStatus(StrEnum):
    """Where the database's schema stands against this release's migrations."""

    CURRENT = "current"  # at this release's head
    BEHIND = "behind"  # empty, or an older release's schema: ``provisioner db upgrade``
    AHEAD = "ahead"  # upgraded by a newer release: this one must not touch it


class DatabaseFromTheFuture(ConfigError):
    """The schema was upgraded by a newer release of the provisioner."""

    def __init__(self, revision: str) -> None:
        super().__init__(
            f"the database is at schema version {revision}, which this release does not know "
            f"(it knows up to {head_revision()}): it was upgraded by a newer version of the "
            "provisioner. Run that version (or newer) instead; this one changes nothing."
        )
        self.revision = revision


def schema_status(engine: Engine) -> SchemaStatus:
    current = current_revision(engine)
    if current == head_revision():
        return SchemaStatus.CURRENT
    if current is not None and current not in known_revisions():
        return SchemaStatus.AHEAD
    return SchemaStatus.BEHIND


def refuse_future(engine: Engine) -> None:
    """Raise :class:`DatabaseFromTheFuture` when a newer release migrated this database."""
    if schema_status(engine) is SchemaStatus.AHEAD:
        current = current_revision(engine)
        assert current is not None
        raise DatabaseFromTheFuture(current)


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One migration at a time: on PostgreSQL a session advisory lock, held on a connection of
    its own, so replicas started together (several ``serve --migrate``, an init container per
    pod) wait for each other and the later ones find the schema current. SQLite lives on one
    machine and serialises writers itself."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest version. Refuses a database from a newer release."""
    with _migration_lock(engine):
        refuse_future(engine)
        if current_revision(engine) != head_revision():
            log.info("migrating the state store to schema version %s", head_revision())
            command.upgrade(_alembic_config(engine), "head")


def ensure_current(engine: Engine) -> None:
    """Used before every command: upgrade an older schema, refuse a newer one."""
    if current_revision(engine) != head_revision():
        upgrade(engine)
