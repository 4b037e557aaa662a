"""The Magister SIS source against its emulator: pupils, classes, teacher links, the ECK iD
passed on (never made up), bad records quarantined, and errors typed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from connectors.emulators.magister import MagisterEmulator
from connectors.sis.magister.config import MagisterSourceConfig
from connectors.sis.magister.source import MagisterSource
from provisioner.domain.models import pupil_key
from provisioner.errors import ConfigError, FatalError, TransientError

NORTH, SOUTH = "07XY00", "07XY01"
UNITS = {"Locatie Noord": NORTH, "Locatie Zuid": SOUTH}
ECK = "https://ketenid.nl/201703/" + "ab" * 64


@pytest.fixture
def emu() -> Iterator[MagisterEmulator]:
    with MagisterEmulator(today=date(2026, 11, 23)) as emulator:
        yield emulator


def source(
    emu: MagisterEmulator, *, password: str | None = None, eck_field: str | None = None
) -> MagisterSource:
    config = MagisterSourceConfig(
        type="magister",
        base_url=emu.url,
        username=emu.username,
        locations=UNITS,
        eck_id_field=eck_field,
    )
    waits: list[float] = []
    return MagisterSource(
        "sis",
        config,
        {NORTH, SOUTH},
        password=emu.password if password is None else password,
        sleep=waits.append,
    )


def seed(emu: MagisterEmulator) -> None:
    emu.add_student("2001", roepnaam="Lucas", achternaam="Schouten", unit="Locatie Noord",
                    klas="1A", geb_datum="03-04-2013", extra={"eckid": ECK})  # fmt: skip
    emu.add_student("2002", roepnaam="Noor", tussenv="van 't", achternaam="Hek",
                    unit="Locatie Zuid", klas="2B", geb_datum="2012-09-30")  # fmt: skip
    emu.add_employee("100002", roepnaam="Anne", achternaam="Jansen", unit="Locatie Noord")
    emu.add_teaching("100002", "1A", "ne")
    emu.add_teaching("100002", "1A", "wi")


def test_reads_pupils_classes_and_teachers(emu: MagisterEmulator) -> None:
    seed(emu)
    batch = source(emu).read()
    assert batch.problems == []
    pupils = {p.sis_id: p for p in batch.pupils}
    assert pupils["2001"].location == NORTH and pupils["2001"].group_id == f"{NORTH}-1A"
    assert pupils["2001"].birth_date == date(2013, 4, 3)  # DD-MM-YYYY
    assert pupils["2002"].birth_date == date(2012, 9, 30)  # YYYY-MM-DD read as well
    assert pupils["2002"].name.prefix == "van 't" and pupils["2002"].name.family == "Hek"
    groups = {g.group_id: g for g in batch.groups}
    assert groups[f"{NORTH}-1A"].teacher_numbers == frozenset({"100002"})
    assert groups[f"{SOUTH}-2B"].teacher_numbers == frozenset()
    assert batch.counts == {"pupils": 2, "groups": 2}
    # one login, then each function once: the doc interface has no paging
    assert emu.calls == [
        "Login",
        "GetActiveStudents",
        "GetActiveEmpoyees",
        "GetPersoneelKlasVakken",
    ]


def test_the_eck_id_is_passed_on_when_exposed_and_never_made_up(emu: MagisterEmulator) -> None:
    seed(emu)
    with_field = {p.sis_id: p.eck_id for p in source(emu, eck_field="eckid").read().pupils}
    assert with_field == {"2001": ECK, "2002": None}
    without = {p.sis_id: p.eck_id for p in source(emu).read().pupils}
    assert without == {"2001": None, "2002": None}


def test_bad_records_are_reported_and_quarantined(emu: MagisterEmulator) -> None:
    seed(emu)
    emu.add_student("2003", roepnaam="Sem", achternaam="Bos", unit="Locatie West", klas="1A")
    emu.add_student("2004", roepnaam="", achternaam="Bakker", unit="Locatie Noord", klas="1A")
    emu.add_student("2005", roepnaam="Eva", achternaam="Smit", unit="Locatie Noord",
                    klas="1A", geb_datum="31-02-2013")  # fmt: skip
    emu.add_teaching("100002", "9Z")  # a class without pupils at the teacher's location
    batch = source(emu).read()
    assert {p.sis_id for p in batch.pupils} == {"2001", "2002"}
    assert batch.quarantined_keys == {pupil_key("2003"), pupil_key("2004"), pupil_key("2005")}
    described = {(p.record, p.field) for p in batch.problems}
    assert ("2003", "Administratieve_eenheid.Omschrijving") in described
    assert ("2004", "Roepnaam") in described
    assert ("2005", "geb_datum_str") in described
    assert ("100002", "Klas") in described  # only that access is lost
    assert all("Sem" not in p.reason and "Bos" not in p.reason for p in batch.problems)


def test_a_pupil_no_longer_active_is_not_read(emu: MagisterEmulator) -> None:
    seed(emu)
    emu.remove_student("2002")
    assert [p.sis_id for p in source(emu).read().pupils] == ["2001"]


def test_a_wrong_password_is_fatal_and_never_shown(emu: MagisterEmulator) -> None:
    seed(emu)
    with pytest.raises(FatalError) as caught:
        source(emu, password="s3cret;wrong").read()
    assert "s3cret" not in str(caught.value)
    assert "Ongeldige gebruikersnaam" in str(caught.value)


def test_an_address_off_the_allow_list_is_fatal(emu: MagisterEmulator) -> None:
    emu.blocked = True
    with pytest.raises(FatalError, match="allow-list"):
        source(emu).read()


def test_a_busy_server_is_retried_and_a_persistent_one_is_transient(
    emu: MagisterEmulator,
) -> None:
    seed(emu)
    emu.fail_next(exception="Server bezet, probeer het later opnieuw", retry_after=1, times=2)
    assert len(source(emu).read().pupils) == 2
    emu.fail_next(status=503, exception=None, times=10)
    with pytest.raises(TransientError):
        source(emu).read()


def test_a_missing_password_and_unknown_locations_are_config_errors(
    emu: MagisterEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROVISIONER_MAGISTER_PASSWORD", raising=False)
    config = MagisterSourceConfig(type="magister", base_url=emu.url, username="x", locations=UNITS)
    with pytest.raises(ConfigError, match="PROVISIONER_MAGISTER_PASSWORD"):
        MagisterSource("sis", config, {NORTH, SOUTH}).read()
    with pytest.raises(ConfigError, match=SOUTH):
        MagisterSource("sis", config, {NORTH})


def test_a_large_school_is_read_whole_in_one_unpaged_call(emu: MagisterEmulator) -> None:
    """The doc interface has no paging: 1,200 pupils come in one GetActiveStudents answer,
    and every one of them is read."""
    for n in range(1200):
        unit = "Locatie Noord" if n % 2 else "Locatie Zuid"
        emu.add_student(f"{30000 + n}", roepnaam="Sem", achternaam=f"Visser{n}", unit=unit,
                        klas=f"{1 + n % 6}A", geb_datum="03-04-2013")  # fmt: skip
    batch = source(emu).read()
    assert batch.problems == []
    assert sorted(p.sis_id for p in batch.pupils) == [f"{30000 + n}" for n in range(1200)]
    assert {p.location for p in batch.pupils} == {NORTH, SOUTH}
    assert batch.counts == {"pupils": 1200, "groups": 6}  # odd n in Noord, 2A 4A 6A
    assert emu.calls.count("GetActiveStudents") == 1
