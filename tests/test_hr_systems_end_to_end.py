"""The demo board served by emulated HR systems (AFAS Profit, Youforce) and student
information systems (Somtoday, ParnasSys, Magister) syncs to the same accounts as the same
board in plain files: the engine does not care where HR and the SIS live. And staff accounts
in the SIS follow HR: a leaver ends up inactive in Somtoday and Magister, and as a task for
the location leader in ParnasSys, while a withdrawn consent is kept as such and decides "no"
from the run's day on."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.emulators.afas import AfasEmulator
from connectors.emulators.parnassys import ParnasSysEmulator
from connectors.emulators.somtoday import SomtodayEmulator
from connectors.emulators.youforce import YouforceEmulator
from connectors.hr.youforce.config import YouforceSourceConfig
from connectors.reference.target import ReferenceTarget
from connectors.sis.config import SisStaffTargetConfig
from connectors.sis.magister.staff import MagisterStaffTarget
from connectors.sis.parnassys.config import ParnasSysSourceConfig
from connectors.sis.parnassys.staff import ParnasSysStaffTarget
from connectors.sis.somtoday.config import SomtodaySourceConfig
from connectors.sis.somtoday.staff import SomtodayStaffTarget
from provisioner.app.demo.systems import SIS_ROLES
from provisioner.app.wiring import build_sources, target_settings
from provisioner.config import Config, SourceConfig
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.privacy.consent import ConsentRegister, Reason
from provisioner.store.tables import Consent
from provisioner.targets import Target
from provisioner.tasks import ManualTasks, StoreTaskDesk
from tests.board import TODAY, Board, make_board
from tests.emulated_sis import served_magister, served_somtoday

LATER = TODAY + timedelta(days=1)

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
    with SomtodayEmulator(today=TODAY) as emulator:
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
        engine = Engine(config, board.sessions(), build_sources(config, today=TODAY), [target],
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


# -- staff accounts in the SIS follow HR: a leaver, and a withdrawn consent -------------------


@dataclasses.dataclass
class SisWorld:
    """A SIS emulator that lives through the whole test, its source configuration, and how
    to build its staff target and withdraw one pupil's consent."""

    system: str
    source: SourceConfig
    emulator: Any
    staff_target: Callable[[Board, Path, date], Target]  # the board, a folder, the run's day
    withdraw: Callable[[Board, str, str], None]
    consent_from_sis: bool


def _staff_config(system: str, **extra: Any) -> SisStaffTargetConfig:
    return SisStaffTargetConfig(
        type="sis-staff", name=f"{system}-staff", system=system,  # type: ignore[arg-type]
        sis_roles=SIS_ROLES, **extra,
    )  # fmt: skip


def _withdraw_in_csv(board: Board, pupil: str, medium: str) -> None:
    with (board.folder / "consents.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(
            [pupil, medium, "withdrawn", "2026-2027", LATER.isoformat(), "parent"]
        )


@contextmanager
def somtoday_world(board: Board, monkeypatch: pytest.MonkeyPatch) -> Iterator[SisWorld]:
    with served_somtoday(board, monkeypatch) as (emu, source):

        def target(board: Board, path: Path, day: date) -> Target:
            config = _staff_config(
                "somtoday", hrm_url=emu.hrm_url, hrm_username=emu.hrm_username,
                hrm_brin=board.config.locations[0].brin6[:4],
            )  # fmt: skip
            locations = {loc.brin6 for loc in board.config.locations}
            return SomtodayStaffTarget(
                config.name, config, source, locations, board.config.board.domain,
                hrm_password=emu.hrm_password, today=day,
            )  # fmt: skip

        def withdraw(board: Board, pupil: str, medium: str) -> None:
            emu.set_toestemming(pupil, medium, False)  # the parent unticked it

        yield SisWorld("somtoday", source, emu, target, withdraw, consent_from_sis=True)


@contextmanager
def parnassys_world(board: Board, monkeypatch: pytest.MonkeyPatch) -> Iterator[SisWorld]:
    with parnassys(board, monkeypatch) as source:

        def target(board: Board, path: Path, day: date) -> Target:
            assert isinstance(source, ParnasSysSourceConfig)
            config = _staff_config("parnassys", state_file=path / "parnassys-staff.json")
            locations = {loc.brin6 for loc in board.config.locations}
            return ParnasSysStaffTarget(
                config.name, config, source, locations, board.config.board.domain,
                StoreTaskDesk(board.sessions()), today=day,
            )  # fmt: skip

        yield SisWorld("parnassys", source, None, target, _withdraw_in_csv, consent_from_sis=False)


@contextmanager
def magister_world(board: Board, monkeypatch: pytest.MonkeyPatch) -> Iterator[SisWorld]:
    with served_magister(board, monkeypatch) as (emu, source):

        def target(board: Board, path: Path, day: date) -> Target:
            config = _staff_config("magister")
            locations = {loc.brin6 for loc in board.config.locations}
            return MagisterStaffTarget(
                config.name, config, source, locations, board.config.board.domain, today=day
            )

        yield SisWorld("magister", source, emu, target, _withdraw_in_csv, consent_from_sis=False)


