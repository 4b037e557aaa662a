"""The Somtoday Connect source against its emulator: paging, the OneRoster board, consent,
quarantine and errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from connectors.consent.config import ConsentCsvSourceConfig
from connectors.consent.source import ConsentCsvSource
from connectors.emulators.somtoday import SomtodayEmulator, plaatsing
from connectors.sis.config import OneRosterSourceConfig
from connectors.sis.oneroster_csv import OneRosterCsvSource
from connectors.sis.somtoday import SomtodaySource
from connectors.sis.somtoday.config import SomtodaySourceConfig
from provisioner.domain.models import ConsentGiver, ConsentRecord, ConsentStatus, PersonName
from provisioner.errors import FatalError
from provisioner.sources.models import SourceKind
from tests.board import TODAY, make_board

BRIN = "07XY00"


@pytest.fixture
def emu() -> Iterator[SomtodayEmulator]:
    with SomtodayEmulator() as emulator:
        yield emulator


def config(emu: SomtodayEmulator, **changes: str) -> SomtodaySourceConfig:
    fields = {
        "type": "somtoday",
        "api_url": emu.api_url,
        "token_url": emu.token_url,
        "organisation": emu.organisation,
        "client_id": emu.client_id,
        **changes,
    }
    return SomtodaySourceConfig.model_validate(fields)


def source(
    emu: SomtodayEmulator, locations: frozenset[str] = frozenset({BRIN}), **kwargs: object
) -> SomtodaySource:
    secret = kwargs.pop("client_secret", emu.client_secret)
    return SomtodaySource(
        "sis",
        config(emu),
        locations,
        client_secret=str(secret),
        today=TODAY,
        sleep=lambda _: None,
        **kwargs,  # type: ignore[arg-type]
    )


def seed_school(emu: SomtodayEmulator, pupils: int) -> tuple[str, str]:
    v = emu.add_vestiging(BRIN, "OBS De Regenboog")
    mentor = emu.add_medewerker(v, afkorting="100002", achternaam="Hek", medewerkernummer="M 1")
    group = emu.add_stamgroep(v, "Groep 5b", mentoren=[mentor])
    for i in range(pupils):
        emu.add_leerling(
            v,
            uuid=f"L{i:04d}",
            roepnaam=f"Kind{i}",
            achternaam="Jansen",
            geboortedatum="2016-05-04",
            plaatsingen=[plaatsing(group, "Groep 5b", "2026-08-01", "2027-07-31")],
        )
    return v, group


def test_pages_with_offset_and_amount_until_a_short_page(emu: SomtodayEmulator) -> None:
    v, group = seed_school(emu, 11)
    batch = source(emu, page_size=4).read()
    assert batch.kind is SourceKind.SIS
    assert sorted(p.sis_id for p in batch.pupils) == [f"L{i:04d}" for i in range(11)]
    assert batch.counts == {"pupils": 11, "groups": 1, "consents": 0}
    asked = [q for path, q in emu.requests if path.endswith(f"{v}/leerling")]
    assert [q.split("&")[1:] for q in asked] == [
        ["offset=0", "amount=4"],
        ["offset=4", "amount=4"],
        ["offset=8", "amount=4"],
    ]
    pupil = batch.pupils[0]
    assert (pupil.group_id, pupil.location, pupil.enabled_in_sis) == (group, BRIN, True)
    assert (pupil.enrolment_start, pupil.enrolment_end) == (date(2026, 8, 1), date(2027, 7, 31))
    assert batch.groups[0].teacher_numbers == frozenset({"100002"})  # afkorting, not M 1


def test_an_exact_multiple_of_the_page_reads_one_empty_page_more(emu: SomtodayEmulator) -> None:
    v, _ = seed_school(emu, 8)
    assert len(source(emu, page_size=4).read().pupils) == 8
    assert sum(path.endswith(f"{v}/leerling") for path, _ in emu.requests) == 3


def test_the_emulator_refuses_more_than_200_and_the_source_asks_200(
    emu: SomtodayEmulator,
) -> None:
    v, _ = seed_school(emu, 201)
    token = httpx.post(
        emu.token_url,
        params={"organisation": emu.organisation},
        data={"grant_type": "client_credentials", "client_id": emu.client_id,
              "client_secret": emu.client_secret},
    ).json()["access_token"]  # fmt: skip
    refused = httpx.get(
        f"{emu.api_url}/connect/vestiging/{v}/leerling",
        params={"offset": 0, "amount": 201},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 400
    assert set(refused.json()) == {"code", "problem", "clarification"}
    emu.requests.clear()
    batch = source(emu).read()
    assert len(batch.pupils) == 201
    amounts = {q for path, q in emu.requests if path.endswith(f"{v}/leerling")}
    assert amounts == {"peilschooljaar=HUIDIG&offset=0&amount=200",
                       "peilschooljaar=HUIDIG&offset=200&amount=200"}  # fmt: skip
    with pytest.raises(ValueError):
        source(emu, page_size=201)


def test_a_board_reads_the_same_through_somtoday_as_through_oneroster(tmp_path: Path) -> None:
    board = make_board(tmp_path, pupils=60)
    locations = frozenset(loc.brin6 for loc in board.config.locations)
    oneroster = OneRosterCsvSource(
        "sis",
        OneRosterSourceConfig(type="oneroster-csv", path=tmp_path / "sis"),
        locations,
        today=TODAY,
    ).read()
    with SomtodayEmulator() as emu:
        emu.load_oneroster(tmp_path / "sis", today=TODAY)
        somtoday = source(emu, locations).read()
    assert len(oneroster.pupils) >= 50 and not oneroster.problems
    assert not somtoday.problems and not somtoday.quarantined_keys

    def pupils(batch: object) -> dict[str, tuple[object, ...]]:
        return {
            p.key: (p.name, p.group_id, p.location, p.birth_date, p.eck_id, p.enabled_in_sis,
                    p.enrolment_start, p.enrolment_end)
            for p in batch.pupils  # type: ignore[attr-defined]
        }  # fmt: skip

    assert pupils(somtoday) == pupils(oneroster)
    groups = {(g.group_id, g.name, g.location, g.teacher_numbers) for g in oneroster.groups}
    assert {(g.group_id, g.name, g.location, g.teacher_numbers) for g in somtoday.groups} == groups
    assert any(g.teacher_numbers for g in somtoday.groups)
    assert somtoday.counts["pupils"] == oneroster.counts["pupils"]
    assert somtoday.counts["groups"] == oneroster.counts["groups"]
    assert somtoday.counts["consents"] == len(somtoday.consents) > 0
    register = ConsentCsvSource(
        "consent", ConsentCsvSourceConfig(type="consent-csv", path=tmp_path / "consents.csv")
    ).read()
    latest: dict[tuple[str, str], ConsentRecord] = {}
    for record in sorted(register.consents, key=lambda c: c.recorded_on):
        latest[record.pupil_id, record.medium] = record
    expected = {
        (pupil, medium, c.status is ConsentStatus.GRANTED, c.given_by)
        for (pupil, medium), c in latest.items()
    }
    got = {
        (c.pupil_id, c.medium, c.status is ConsentStatus.GRANTED, c.given_by)
        for c in somtoday.consents
    }
    assert got == expected


def test_consent_ticked_unticked_and_unanswered(emu: SomtodayEmulator) -> None:
    v = emu.add_vestiging(BRIN, "School")
    g = emu.add_stamgroep(v, "3a")
    young = emu.add_leerling(
        v, roepnaam="Kim", achternaam="Smit", geboortedatum="2012-01-01",
        plaatsingen=[plaatsing(g, "3a", "2026-08-01")],
    )  # fmt: skip
    older = emu.add_leerling(
        v, voornamen="Johannes Petrus", voorvoegsel="van der", achternaam="Berg",
        geboortedatum="2010-11-22", plaatsingen=[plaatsing(g, "3a", "2026-08-01")],
    )  # fmt: skip
    for naam in ("website", "social media", "schoolgids"):
        emu.add_toestemming_veld(naam)
    emu.add_toestemming_veld("Excursies", categorie="Overig")
    emu.set_toestemming(young, "website", True)
    emu.set_toestemming(young, "social media", False)
    emu.set_toestemming(young, "schoolgids", None)  # listed without aangekruist: not answered
    emu.set_toestemming(young, "Excursies", True)  # another category: not a medium
    emu.set_toestemming(older, "website", True)
    batch = source(emu).read()
    answers = {(c.pupil_id, c.medium): c for c in batch.consents}
    assert set(answers) == {(young, "website"), (young, "social media"), (older, "website")}
    assert answers[young, "website"].status is ConsentStatus.GRANTED
    assert answers[young, "social media"].status is ConsentStatus.REFUSED
    assert answers[young, "website"].given_by is ConsentGiver.PARENT  # 14
    assert answers[older, "website"].given_by is ConsentGiver.PUPIL  # 16 today
    assert {(c.school_year, c.recorded_on) for c in batch.consents} == {("2026-2027", TODAY)}
    assert batch.counts["consents"] == 3
    names = {p.sis_id: p.name for p in batch.pupils}
    assert names[older] == PersonName("Johannes", "van der", "Berg")


def test_consents_are_read_per_medium_in_pages_not_per_pupil(emu: SomtodayEmulator) -> None:
    v, _ = seed_school(emu, 5)
    for naam in ("website", "nieuwsbrief"):
        emu.add_toestemming_veld(naam)
    for i in range(5):
        emu.set_toestemming(f"L{i:04d}", "website", i % 2 == 0)
        emu.set_toestemming(f"L{i:04d}", "nieuwsbrief", True)
    batch = source(emu, page_size=2).read()
    assert len(batch.consents) == 10
    granted = {c.pupil_id for c in batch.consents if c.medium == "website"
               and c.status is ConsentStatus.GRANTED}  # fmt: skip
    assert granted == {"L0000", "L0002", "L0004"}
    asked = [q for path, q in emu.requests if path.endswith(f"{v}/leerling/veldwaardes")]
    assert len(asked) == 6  # 2 media x 3 pages of 2, whatever the number of pupils
    assert all("vrijveldNaam=" in q and "peilschooljaar=HUIDIG" in q for q in asked)
    assert not [path for path, _ in emu.requests if path.endswith("L0000/veldwaardes")]


def test_bad_records_are_quarantined_with_record_and_field(emu: SomtodayEmulator) -> None:
    v, _ = seed_school(emu, 2)
    emu.add_raw(v, "leerling", {"uuid": "BAD1", "roepnaam": "Piet", "achternaam": "Bos",
                                "geboortedatum": "2016-02-30"})  # fmt: skip
    emu.add_raw(v, "leerling", {"uuid": "BAD2", "achternaam": "Bos",
                                "plaatsingen": [plaatsing("nope", "x", "2026-08-01")]})  # fmt: skip
    emu.add_raw(v, "leerling", {"roepnaam": "Zonder", "achternaam": "Uuid"})
    emu.add_toestemming_veld("website")
    emu.set_toestemming("L0000", "website", "ja")
    other = emu.add_vestiging("99ZZ00", "Elders")
    emu.add_leerling(other, roepnaam="Ver", achternaam="Weg")
    batch = source(emu).read()
    assert sorted(p.sis_id for p in batch.pupils) == ["L0001"]
    assert batch.quarantined_keys == {"pupil:BAD1", "pupil:BAD2", "pupil:L0000"}
    assert batch.unkeyed_rejects == 1
    found = {(p.record, p.field) for p in batch.problems}
    assert {("BAD1", "geboortedatum"), ("BAD2", "roepnaam"), ("BAD2", "plaatsingen.stamgroep"),
            ("L0000", "aangekruist"), (other, "brins")} <= found  # fmt: skip
    bad = next(p for p in batch.problems if p.record == "BAD1")
    assert bad.file == f"/connect/vestiging/{v}/leerling" and bad.line is None
    assert "2016-02-30" in bad.reason
    assert not batch.consents
    assert batch.counts["pupils"] == 4  # the one without uuid cannot be counted


def test_an_invalid_client_is_fatal_and_does_not_show_the_secret(emu: SomtodayEmulator) -> None:
    seed_school(emu, 1)
    with pytest.raises(FatalError) as caught:
        source(emu, client_secret="s3cr3t-value").read()
    assert "invalid_client" in str(caught.value)
    assert "s3cr3t-value" not in str(caught.value)


def test_transient_errors_are_retried_through_the_policy(emu: SomtodayEmulator) -> None:
    seed_school(emu, 3)
    emu.fail_next(503, retry_after=2, times=2)
    waits: list[float] = []
    batch = SomtodaySource(
        "sis", config(emu), {BRIN}, client_secret=emu.client_secret, today=TODAY,
        sleep=waits.append,
    ).read()  # fmt: skip
    assert len(batch.pupils) == 3
    assert waits == [2.0, 2.0]


def test_no_secret_is_fatal(emu: SomtodayEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROVISIONER_SOMTODAY_CLIENT_SECRET", raising=False)
    with pytest.raises(FatalError, match="PROVISIONER_SOMTODAY_CLIENT_SECRET"):
        SomtodaySource("sis", config(emu), {BRIN}).read()
