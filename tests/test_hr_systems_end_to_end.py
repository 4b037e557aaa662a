"""The demo board's staff served by an emulated HR system (AFAS Profit, Youforce) sync to the
same accounts as the same staff in a CSV export: the engine does not care where HR lives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from connectors.hr.afas.emulator import AfasEmulator
from connectors.hr.youforce.emulator import YouforceEmulator
from connectors.reference.target import ReferenceTarget
from provisioner.config import Config, SourceConfig, YouforceSourceConfig
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.wiring import build_sources, target_settings
from tests.board import TODAY, Board, make_board

HrServer = Callable[[Board, pytest.MonkeyPatch], Iterator[SourceConfig]]


@contextmanager
def afas(board: Board, monkeypatch: pytest.MonkeyPatch) -> Iterator[SourceConfig]:
    with AfasEmulator() as emulator:
        emulator.load_hr_rows(board.hr_rows())
        monkeypatch.setenv("PROVISIONER_AFAS_TOKEN", emulator.settings.token)
        yield emulator.source_config()


@contextmanager
def youforce(board: Board, monkeypatch: pytest.MonkeyPatch) -> Iterator[SourceConfig]:
    with YouforceEmulator(calls_per_window=1000, window=1.0) as emulator:
        emulator.load_staff(board.hr_rows())
        monkeypatch.setenv("PROVISIONER_YOUFORCE_CLIENT_SECRET", emulator.client_secret)
        yield YouforceSourceConfig(
            type="youforce",
            base_url=emulator.url,
            token_url=emulator.token_url,
            client_id=emulator.client_id,
            calls_per_minute=6000,
        )


def sync(board: Board, config: Config) -> tuple[RunReport, set[tuple[str | None, str, bool]]]:
    target = ReferenceTarget("directory", board.directory)
    try:
        engine = Engine(config, board.sessions(), build_sources(config), [target],
                        target_settings=target_settings(config))  # fmt: skip
        report = engine.sync(SyncRequest(today=TODAY))
        accounts = {(a.key, a.username, a.enabled) for a in target.read().accounts}
        return report, accounts
    finally:
        target.close()


@pytest.mark.parametrize("server", [afas, youforce], ids=["afas", "youforce"])
def test_an_hr_system_gives_the_same_accounts_as_its_csv_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: Callable[..., object]
) -> None:
    from_csv = make_board(tmp_path / "csv", pupils=60)
    expected_report, expected = sync(from_csv, from_csv.config)

    board = make_board(tmp_path / "api", pupils=60)
    with server(board, monkeypatch) as hr:  # type: ignore[attr-defined]
        config = board.config
        config = config.model_copy(update={"sources": config.sources.model_copy(update={"hr": hr})})
        report, accounts = sync(board, config)
        assert report.status == "applied", report.as_json()
        assert report.counts == expected_report.counts
        assert accounts == expected
        again, _ = sync(board, config)
        assert again.total == 0
