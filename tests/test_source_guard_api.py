"""The source guard with an API source: when AFAS (HR) or Magister (SIS) suddenly returns
half of its records, the next run stops before planning anything and says which source."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from connectors.emulators.afas import AfasEmulator
from provisioner.app.wiring import run_sync
from provisioner.config import Config
from provisioner.execution.engine import RunReport, SyncRequest
from tests.board import TODAY, Board, make_board
from tests.emulated_sis import served_magister

#: (the board's configuration reading the emulator, a way to remove half of its records)
Served = tuple[Config, Callable[[], None]]


@contextmanager
def afas(board: Board, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    with AfasEmulator() as emu:
        emu.load_hr_rows(board.hr_rows())
        monkeypatch.setenv("PROVISIONER_AFAS_TOKEN", emu.settings.token)
        numbers = sorted({row["employee_number"] for row in board.hr_rows()})

        def halve() -> None:
            for number in numbers[::2]:
                emu.remove_employee(number)

        config = board.config
        sources = config.sources.model_copy(update={"hr": emu.source_config()})
        yield config.model_copy(update={"sources": sources}), halve


@contextmanager
def magister(board: Board, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    with served_magister(board, monkeypatch) as (emu, sis):
        pupils = [row["sourcedId"] for row in _students(board)]

        def halve() -> None:
            for stamnr in pupils[::2]:
                emu.remove_student(stamnr)

        config = board.config
        sources = config.sources.model_copy(update={"sis": sis})
        yield config.model_copy(update={"sources": sources}), halve


def _students(board: Board) -> list[dict[str, str]]:
    with (board.folder / "sis" / "users.csv").open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["role"] == "student"]


def sync(board: Board, config: Config) -> RunReport:
    return run_sync(config, board.sessions(), SyncRequest(today=TODAY))


@pytest.mark.parametrize(
    ("server", "count", "system"),
    [(afas, "hr.staff", "AFAS Profit"), (magister, "sis.pupils", "Magister")],
    ids=["afas", "magister"],
)
def test_an_api_source_that_returns_half_its_records_stops_the_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: Callable[[Board, pytest.MonkeyPatch], AbstractContextManager[Served]],
    count: str,
    system: str,
) -> None:
    board = make_board(tmp_path, pupils=60)
    with server(board, monkeypatch) as (config, halve):
        first = sync(board, config)
        assert first.status == "applied", first.as_json()
        before = first.source_counts[count]
        assert before > 0

        halve()
        second = sync(board, config)

    assert second.status == "stopped", second.as_json()
    assert second.exit_code() == 2
    assert second.total == 0 and not second.targets  # nothing planned, nothing changed
    after = second.source_counts[count]
    assert after == before - (before + 1) // 2
    [reason] = second.stop_reasons
    assert reason.startswith(
        f"source {count} ({system}) has {after} records, {before - after} fewer than"
    )
