"""The ParnasSys generic SOAP source, read through ``read()`` against the loopback emulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from connectors.emulators.parnassys import ParnasSysEmulator
from connectors.sis.config import OneRosterSourceConfig
from connectors.sis.oneroster_csv import OneRosterCsvSource
from connectors.sis.parnassys import ParnasSysSource, school_year
from connectors.sis.parnassys.config import ParnasSysSourceConfig
from connectors.sis.parnassys.source import MAX_ATTEMPTS
from provisioner.domain.models import PersonName, Pupil
from provisioner.errors import ConfigError, FatalError, TransientError
from provisioner.sources.models import SourceBatch, SourceKind
from tests.board import TODAY, make_board

KEY = "Pk7-not-the-demo-key"
SUPPLIER = "Leverancier & Zn"
LOCATIONS = frozenset({"07XY00", "07XY01", "07XY02"})
YEAR = school_year(TODAY)


@pytest.fixture
def emu() -> Iterator[ParnasSysEmulator]:
    with ParnasSysEmulator(supplier=SUPPLIER, key=KEY, today=TODAY) as emulator:
        yield emulator


def source(
    emu: ParnasSysEmulator, *, key: str | None = KEY, sleeps: list[float] | None = None
) -> ParnasSysSource:
    config = ParnasSysSourceConfig(
        type="parnassys", url=emu.url, supplier=SUPPLIER, brins=["07XY"],
        key_env="PARNASSYS_TEST_KEY_UNSET",
    )  # fmt: skip
    log = sleeps if sleeps is not None else []
    return ParnasSysSource("las", config, LOCATIONS, key=key, today=TODAY, sleep=log.append)


def seed_small(emu: ParnasSysEmulator) -> None:
    emu.add_group("07XY", "G5B", "Groep 5b", dependancecode="01")
    emu.add_staff("07XY", "M1", given="Fatima", family="Yılmaz", employee_number="100007",
                  groups=["G5B"])  # fmt: skip
    emu.add_pupil(
        "07XY", "4711", given="Anne", family="Hek", prefix="van 't", birth_date=date(2017, 3, 4),
        dependancecode="01", placements=[("G5B", date(2026, 8, 24), None)],
        enrolments=[(date(2021, 8, 23), None)],
    )  # fmt: skip


def test_school_year_turns_on_1_august() -> None:
    assert school_year(date(2026, 7, 31)) == "2025 / 2026"
    assert school_year(date(2026, 8, 1)) == "2026 / 2027"


def test_reads_pupils_groups_and_teachers(emu: ParnasSysEmulator) -> None:
    seed_small(emu)
    batch = source(emu).read()
    assert batch.kind is SourceKind.SIS
    assert batch.pupils == [
        Pupil("4711", PersonName("Anne", "van 't", "Hek"), date(2017, 3, 4), "07XY01", "G5B",
              date(2021, 8, 23), None)
    ]  # fmt: skip
    [group] = batch.groups
    assert (group.group_id, group.name, group.location) == ("G5B", "Groep 5b", "07XY01")
    assert group.teacher_numbers == {"100007"}
    assert batch.counts == {"pupils": 1, "groups": 1} and not batch.problems
    assert {(c.operation, c.brin, c.school_year) for c in emu.calls} == {
        ("getLeerlingen", "07XY", YEAR),
        ("getMedewerkers", "07XY", YEAR),
    }


def _pupils(batch: SourceBatch) -> set[tuple[object, ...]]:
    return {
        (p.sis_id, p.name, p.location, p.group_id, p.birth_date, p.enrolment_start,
         p.enrolment_end)
        for p in batch.pupils
    }  # fmt: skip


def test_same_board_as_oneroster(emu: ParnasSysEmulator, tmp_path: Path) -> None:
    board = make_board(tmp_path, pupils=60)
    sis = board.folder / "sis"
    emu.load_oneroster(sis)
    expected = OneRosterCsvSource(
        "sis", OneRosterSourceConfig(type="oneroster-csv", path=sis), LOCATIONS, today=TODAY
    ).read()
    got = source(emu).read()
    assert len(expected.pupils) == 60
    assert _pupils(got) == _pupils(expected)
    groups = {(g.group_id, g.name, g.location, g.teacher_numbers) for g in got.groups}
    assert groups == {(g.group_id, g.name, g.location, g.teacher_numbers) for g in expected.groups}
    assert any(g.teacher_numbers for g in got.groups)
    assert got.counts == expected.counts
    assert not got.problems and not got.quarantined_keys


def test_bad_key_is_fatal_and_never_shows_the_key(emu: ParnasSysEmulator) -> None:
    seed_small(emu)
    wrong = "Zz9-wrong-key-value"
    with pytest.raises(FatalError) as caught:
        source(emu, key=wrong).read()
    assert "Client" in str(caught.value)
    assert wrong not in str(caught.value) and KEY not in str(caught.value)


def test_missing_key_names_the_variable(emu: ParnasSysEmulator) -> None:
    with pytest.raises(ConfigError, match="PARNASSYS_TEST_KEY_UNSET"):
        source(emu, key=None).read()


def test_busy_server_is_retried(emu: ParnasSysEmulator) -> None:
    seed_small(emu)
    emu.fail_next(operation="getLeerlingen", retry_after=2, times=2)
    emu.fail_next(operation="getMedewerkers", fault_code=None, status=503)
    sleeps: list[float] = []
    batch = source(emu, sleeps=sleeps).read()
    assert len(batch.pupils) == 1 and sleeps[:2] == [2.0, 2.0] and len(sleeps) == 3
    statuses = [c.status for c in emu.calls]
    assert statuses == [500, 500, 200, 503, 200]


def test_a_server_that_stays_busy_gives_up(emu: ParnasSysEmulator) -> None:
    seed_small(emu)
    emu.fail_next(retry_after=0, times=MAX_ATTEMPTS)
    with pytest.raises(TransientError, match="Server"):
        source(emu).read()
    assert len(emu.calls) == MAX_ATTEMPTS


def test_bad_records_are_quarantined(emu: ParnasSysEmulator) -> None:
    seed_small(emu)
    emu.add_pupil("07XY", "4712", given="Bo", family="Smit", birth_date="2017-02-30",
                  placements=[("G5B", "2026-08-24", None)])  # fmt: skip
    emu.add_pupil("07XY", "4713", given="Jip", family="Vos", dependancecode="07")
    emu.add_pupil("07XY", "4714", given="Sem", family=None,
                  placements=[("NOPE", None, None)])  # fmt: skip
    batch = source(emu).read()
    assert [p.sis_id for p in batch.pupils] == ["4711"]
    assert batch.quarantined_keys == {"pupil:4712", "pupil:4713", "pupil:4714"}
    found = {(p.file, p.line, p.record, p.field) for p in batch.problems}
    assert found == {
        ("getLeerlingen", None, "4712", "geboortedatum"),
        ("getLeerlingen", None, "4713", "dependancecode"),
        ("getLeerlingen", None, "4714", "achternaam"),
        ("getLeerlingen", None, "4714", "groepsindeling/groep"),
    }
    assert batch.counts == {"pupils": 4, "groups": 1}


def test_two_active_groups_quarantine_the_pupil(emu: ParnasSysEmulator) -> None:
    seed_small(emu)
    emu.add_group("07XY", "G6A", "Groep 6a")
    emu.add_pupil("07XY", "4715", given="Lot", family="Kok",
                  placements=[("G5B", None, None), ("G6A", "2026-08-24", None)])  # fmt: skip
    batch = source(emu).read()
    assert "pupil:4715" in batch.quarantined_keys
    assert [p.field for p in batch.problems] == ["groepsindelingen"]


def test_no_teacher_group_links_at_all_is_reported_once(emu: ParnasSysEmulator) -> None:
    seed_small(emu)
    emu.add_staff("07XY", "M2", given="Jan", family="Smit", employee_number="100008")
    emu.staff_groups = False  # getMedewerkers as the vendor's own connector reads it
    batch = source(emu).read()
    (problem,) = [p for p in batch.problems if p.field == "medewerker/groepen"]
    assert "no class access" in problem.reason and problem.record is None
    assert all(not g.teacher_numbers for g in batch.groups)
    assert len(batch.pupils) == 1  # pupils are unaffected


def test_every_brin_of_the_board_is_read(emu: ParnasSysEmulator) -> None:
    """Two BRINs (two schools of one board): both operations are called per BRIN, each in
    the school year, and the pupils, groups and teachers of both are joined."""
    seed_small(emu)
    emu.add_group("07XZ", "G3A", "Groep 3a", dependancecode="00")
    emu.add_staff("07XZ", "M7", given="Kees", family="Bakker", employee_number="100042",
                  groups=["G3A"])  # fmt: skip
    for n in range(3):
        emu.add_pupil(
            "07XZ", f"90{n}", given="Sem", family=f"Visser{n}", birth_date=date(2019, 1, 1 + n),
            placements=[("G3A", date(2026, 8, 24), None)], enrolments=[(date(2023, 8, 21), None)],
        )  # fmt: skip
    config = ParnasSysSourceConfig(
        type="parnassys", url=emu.url, supplier=SUPPLIER, brins=["07XY", "07xz "],
        key_env="PARNASSYS_TEST_KEY_UNSET",
    )  # fmt: skip
    batch = ParnasSysSource("las", config, LOCATIONS | {"07XZ00"}, key=KEY, today=TODAY).read()
    assert not batch.problems
    assert sorted((p.sis_id, p.location, p.group_id) for p in batch.pupils) == [
        ("4711", "07XY01", "G5B"), ("900", "07XZ00", "G3A"), ("901", "07XZ00", "G3A"),
        ("902", "07XZ00", "G3A"),
    ]  # fmt: skip
    assert {(g.group_id, g.location, g.teacher_numbers) for g in batch.groups} == {
        ("G5B", "07XY01", frozenset({"100007"})),
        ("G3A", "07XZ00", frozenset({"100042"})),
    }
    assert batch.counts == {"pupils": 4, "groups": 2}
    assert sorted((c.operation, c.brin, c.school_year) for c in emu.calls) == [
        ("getLeerlingen", "07XY", YEAR), ("getLeerlingen", "07XZ", YEAR),
        ("getMedewerkers", "07XY", YEAR), ("getMedewerkers", "07XZ", YEAR),
    ]  # fmt: skip
