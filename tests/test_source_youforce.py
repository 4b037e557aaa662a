"""The Youforce IAM API source, read through ``read()`` against the loopback emulator."""

from __future__ import annotations

import csv
import itertools
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.emulators.youforce import RecordedRequest, YouforceEmulator
from connectors.hr.config import HrCsvSourceConfig
from connectors.hr.csv_source import HrCsvSource
from connectors.hr.youforce import YouforceSource
from connectors.hr.youforce.config import YouforceSourceConfig
from connectors.hr.youforce.source import MAX_ATTEMPTS, translate
from provisioner.domain.models import Employment, PersonName, StaffMember
from provisioner.errors import ConnectorError, FatalError, TransientError
from provisioner.sources.models import SourceBatch, SourceKind

SECRET = "Vv9-not-the-demo-secret"
TODAY = date(2026, 3, 1)
ORG_UNITS = {"1203": "12AB00", "1204": "12AB01"}
PERSONS = "/iam/v1.0/persons"
EMPLOYMENTS = "/iam/v1.0/employments"


class FakeClock:
    """A monotonic clock that moves only when slept on: pacing and retries cost no time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def emu() -> Iterator[YouforceEmulator]:
    with YouforceEmulator(client_secret=SECRET) as emulator:
        yield emulator


def make_source(
    emu: YouforceEmulator,
    *,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    secret: str | None = SECRET,
    calls_per_minute: int = 100,
    transport: httpx.BaseTransport | None = None,
    tenant_id: str | None = None,
) -> YouforceSource:
    if clock is None:
        fake = FakeClock()
        clock, sleep = fake, fake.sleep
    assert sleep is not None
    config = YouforceSourceConfig(
        type="youforce",
        base_url=emu.url,
        token_url=emu.token_url,
        client_id=emu.client_id,
        calls_per_minute=calls_per_minute,
        tenant_id=tenant_id,
    )
    return YouforceSource(
        "hr",
        config,
        ORG_UNITS,
        client_secret=secret,
        transport=transport,
        clock=clock,
        sleep=sleep,
        today=TODAY,
    )


def seed_units(emu: YouforceEmulator) -> tuple[str, str, str, str]:
    """Two mapped units and two job profiles: (unit 1203, unit 1204, Leerkracht, IB-er)."""
    return (
        emu.add_org_unit("1203", "OBS De Regenboog"),
        emu.add_org_unit("1204", "OBS De Linde"),
        emu.add_job_profile("LK", "Leerkracht"),
        emu.add_job_profile("IB", "Intern begeleider"),
    )


def by_number(batch: SourceBatch) -> dict[str, StaffMember]:
    return {member.employee_number: member for member in batch.staff}


def api_calls(emu: YouforceEmulator) -> list[RecordedRequest]:
    return [r for r in emu.requests if r.is_api]


def token_calls(emu: YouforceEmulator) -> int:
    return sum(1 for r in emu.requests if r.method == "POST" and r.status == 200)


# -- reading and joining ------------------------------------------------------------------------


def test_reads_every_page_and_joins_units_and_profiles() -> None:
    with YouforceEmulator(client_secret=SECRET, page_size=2) as emu:
        regenboog, linde, teacher, ib = seed_units(emu)
        emu.add_job_profile("DIR", "Directeur")
        for i in range(5):
            number = f"00451{i}"
            emu.add_person(number, known_as=f"Naam{i}", last_name_at_birth=f"Achter{i}")
            emu.add_employment(
                number, organization_unit=regenboog, job_profile=teacher, hire_date="2021-08-01"
            )
        emu.add_employment(
            "004510",
            organization_unit=linde,
            job_profile=ib,
            hire_date="2024-08-01",
            discharge_date="2026-07-31",
        )
        batch = make_source(emu).read()
        queries = {
            path: [r.query for r in api_calls(emu) if r.path == path]
            for path in (PERSONS, EMPLOYMENTS, "/iam/v1.0/jobProfiles")
        }

    assert batch.kind is SourceKind.HR and batch.source == "hr"
    assert batch.problems == [] and batch.quarantined_keys == set()
    assert batch.counts == {"staff": 5}
    assert sorted(by_number(batch)) == [f"00451{i}" for i in range(5)]
    assert by_number(batch)["004510"] == StaffMember(
        "004510",
        PersonName("Naam0", "", "Achter0"),
        (
            Employment("12AB00", "Leerkracht", date(2021, 8, 1), None),
            Employment("12AB01", "Intern begeleider", date(2024, 8, 1), date(2026, 7, 31)),
        ),
    )
    assert queries == {
        PERSONS: ["", "skip=2", "skip=4"],
        EMPLOYMENTS: ["", "skip=2", "skip=4"],
        "/iam/v1.0/jobProfiles": ["", "skip=2"],
    }
    assert token_calls(emu) == 1


#: nameAssembleOrder -> (tussenvoegsel, family name) for own name "de Vries", partner "van Dijk".
NAME_CASES: dict[str | None, tuple[str, str]] = {
    "E": ("de", "Vries"),  # Beaufort: eigen naam
    "P": ("van", "Dijk"),  # partnernaam
    "B": ("van", "Dijk-de Vries"),  # partner - eigen
    "C": ("de", "Vries-van Dijk"),  # eigen - partner
    "D": ("de", "Vries-van Dijk"),
    "c": ("de", "Vries-van Dijk"),  # case is ignored
    "0": ("van", "Dijk-de Vries"),  # Business digits
    "1": ("de", "Vries"),
    "2": ("van", "Dijk"),
    "3": ("de", "Vries-van Dijk"),
    "4": ("de", "Vries"),
    None: ("de", "Vries"),  # no code: the own name
}


def test_every_name_assemble_order(emu: YouforceEmulator) -> None:
    regenboog, _, teacher, _ = seed_units(emu)
    codes = {f"N{i:02d}": code for i, code in enumerate(NAME_CASES)}
    for number, code in codes.items():
        emu.add_person(
            number,
            known_as="Anne",
            last_name_at_birth="Vries",
            last_name_at_birth_prefix="de",
            partner_name="Dijk",
            partner_name_prefix="van",
            name_assemble_order=code,
        )
        emu.add_employment(
            number, organization_unit=regenboog, job_profile=teacher, hire_date="2020-08-01"
        )
    emu.add_person(  # a partner name without a prefix
        "N99", known_as="Bo", last_name_at_birth="Vries", last_name_at_birth_prefix="de",
        partner_name="Bakker", name_assemble_order="B",
    )  # fmt: skip

    batch = make_source(emu).read()

    names = {number: member.name for number, member in by_number(batch).items()}
    assert batch.problems == []
    assert names == {
        **{number: PersonName("Anne", *NAME_CASES[code]) for number, code in codes.items()},
        "N99": PersonName("Bo", "", "Bakker-de Vries"),
    }
    assert names["N02"].display == "Anne van Dijk-de Vries"


def test_given_name_is_known_as_else_the_first_of_first_names(emu: YouforceEmulator) -> None:
    emu.add_person("1", known_as="Piet", first_names="Pieter Jan", last_name_at_birth="Smit")
    emu.add_person("2", first_names="  Pieter  Jan ", last_name_at_birth="Smit")

    names = {m.employee_number: m.name.given for m in make_source(emu).read().staff}

    assert names == {"1": "Piet", "2": "Pieter"}


def test_end_dates_open_absent_and_real(emu: YouforceEmulator) -> None:
    regenboog, _, teacher, _ = seed_units(emu)
    emu.add_person("1", known_as="Jan", last_name_at_birth="Jansen")
    emu.add_employment(
        "1", organization_unit=regenboog, job_profile=teacher, hire_date="2020-08-01"
    )
    emu.add_raw(  # no dischargeDate at all, and dates with a time part
        "employments",
        {"id": "E-x", "personCode": "1", "hireDate": "2021-08-01T00:00:00",
         "organizationUnit": regenboog, "jobProfile": teacher},
    )  # fmt: skip
    emu.add_employment(
        "1",
        organization_unit=regenboog,
        job_profile=teacher,
        hire_date="2019-08-01",
        discharge_date="2020-07-31",
    )

    batch = make_source(emu).read()

    assert [e.end for e in by_number(batch)["1"].employments] == [None, None, date(2020, 7, 31)]
    assert emu.records("employments")[0]["dischargeDate"] == "9999-12-31"


def test_person_absent_properties_mean_no_value(emu: YouforceEmulator) -> None:
    emu.add_raw("persons", {"personCode": "7", "knownAs": "Sem", "lastNameAtBirth": "Bos"})
    emu.add_raw(  # null and empty values are "no value" as well
        "persons",
        {"personCode": "8", "knownAs": "Eva", "lastNameAtBirth": "Kok",
         "lastNameAtBirthPrefix": None, "partnerName": "", "nameAssembleOrder": None},
    )  # fmt: skip
    emu.add_person("9", known_as="Ot", last_name_at_birth="Vos", extra={"isDeleted": True})

    batch = make_source(emu).read()

    assert batch.problems == [] and batch.quarantined_keys == set()
    assert by_number(batch) == {
        "7": StaffMember("7", PersonName("Sem", "", "Bos"), ()),
        "8": StaffMember("8", PersonName("Eva", "", "Kok"), ()),
    }


def test_the_version_valid_today_is_used(emu: YouforceEmulator) -> None:
    old: dict[str, Any] = {"valid_from": "2020-01-01", "valid_until": "2025-12-31"}
    emu.add_person("1", known_as="Lisa", last_name_at_birth="Oud", **old)
    emu.add_person("1", known_as="Lisa", last_name_at_birth="Nieuw", valid_from="2026-01-01")
    emu.add_person("2", known_as="Tim", last_name_at_birth="Een", valid_from="2025-01-01")
    emu.add_person("2", known_as="Tim", last_name_at_birth="Twee", valid_from="2026-01-01")

    batch = make_source(emu).read()

    assert by_number(batch)["1"].name.family == "Nieuw"
    assert "2" not in by_number(batch) and batch.quarantined_keys == {"staff:2"}
    assert [(p.record, p.field) for p in batch.problems] == [("2", "personCode")]


def test_split_contracts_merge_and_a_conflicting_repeat_is_rejected(
    emu: YouforceEmulator,
) -> None:
    regenboog, _, teacher, ib = seed_units(emu)
    for number in ("1", "2"):
        emu.add_person(number, known_as="Noor", last_name_at_birth="Meijer")
    same: dict[str, Any] = {
        "organization_unit": regenboog,
        "job_profile": teacher,
        "hire_date": "2020-08-01",
    }
    emu.add_employment("1", **same)  # two employments, same school, title and dates
    emu.add_employment("1", **same)
    emu.add_employment("2", id="E-dup", **same)
    emu.add_employment("2", id="E-dup", **{**same, "job_profile": ib})

    batch = make_source(emu).read()

    assert by_number(batch)["1"].employments == (
        Employment("12AB00", "Leerkracht", date(2020, 8, 1), None),
    )
    assert batch.quarantined_keys == {"staff:2"}
    assert [(p.file, p.record, p.field) for p in batch.problems] == [(EMPLOYMENTS, "2", "id")]


def test_bad_records_are_reported_and_their_person_quarantined(emu: YouforceEmulator) -> None:
    regenboog, _, teacher, _ = seed_units(emu)
    elsewhere = emu.add_org_unit("9999", "Bestuursbureau")
    untitled = emu.add_job_profile(None, None)
    names: dict[str, dict[str, Any]] = {
        "1001": {"known_as": "Goed", "last_name_at_birth": "Persoon"},
        "1002": {"last_name_at_birth": "Zondervoornaam"},
        "1003": {"known_as": "Raar", "last_name_at_birth": "Code", "name_assemble_order": "X"},
        "1004": {"known_as": "Geen", "last_name_at_birth": "Partner", "name_assemble_order": "P"},
        "1011": {"known_as": "Geen", "name_assemble_order": "E"},
    }
    for number in ("1001", "1002", "1003", "1004", *(str(n) for n in range(1005, 1011)), "1011"):
        emu.add_person(number, **names.get(number, {"known_as": "Ok", "last_name_at_birth": "Ok"}))
    job: dict[str, Any] = {
        "organization_unit": regenboog,
        "job_profile": teacher,
        "hire_date": "2020-08-01",
    }
    for number in ("1001", "1002", "1003", "1004", "1011"):
        emu.add_employment(number, **job)
    emu.add_employment("1005", **{**job, "organization_unit": "OU-gone"})
    emu.add_employment("1006", **{**job, "organization_unit": elsewhere})
    emu.add_employment("1007", **{**job, "job_profile": "JP-gone"})
    emu.add_employment("1008", **{**job, "hire_date": "2026-02-30"})
    emu.add_employment("1009", **{**job, "discharge_date": "2019-07-31"})
    emu.add_employment("1010", **job)  # good, but the person's other employment is not
    emu.add_employment("1010", **{**job, "hire_date": None, "job_profile": untitled})
    emu.add_employment("1099", **job)  # nobody in /persons has this personCode
    emu.add_raw("persons", {"knownAs": "Zonder", "lastNameAtBirth": "Nummer"})
    emu.add_raw("employments", {"id": "E-anon", "hireDate": "2020-08-01"})

    batch = make_source(emu).read()

    found = {(p.file, p.line, p.record, p.field) for p in batch.problems}
    assert found == {
        (PERSONS, None, "1002", "knownAs"),
        (PERSONS, None, "1003", "nameAssembleOrder"),
        (PERSONS, None, "1004", "partnerName"),
        (PERSONS, None, "1011", "lastNameAtBirth"),
        (EMPLOYMENTS, None, "1005", "organizationUnit"),
        (EMPLOYMENTS, None, "1006", "organizationUnit"),
        (EMPLOYMENTS, None, "1007", "jobProfile"),
        (EMPLOYMENTS, None, "1008", "hireDate"),
        (EMPLOYMENTS, None, "1009", "dischargeDate"),
        (EMPLOYMENTS, None, "1010", "hireDate"),
        (EMPLOYMENTS, None, "1010", "jobProfile"),
        (EMPLOYMENTS, None, "1099", "personCode"),
        (PERSONS, None, None, "personCode"),
        (EMPLOYMENTS, None, None, "personCode"),
    }
    reasons = {(p.record, p.field): p.reason for p in batch.problems}
    assert reasons[("1006", "organizationUnit")] == (
        f"org unit '9999' (organizationUnit {elsewhere}) is not listed by any location "
        "(hr_org_units)"
    )
    assert reasons[("1005", "organizationUnit")].startswith("organizationUnit 'OU-gone' is not")
    assert reasons[("1008", "hireDate")] == "'2026-02-30' is not a date (expected YYYY-MM-DD)"
    assert (  # the report's line names the system
        "Youforce (hr), /iam/v1.0/employments, record 1008, field hireDate: "
        "'2026-02-30' is not a date (expected YYYY-MM-DD)"
    ) in {p.describe() for p in batch.problems}
    assert reasons[(None, "personCode")] in {"no personCode", "employment E-anon has no personCode"}
    assert not any("Zonder" in p.reason or "Persoon" in p.reason for p in batch.problems)
    assert [m.employee_number for m in batch.staff] == ["1001"]
    assert batch.quarantined_keys == {
        f"staff:{n}" for n in ("1002", "1003", "1004", "1011", "1099", *map(str, range(1005, 1011)))
    }
    assert batch.unkeyed_rejects == 2
    assert batch.counts == {"staff": 12}


def test_demo_staff_rows_read_the_same_as_the_csv_source(tmp_path: Path) -> None:
    rows = [
        "employee_number,given_name,prefix,family_name,org_unit,function_title,start_date,end_date",
        "100001,Anne-Fleur,van 't,Hek,1203,Groepsleerkracht,2020-08-01,",
        "100001,Anne-Fleur,van 't,Hek,1204,Intern begeleider,2024-08-01,2026-07-31",
        "100002,Sanne,,Jansen,1204,Directeur,2019-01-01,",
    ]
    path = tmp_path / "hr.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    expected = HrCsvSource("csv", HrCsvSourceConfig(type="hr-csv", path=path), ORG_UNITS).read()

    with YouforceEmulator(client_secret=SECRET) as emu, path.open(encoding="utf-8") as handle:
        emu.load_staff(csv.DictReader(handle))
        batch = make_source(emu).read()

    assert batch.problems == [] and expected.problems == []
    assert by_number(batch) == by_number(expected)
    assert len(emu.records("organizationUnits")) == 2 and len(emu.records("jobProfiles")) == 3


# -- the calls-per-minute limit -----------------------------------------------------------------


@pytest.mark.parametrize("smooth", [False, True], ids=["window", "spike-arrest"])
def test_the_rate_limit_is_kept_without_429(smooth: bool) -> None:
    # The source's minute runs 60 times faster, so 5 calls per minute is 5 per real second.
    def clock() -> float:
        return time.monotonic() * 60

    def sleep(seconds: float) -> None:
        time.sleep(seconds / 60)

    with YouforceEmulator(
        client_secret=SECRET, page_size=1, calls_per_window=5, window=1.0, smooth=smooth
    ) as emu:
        regenboog, _, teacher, _ = seed_units(emu)
        for number in ("1", "2", "3", "4"):
            emu.add_person(number, known_as="Kim", last_name_at_birth="Dekker")
            emu.add_employment(
                number, organization_unit=regenboog, job_profile=teacher, hire_date="2020-08-01"
            )
        batch = make_source(emu, clock=clock, sleep=sleep, calls_per_minute=5).read()
        calls = api_calls(emu)
        most = emu.max_calls_in_window(1.0)

    assert len(batch.staff) == 4
    assert len(calls) == 12  # 2 units, 2 profiles, 4 persons, 4 employments: a page each
    assert [r.status for r in calls] == [200] * 12
    assert most <= 5
    gaps = [b.time - a.time for a, b in itertools.pairwise(calls)]
    assert min(gaps) >= 0.2  # 60 s / 5 calls, on the source's fast clock


def test_a_429_is_retried_after_retry_after() -> None:
    # The source allows itself far more than the server: the server's 429 paces it.
    with YouforceEmulator(client_secret=SECRET, page_size=1, calls_per_window=2, window=1.0) as emu:
        regenboog, teacher = emu.add_org_unit("1203"), emu.add_job_profile("LK")
        emu.add_person("1", known_as="Kim", last_name_at_birth="Dekker")
        emu.add_employment(
            "1", organization_unit=regenboog, job_profile=teacher, hire_date="2020-08-01"
        )
        batch = make_source(
            emu, clock=time.monotonic, sleep=time.sleep, calls_per_minute=60_000
        ).read()
        calls = api_calls(emu)

    assert [m.employee_number for m in batch.staff] == ["1"]
    refused = [i for i, r in enumerate(calls) if r.status == 429]
    assert refused and calls[-1].status == 200
    for i in refused:
        wait = calls[i].retry_after
        assert wait is not None
        assert calls[i + 1].time - calls[i].time >= wait
        assert calls[i + 1].path == calls[i].path and calls[i + 1].query == calls[i].query


def test_retry_after_of_an_injected_429_is_waited_exactly(emu: YouforceEmulator) -> None:
    emu.add_person("1", known_as="Kim", last_name_at_birth="Dekker")
    emu.fail_next(429, path=PERSONS, retry_after=7)
    fake = FakeClock()

    batch = make_source(emu, clock=fake, sleep=fake.sleep).read()

    assert len(batch.staff) == 1
    assert 7.0 in fake.sleeps
    assert [r.status for r in api_calls(emu) if r.path == PERSONS] == [429, 200]


# -- tokens and errors --------------------------------------------------------------------------


def test_the_token_is_reused_until_it_expires() -> None:
    with YouforceEmulator(client_secret=SECRET, token_lifetime=120) as emu:
        emu.add_person("1", known_as="Kim", last_name_at_birth="Dekker")
        fake = FakeClock()
        source = make_source(emu, clock=fake, sleep=fake.sleep)
        source.read()
        source.read()
        assert token_calls(emu) == 1
        fake.now += 120
        source.read()
        assert token_calls(emu) == 2
        assert all(r.status == 200 for r in emu.requests)


def test_a_refused_cached_token_is_renewed_once(emu: YouforceEmulator) -> None:
    emu.add_person("1", known_as="Kim", last_name_at_birth="Dekker")
    source = make_source(emu)
    source.read()
    emu.revoke_tokens()

    assert len(source.read().staff) == 1
    assert token_calls(emu) == 2
    assert [r.status for r in emu.requests].count(401) == 1


def test_a_wrong_secret_is_fatal_and_not_shown(emu: YouforceEmulator) -> None:
    wrong = "Wr0ng-Secret-4711"

    with pytest.raises(FatalError) as caught:
        make_source(emu, secret=wrong).read()

    assert "invalid_client" in str(caught.value)
    assert wrong not in str(caught.value) and SECRET not in str(caught.value)
    assert api_calls(emu) == []


def test_the_secret_comes_from_the_environment(
    emu: YouforceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.add_person("1", known_as="Kim", last_name_at_birth="Dekker")
    env = YouforceSourceConfig(type="youforce", client_id="x").client_secret_env
    monkeypatch.setenv(env, SECRET)
    assert len(make_source(emu, secret=None).read().staff) == 1

    monkeypatch.delenv(env)
    with pytest.raises(FatalError, match=env):
        make_source(emu, secret=None).read()


@pytest.mark.parametrize("status", [401, 403, 404])
def test_refusals_are_fatal(emu: YouforceEmulator, status: int) -> None:
    emu.fail_next(status, path=PERSONS, times=2)

    with pytest.raises(FatalError, match=f"{PERSONS}: Youforce answered {status}"):
        make_source(emu).read()


def test_server_errors_are_retried_and_then_given_up(emu: YouforceEmulator) -> None:
    emu.add_person("1", known_as="Kim", last_name_at_birth="Dekker")
    emu.fail_next(503, path=PERSONS)
    assert len(make_source(emu).read().staff) == 1

    emu.fail_next(500, path=PERSONS, times=100)
    with pytest.raises(TransientError, match="answered 500"):
        make_source(emu).read()
    assert [r.status for r in api_calls(emu) if r.path == PERSONS][-MAX_ATTEMPTS:] == [
        500
    ] * MAX_ATTEMPTS


def test_timeouts_are_transient(emu: YouforceEmulator) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"access_token": "tok-123", "expires_in": 3600})
        raise httpx.ReadTimeout("timed out", request=request)

    fake = FakeClock()
    source = make_source(emu, clock=fake, sleep=fake.sleep, transport=httpx.MockTransport(handler))

    with pytest.raises(TransientError, match="did not answer in time"):
        source.read()
    assert len(fake.sleeps) >= MAX_ATTEMPTS - 1  # waits between attempts, plus pacing


def test_the_tenant_is_sent_with_the_token_request_when_configured() -> None:
    with YouforceEmulator(client_secret=SECRET, tenant_id="T-4711") as emu:
        emu.add_person("1", known_as="Kim", last_name_at_birth="Dekker")
        with pytest.raises(FatalError, match="tenant_id"):
            make_source(emu).read()  # Visma Connect refuses a token without the tenant
        source = make_source(emu, tenant_id="T-4711")
        assert [m.employee_number for m in source.read().staff] == ["1"]
        with pytest.raises(FatalError):
            make_source(emu, tenant_id="T-9999").read()  # another tenant


def test_a_repeated_next_link_is_an_error() -> None:
    with YouforceEmulator(client_secret=SECRET, page_size=1) as emu:
        for number in ("1", "2", "3"):
            emu.add_person(number, known_as="Kim", last_name_at_birth="Dekker")
        emu.repeat_next_link = True

        with pytest.raises(FatalError, match="repeated nextLink"):
            make_source(emu).read()


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind", "wait"),
    [
        (400, {"error": "invalid_client"}, {}, FatalError, None),
        (400, {"message": "bad filter"}, {}, FatalError, None),
        (401, {}, {}, FatalError, None),
        (403, {}, {}, FatalError, None),
        (404, {}, {}, FatalError, None),
        (408, {}, {}, TransientError, None),
        (429, {"fault": {"faultstring": "Spike arrest"}}, {"Retry-After": "3"}, TransientError, 3),
        (500, {}, {}, TransientError, None),
        (502, "<html>Bad gateway</html>", {}, TransientError, None),
        (503, {}, {"Retry-After": "12"}, TransientError, 12),
        (504, {}, {}, TransientError, None),
    ],
)
def test_status_to_error_table(
    status: int, body: Any, headers: dict[str, str], kind: type[ConnectorError], wait: float | None
) -> None:
    content = body if isinstance(body, str) else None
    response = httpx.Response(
        status, headers=headers, content=content, json=None if content else body
    )

    error = translate("GET /x", response, [SECRET])

    assert type(error) is kind
    if isinstance(error, TransientError):
        assert error.retry_after == wait


def test_translation_blanks_secrets_echoed_by_the_server() -> None:
    response = httpx.Response(400, json={"error": "invalid_request", "error_description": SECRET})
    failure = httpx.ConnectError(f"refused {SECRET}")

    assert SECRET not in str(translate("token request", response, [SECRET]))
    assert SECRET not in str(translate("token request", failure, [SECRET]))
    assert isinstance(translate("x", httpx.ReadTimeout("slow"), ()), TransientError)


# -- the emulator itself ------------------------------------------------------------------------


def test_the_emulator_omits_empty_properties_and_refers_by_id(emu: YouforceEmulator) -> None:
    regenboog, _, teacher, _ = seed_units(emu)
    emu.add_person("1", known_as="Kim", last_name_at_birth="Dekker", last_name_at_birth_prefix="")
    emu.add_employment(
        "1", organization_unit=regenboog, job_profile=teacher, hire_date="2020-08-01"
    )

    with httpx.Client(base_url=emu.url) as http:
        refused = http.post(
            "/authentication/token",
            data={"grant_type": "client_credentials", "client_id": "provisioner",
                  "client_secret": "nope"},
        )  # fmt: skip
        answer = http.post(
            "/authentication/token",
            auth=(emu.client_id, SECRET),
            data={"grant_type": "client_credentials"},
        ).json()
        bearer = {"Authorization": f"Bearer {answer['access_token']}"}
        person = http.get(PERSONS, headers=bearer).json()["value"][0]
        employment = http.get(EMPLOYMENTS, headers=bearer).json()["value"][0]
        unauthorised = http.get(PERSONS, headers={"Authorization": "Bearer made-up"})

    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert answer["expires_in"] == 3600 and answer["token_type"] == "Bearer"
    assert "lastNameAtBirthPrefix" not in person and "partnerName" not in person
    assert person["nameAssembleOrder"] == "E" and person["validUntil"] == "9999-12-31"
    assert employment["organizationUnit"] == regenboog and regenboog != "1203"
    assert employment["jobProfile"] == teacher and employment["dischargeDate"] == "9999-12-31"
    assert unauthorised.status_code == 401
