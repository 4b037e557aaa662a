"""The demo board served by emulated HR systems (AFAS Profit, Youforce) and student
information systems (Somtoday, ParnasSys) syncs to the same accounts as the same board in
plain files: the engine does not care where HR and the SIS live."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from connectors.hr.afas.emulator import AfasEmulator
from connectors.hr.youforce.emulator import YouforceEmulator
from connectors.reference.target import ReferenceTarget
from connectors.sis.parnassys.emulator import ParnasSysEmulator
from connectors.sis.somtoday.emulator import SomtodayEmulator
from provisioner.config import (
    Config,
    ParnasSysSourceConfig,
    SomtodaySourceConfig,
    SourceConfig,
    YouforceSourceConfig,
)
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


@contextmanager
def somtoday(board: Board, monkeypatch: pytest.MonkeyPatch) -> Iterator[SourceConfig]:
    with SomtodayEmulator() as emulator:
        emulator.load_oneroster(
            board.folder / "sis", consents=board.folder / "consents.csv", today=TODAY
        )
        monkeypatch.setenv("PROVISIONER_SOMTODAY_CLIENT_SECRET", emulator.client_secret)
        yield SomtodaySourceConfig(
            type="somtoday", api_url=emulator.api_url, token_url=emulator.token_url,
            organisation=emulator.organisation, client_id=emulator.client_id,
        )  # fmt: skip


@contextmanager
def parnassys(board: Board, monkeypatch: pytest.MonkeyPatch) -> Iterator[SourceConfig]:
    with ParnasSysEmulator(today=TODAY) as emulator:
        emulator.load_oneroster(board.folder / "sis")
        monkeypatch.setenv("PROVISIONER_PARNASSYS_KEY", emulator.key)
        brins = sorted({loc.brin6[:4] for loc in board.config.locations})
        yield ParnasSysSourceConfig(
            type="parnassys", url=emulator.url, supplier=emulator.supplier, brins=brins
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


@pytest.mark.parametrize(
    ("hr_server", "sis_server"), [(afas, somtoday), (youforce, parnassys)],
    ids=["afas+somtoday", "youforce+parnassys"],
)  # fmt: skip
def test_a_board_on_hr_and_sis_apis_gives_the_same_accounts_as_its_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hr_server: Callable[..., object],
    sis_server: Callable[..., object],
) -> None:
    from_files = make_board(tmp_path / "files", pupils=60)
    expected_report, expected = sync(from_files, from_files.config)

    board = make_board(tmp_path / "apis", pupils=60)
    with hr_server(board, monkeypatch) as hr, sis_server(board, monkeypatch) as sis:  # type: ignore[attr-defined]
        config = board.config
        sources = config.sources.model_copy(update={"hr": hr, "sis": sis})
        config = config.model_copy(update={"sources": sources})
        report, accounts = sync(board, config)
        assert report.status == "applied", report.as_json()
        assert accounts == expected
        assert report.counts == expected_report.counts
        assert sync(board, config)[0].total == 0