def sync_all(
    board: Board, config: Config, staff_target: Target, today: date
) -> tuple[RunReport, dict[str | None, bool]]:
    directory = ReferenceTarget("directory", board.directory)
    settings = {
        **target_settings(config),
        staff_target.name: {"include_pupils": False, "sis_roles": SIS_ROLES},
    }
    try:
        engine = Engine(config, board.sessions(), build_sources(config, today=today),
                        [directory, staff_target], target_settings=settings)  # fmt: skip
        report = engine.sync(SyncRequest(today=today))
        return report, {a.key: a.enabled for a in directory.read().accounts}
    finally:
        directory.close()
        close = getattr(staff_target, "close", None)
        if close is not None:
            close()


def _granted(board: Board) -> tuple[str, str]:
    """A pupil and medium whose last answer is 'granted' in the store."""
    with board.sessions()() as session:
        rows = session.execute(select(Consent).order_by(Consent.recorded_on, Consent.id)).scalars()
        last: dict[tuple[str, str], str] = {}
        for row in rows:
            last[row.pupil_id, row.medium] = row.status
    return next(pair for pair, status in sorted(last.items()) if status == "granted")


def _consent_history(board: Board, pupil: str, medium: str) -> list[str]:
    with board.sessions()() as session:
        rows = session.execute(
            select(Consent)
            .where(Consent.pupil_id == pupil, Consent.medium == medium)
            .order_by(Consent.recorded_on, Consent.id)
        ).scalars()
        return [row.status for row in rows]


@pytest.mark.parametrize(
    ("hr_server", "sis_world", "days_ago"),
    [(afas, somtoday_world, 3), (afas, somtoday_world, 0), (youforce, parnassys_world, 3),
     (afas, magister_world, 3), (youforce, magister_world, 0)],
    ids=["afas+somtoday", "afas+somtoday-last-day-today", "youforce+parnassys",
         "afas+magister", "youforce+magister-last-day-today"],
)  # fmt: skip
def test_a_leaver_leaves_the_sis_on_the_hr_last_day_and_a_withdrawn_consent_is_kept(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hr_server: Callable[..., Any],
    sis_world: Callable[..., Any],
    days_ago: int,
) -> None:
    """HR says the last working day was ``days_ago`` days before TODAY (0: TODAY itself);
    the next run, the day after TODAY, ends the service in the SIS on exactly that day."""
    board = make_board(tmp_path / "board", pupils=60)
    leaver = board.teacher_number()
    with sis_world(board, monkeypatch) as world:

        def configured(hr: SourceConfig) -> Config:
            config = board.config
            update: dict[str, SourceConfig | None] = {"hr": hr, "sis": world.source}
            if world.consent_from_sis:
                update["consent"] = None
            return config.model_copy(update={"sources": config.sources.model_copy(update=update)})

        with hr_server(board, monkeypatch) as hr:
            first, accounts = sync_all(
                board, configured(hr), world.staff_target(board, tmp_path, TODAY), TODAY
            )
        assert first.status == "applied", first.as_json()
        assert accounts[f"staff:{leaver}"]
        pupil, medium = _granted(board)

        last_day = TODAY - timedelta(days=days_ago)
        board.edit_hr(leaver, lambda row: {**row, "end_date": last_day.isoformat()})
        world.withdraw(board, pupil, medium)
        with hr_server(board, monkeypatch) as hr:
            config = configured(hr)
            staff_target = world.staff_target(board, tmp_path, LATER)
            second, accounts = sync_all(board, config, staff_target, LATER)
            assert second.status == "applied", second.as_json()
            third, _ = sync_all(board, config, world.staff_target(board, tmp_path, LATER), LATER)

        assert not accounts[f"staff:{leaver}"]  # the directory account is disabled
        staff_report = next(t for t in second.targets if t.name == f"{world.system}-staff")
        assert staff_report.counts.get("disable_account") == 1
        if world.system == "somtoday":
            record = world.emulator.medewerker(leaver)
            assert record["datum_uit_dienst"] == last_day.isoformat()
        elif world.system == "magister":
            assert world.emulator.medewerker(leaver)["DatumUitDienst"] == last_day.isoformat()
        else:
            tasks = ManualTasks(board.sessions()).list(person_key=f"staff:{leaver}")
            (task,) = [t for t in tasks if t.kind == "sis_account_deactivate"]
            assert task.assignee == "location_leader" and task.system == "parnassys"
            assert task.location in {loc.brin6 for loc in board.config.locations}
            assert last_day.isoformat() in task.instructions
        history = _consent_history(board, pupil, medium)
        assert history[-1] == "withdrawn" and "granted" in history
        # the decision: a no from the day of the withdrawal (the run's day, LATER), which is
        # not retroactive: on TODAY the yes still stood
        register = ConsentRegister(board.sessions(), config)
        after = register.check_pupil(pupil, medium, LATER + timedelta(days=1))
        assert (after.allowed, after.reason, after.since) == (False, Reason.WITHDRAWN, LATER)
        before = register.check_pupil(pupil, medium, TODAY)
        assert (before.allowed, before.reason) == (True, Reason.GRANTED)
        assert third.total == 0, third.as_json()  # converged: nothing asked twice
