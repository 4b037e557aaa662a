"""The run's day reaches every source that reads by date: a run with ``--as-of`` (or a test on
a fixed day) reads that day's school year, groups and person versions, not the clock's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.emulators.parnassys import ParnasSysEmulator
from connectors.sis.parnassys import ParnasSysSource, school_year
from connectors.sis.parnassys.config import ParnasSysSourceConfig
from provisioner.app.cli import app
from provisioner.app.wiring import build_sources
from provisioner.domain.models import PersonName, Pupil
from tests.board import TODAY, make_board

#: A day in a later school year than both TODAY and the real clock while this is written.
NEXT_YEAR_DAY = date(2027, 8, 2)
NEXT_YEAR = "2027 / 2028"
KEY = "dates-test-key"


@pytest.fixture
def emu() -> Iterator[ParnasSysEmulator]:
    # The emulator's own clock is TODAY (2026/2027): data for other years is seeded by year.
    with ParnasSysEmulator(key=KEY, today=TODAY) as emulator:
        yield emulator


def test_school_year_of_the_fixed_day() -> None:
    assert school_year(NEXT_YEAR_DAY) == NEXT_YEAR != school_year(TODAY)


def test_a_parnassys_source_built_for_a_day_asks_that_days_school_year(
    emu: ParnasSysEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.add_group("07XY", "G6A", "Groep 6a", dependancecode="00", year=NEXT_YEAR)
    emu.add_pupil(
        "07XY", "5001", given="Sem", family="Bos", birth_date=date(2018, 5, 1),
        placements=[("G6A", date(2027, 8, 1), None)], enrolments=[(date(2022, 8, 22), None)],
        year=NEXT_YEAR,
    )  # fmt: skip
    emu.add_pupil(  # this year's pupil: not who a run on NEXT_YEAR_DAY should read
        "07XY", "4001", given="Eva", family="Smit", birth_date=date(2018, 2, 1),
        placements=[("G5A", date(2026, 8, 1), None)], enrolments=[(date(2022, 8, 22), None)],
    )  # fmt: skip
    board = make_board(tmp_path, pupils=60)
    monkeypatch.setenv("PROVISIONER_PARNASSYS_KEY", KEY)
    sis = ParnasSysSourceConfig(
        type="parnassys", url=emu.url, supplier=emu.supplier, brins=["07XY"]
    )
    config = board.config
    config = config.model_copy(
        update={"sources": config.sources.model_copy(update={"sis": sis, "consent": None})}
    )
    [source] = [s for s in build_sources(config, today=NEXT_YEAR_DAY) if s.name == "sis"]
    assert isinstance(source, ParnasSysSource)

    batch = source.read()

    assert batch.pupils == [
        Pupil("5001", PersonName("Sem", "", "Bos"), date(2018, 5, 1), "07XY00", "G6A",
              date(2022, 8, 22), None)
    ]  # fmt: skip
    assert {c.school_year for c in emu.calls} == {NEXT_YEAR}


def _parnassys_board(tmp_path: Path, emu: ParnasSysEmulator) -> Path:
    """A demo board whose SIS is the ParnasSys emulator (the consent CSV stays)."""
    board = make_board(tmp_path, pupils=60)
    text = board.config_path.read_text(encoding="utf-8")
    oneroster = '[sources.sis]\ntype = "oneroster-csv"\npath = "sis"\n'
    assert oneroster in text
    parnassys = (
        f'[sources.sis]\ntype = "parnassys"\nurl = "{emu.url}"\n'
        f'supplier = {json.dumps(emu.supplier)}\nbrins = ["07XY"]\n'
    )
    board.config_path.write_text(text.replace(oneroster, parnassys), encoding="utf-8")
    emu.load_oneroster(board.folder / "sis", year=NEXT_YEAR)
    return board.config_path


def test_sync_as_of_reads_the_parnassys_school_year_of_that_day(
    emu: ParnasSysEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``provisioner sync --as-of 2027-08-02`` against ParnasSys asks for 2027/2028, the only
    year the emulator has pupils in; the clock's day would find an empty school year and
    trip the source guard."""
    config_path = _parnassys_board(tmp_path, emu)
    monkeypatch.setenv("PROVISIONER_PARNASSYS_KEY", KEY)
    result = CliRunner().invoke(
        app, ["sync", "-c", str(config_path), "--as-of", NEXT_YEAR_DAY.isoformat(), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)  # log lines go to standard error
    assert body["status"] == "applied", body
    assert body["source_counts"]["sis.pupils"] == 60, body["source_counts"]
    assert emu.calls and {c.school_year for c in emu.calls} == {NEXT_YEAR}
