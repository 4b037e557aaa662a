"""Upgrades: migrations on start or by command, safely at the same time, and a refusal to run
against a database that a newer release has migrated."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from provisioner.errors import ConfigError
from provisioner.store.db import (
    DatabaseFromTheFuture,
    SchemaStatus,
    head_revision,
    make_engine,
    schema_status,
    upgrade,
)
from tests.board import make_board
from tests.test_serve import PROVISIONER, Serve, empty_pg_url, get, processes, wait_for

__all__ = ["empty_pg_url", "processes"]  # fixtures
FUTURE = "9999_from_a_newer_release"


def to_the_future(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})
    engine.dispose()


def test_schema_status_and_the_refusal(db_url: str) -> None:
    engine = make_engine(db_url)
    assert schema_status(engine) is SchemaStatus.CURRENT
    to_the_future(db_url)
    assert schema_status(engine) is SchemaStatus.AHEAD
    with pytest.raises(DatabaseFromTheFuture, match=FUTURE) as caught:
        upgrade(engine)
    assert isinstance(caught.value, ConfigError)  # the command line exits 3 on it
    assert head_revision() in str(caught.value) and "newer version" in str(caught.value)
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_serve_and_the_cli_refuse_a_database_from_the_future(tmp_path: Path, pg_url: str) -> None:
    board = make_board(tmp_path / "board", staff=24, pupils=60)
    to_the_future(pg_url)
    env = os.environ | {"PROVISIONER_DATABASE_URL": pg_url, "PROVISIONER_LOG_FORMAT": "json"}
    for command in (["serve", "--migrate", "--port", "0"], ["db", "upgrade"], ["runs"]):
        done = subprocess.run(
            [PROVISIONER, *command, "-c", str(board.config_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 3, (command, done.stdout, done.stderr)
        assert "newer version of the provisioner" in " ".join(done.stderr.split()), command
    engine = make_engine(pg_url)
    with engine.connect() as conn:  # nothing was touched
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == FUTURE
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_serve_waits_unready_until_migrated(
    tmp_path: Path, empty_pg_url: str, processes: list[Serve]
) -> None:
    board = make_board(
        tmp_path / "board", staff=24, pupils=60, extra_config="[schedule]\nenabled = false\n"
    )
    serve = Serve(board.config_path, empty_pg_url, tmp_path / "serve.log", env={})
    processes.append(serve)
    wait_for(lambda: get(serve.url + "/healthz")[0] == 200, "/healthz")
    status, why = get(serve.url + "/readyz")
    assert status == 503 and "provisioner db upgrade" in why

    env = os.environ | {"PROVISIONER_DATABASE_URL": empty_pg_url}
    upgrades = [  # two at once, as replicas' init containers would: the lock serialises them
        subprocess.Popen(
            [PROVISIONER, "db", "upgrade", "-c", str(board.config_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in upgrades:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    wait_for(lambda: get(serve.url + "/readyz")[0] == 200, "/readyz after the migration")
    assert serve.stop() == 0


@pytest.mark.postgres
@pytest.mark.slow
def test_serve_migrate_upgrades_at_start(
    tmp_path: Path, empty_pg_url: str, processes: list[Serve]
) -> None:
    board = make_board(
        tmp_path / "board", staff=24, pupils=60, extra_config="[schedule]\nenabled = false\n"
    )
    serve = Serve(board.config_path, empty_pg_url, tmp_path / "serve.log", "--migrate", env={})
    processes.append(serve)
    wait_for(lambda: get(serve.url + "/readyz")[0] == 200, "/readyz")
    engine = make_engine(empty_pg_url)
    assert schema_status(engine) is SchemaStatus.CURRENT
    engine.dispose()
