"""The ECK iD a SIS gives for a pupil is passed on to the directory snapshot (who is who),
as given and never generated: from a OneRoster export and from Somtoday Connect."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from provisioner.app.wiring import run_sync
from provisioner.config import Config
from provisioner.directory import Directory
from provisioner.execution.engine import SyncRequest
from tests.board import TODAY, Board, make_board
from tests.emulated_sis import served_somtoday

ECK = "https://ketenid.nl/201703/" + "4f" * 64
_ECK = re.compile(r"\{ECK:([^{}]*)\}")


def eck_ids(board: Board) -> dict[str, tuple[str, str | None]]:
    """Every pupil of the board's OneRoster users.csv: sourcedId -> (full name, ECK iD),
    after giving the first pupil without one the ECK iD ``ECK``."""
    path = board.folder / "sis" / "users.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    students = [row for row in rows if row["role"] == "student"]
    first = next(row for row in students if not row["userIds"])
    first["userIds"] = f"{{LAS:{first['sourcedId']}}},{{ECK:{ECK}}}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)
    found = {}
    for row in students:
        eck = _ECK.search(row["userIds"])
        found[row["sourcedId"]] = (
            f"{row['givenName']} {row['familyName']}",
            eck[1] if eck else None,
        )
    assert ECK in {e for _, e in found.values()} and None in {e for _, e in found.values()}
    return found


def applied(board: Board, config: Config) -> None:
    report = run_sync(config, board.sessions(), SyncRequest(today=TODAY))
    assert report.status == "applied", report.as_json()


def test_the_eck_id_of_a_oneroster_export_reaches_the_directory(tmp_path: Path) -> None:
    board = make_board(tmp_path, pupils=60)
    expected = eck_ids(board)
    applied(board, board.config)
    directory = Directory(board.sessions())
    got = {}
    for sis_id in expected:
        entry = directory.pupil(f"pupil:{sis_id}")
        assert entry is not None, sis_id
        got[sis_id] = entry.eck_id
    assert got == {sis_id: eck for sis_id, (_, eck) in expected.items()}


def test_the_eck_id_from_somtoday_reaches_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    board = make_board(tmp_path, pupils=60)
    expected = eck_ids(board)
    with served_somtoday(board, monkeypatch) as (_, sis):
        config = board.config
        sources = config.sources.model_copy(update={"sis": sis, "consent": None})
        applied(board, config.model_copy(update={"sources": sources}))
    directory = Directory(board.sessions())
    for name, eck in expected.values():  # Somtoday's ids are its own: found by name
        assert eck in {p.eck_id for p in directory.find_pupils(name)}, (name, eck)
