"""The AFAS Profit source through read() against the loopback emulator: joining, paging,
name use, every rejection rule, error translation and retries."""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from connectors.emulators.afas import AfasEmulator, AfasEmulatorSettings
from connectors.hr.afas import AfasSource
from connectors.hr.afas.config import AfasSourceConfig
from provisioner.domain.models import Employment, PersonName, StaffMember
from provisioner.errors import ConfigError, FatalError, TransientError
from provisioner.sources.models import RecordProblem, SourceBatch, SourceKind

USERS = "T4E_HelloID_Users_v2"
JOBS = "T4E_HelloID_Employments_v2"
ORG_UNITS = {"OBS-REGENBOOG": "12AB00", "OBS-ZONNEBLOEM": "12AB01"}
AUG_2024 = date(2024, 8, 1)
AFAS_URL = "https://12345.rest.afas.online/profitrestservices"


@pytest.fixture
def emu() -> Iterator[AfasEmulator]:
    with AfasEmulator() as emulator:
        yield emulator


def source(emu: AfasEmulator, *, page_size: int = 1000, **kwargs: Any) -> AfasSource:
    kwargs.setdefault("token", emu.token)
    kwargs.setdefault("sleep", lambda seconds: None)
    return AfasSource("hr", emu.source_config(page_size=page_size), ORG_UNITS, **kwargs)


def read(emu: AfasEmulator, **kwargs: Any) -> SourceBatch:
    return source(emu, **kwargs).read()


def by_number(batch: SourceBatch) -> dict[str, StaffMember]:
    return {member.employee_number: member for member in batch.staff}


def teacher(emu: AfasEmulator, number: str, family: str = "Jansen", **employment: Any) -> None:
    """A medewerker with one employment (overridable) at OBS De Regenboog."""
    emu.add_employee(number, given="Jan", birth_name=family)
    job: dict[str, Any] = {
        "org_unit": "OBS-REGENBOOG",
        "function": "Leerkracht",
        "start": AUG_2024,
    }
    job.update(employment)
    emu.add_employment(number, **job)


# -- joining --------------------------------------------------------------------------------


def test_users_and_employments_are_joined_on_medewerker(emu: AfasEmulator) -> None:
    emu.add_org_unit("OBS-REGENBOOG", "OBS De Regenboog")
    emu.add_employee(
        "100234",
        given="Janine",
        first_names="Janine Hendrika",
        prefix="van den",
        birth_name="Boele",
        partner_prefix="de",
        partner_name="Vries",
        name_use=3,
    )
    emu.add_employee("100010", given="Piet", birth_name="Bakker")
    emu.add_employee("100099", given="Oud", birth_name="Gediende")  # no employment rows left
    emu.add_employment(
        "100234", org_unit="OBS-REGENBOOG", function="Leerkracht L10", start=AUG_2024
    )
    emu.add_employment("100010", org_unit="OBS-ZONNEBLOEM", function="Directeur", start=AUG_2024)
    emu.add_employment(
        "100234",
        org_unit="OBS-ZONNEBLOEM",
        function="Intern begeleider",
        start=AUG_2024,
        end=date(2025, 7, 31),
    )

    batch = read(emu)

    assert batch.kind is SourceKind.HR and batch.source == "hr"
    assert batch.problems == [] and batch.quarantined_keys == set()
    assert by_number(batch) == {
        "100234": StaffMember(
            "100234",
            PersonName("Janine", "van den", "Boele - de Vries"),
            (
                Employment("12AB00", "Leerkracht L10", AUG_2024, None),
                Employment("12AB01", "Intern begeleider", AUG_2024, date(2025, 7, 31)),
            ),
        ),
        "100010": StaffMember(
            "100010",
            PersonName("Piet", "", "Bakker"),
            (Employment("12AB01", "Directeur", AUG_2024, None),),
        ),
        "100099": StaffMember("100099", PersonName("Oud", "", "Gediende"), ()),
    }
    assert batch.counts == {"staff": 3}


def test_two_contract_lines_with_the_same_function_are_one_employment(emu: AfasEmulator) -> None:
    teacher(emu, "1001")
    emu.add_employment(
        "1001", org_unit="OBS-REGENBOOG", function="Leerkracht", start=AUG_2024, contract=2
    )

    batch = read(emu)

    assert batch.problems == []
    assert by_number(batch)["1001"].employments == (
        Employment("12AB00", "Leerkracht", AUG_2024, None),
    )


@pytest.mark.parametrize(
    "date_format", ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S"]
)
def test_dates_are_read_as_dates_or_midnight_datetimes(date_format: str) -> None:
    with AfasEmulator(AfasEmulatorSettings(date_format=date_format)) as emu:
        teacher(emu, "1001", end=date(2026, 7, 31))
        batch = read(emu)

    assert batch.problems == []
    assert batch.staff[0].employments == (
        Employment("12AB00", "Leerkracht", AUG_2024, date(2026, 7, 31)),
    )


# -- paging ---------------------------------------------------------------------------------


def test_pages_are_read_with_skip_take_and_order_until_a_short_page(emu: AfasEmulator) -> None:
    for i in range(5):
        teacher(emu, f"10{i:02d}", family=f"Achternaam{i}")
    emu.add_employment(
        "1003", org_unit="OBS-ZONNEBLOEM", function="Intern begeleider", start=AUG_2024
    )

    batch = read(emu, page_size=2)

    assert sorted(by_number(batch)) == ["1000", "1001", "1002", "1003", "1004"]
    assert len(by_number(batch)["1003"].employments) == 2
    assert batch.counts == {"staff": 5}
    users = [(r.query["skip"], r.query["take"]) for r in emu.connector_requests(USERS)]
    jobs = [(r.query["skip"], r.query["take"]) for r in emu.connector_requests(JOBS)]
    assert users == [("0", "2"), ("2", "2"), ("4", "2")]  # 2 + 2 + 1 rows
    assert jobs == [("0", "2"), ("2", "2"), ("4", "2"), ("6", "2")]  # 2 + 2 + 2 + 0 rows
    assert {r.query["orderbyfieldids"] for r in emu.connector_requests(USERS)} == {"Medewerker"}
    assert {r.query["orderbyfieldids"] for r in emu.connector_requests(JOBS)} == {
        "Medewerker,ExternalID"
    }


def test_a_server_that_repeats_a_page_is_stopped_not_followed_forever() -> None:
    with AfasEmulator(AfasEmulatorSettings(ignore_skip=True)) as emu:
        for i in range(5):
            teacher(emu, f"10{i:02d}")
        outcome: list[BaseException | SourceBatch] = []

        def attempt() -> None:
            try:
                outcome.append(read(emu, page_size=2))
            except BaseException as exc:  # handed to the test thread below
                outcome.append(exc)

        reader = threading.Thread(target=attempt, daemon=True)
        reader.start()
        reader.join(timeout=10)
        emu.stop()  # a reader that never stops gets connection errors from here on

        assert not reader.is_alive(), "read() kept following the repeated page"
        assert isinstance(outcome[0], FatalError)
        assert "skip=2 with the same rows as skip=0" in str(outcome[0])
        assert len(emu.connector_requests(USERS)) == 2


# -- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected", "display"),
    [
        (0, PersonName("Janine", "van den", "Boele"), "Janine van den Boele"),
        (1, PersonName("Janine", "de", "Vries - van den Boele"), "Janine de Vries - van den Boele"),
        (2, PersonName("Janine", "de", "Vries"), "Janine de Vries"),
        (3, PersonName("Janine", "van den", "Boele - de Vries"), "Janine van den Boele - de Vries"),
        (
            "BP",
            PersonName("Janine", "van den", "Boele - de Vries"),
            "Janine van den Boele - de Vries",
        ),
    ],
)
def test_name_use_code_decides_prefix_and_family_name(
    emu: AfasEmulator, code: int | str, expected: PersonName, display: str
) -> None:
    emu.add_employee(
        "1001",
        given="Janine",
        prefix="van den",
        birth_name="Boele",
        partner_prefix="de",
        partner_name="Vries",
        Naamgebruik_code=str(code),  # served as is: "BP" too
    )

    name = read(emu).staff[0].name

    assert name == expected and name.display == display


def test_partner_name_without_prefixes(emu: AfasEmulator) -> None:
    emu.add_employee("1001", given="Anna", birth_name="Smit", partner_name="Bos", name_use=1)

    assert read(emu).staff[0].name == PersonName("Anna", "", "Bos - Smit")


def test_given_name_falls_back_to_the_first_voornaam(emu: AfasEmulator) -> None:
    emu.add_employee("1001", first_names="Anne-Fleur  Maria", birth_name="Hek", Roepnaam=None)

    assert read(emu).staff[0].name == PersonName("Anne-Fleur", "", "Hek")


def test_names_that_cannot_be_built_are_reported_and_quarantined(emu: AfasEmulator) -> None:
    emu.add_employee("1001", birth_name="Jansen", Roepnaam=None, Voornaam=None)
    emu.add_employee("1002", given="Els", birth_name="Smit", partner_prefix="de", name_use=2)
    emu.add_employee("1003", given="Ria", birth_name="Kok", Naamgebruik_code="7")
    emu.add_employee("1004", given="Bram", partner_name="Vos", name_use=3)
    teacher(emu, "1005")

    batch = read(emu)

    def problem(record: str, field: str, reason: str) -> RecordProblem:
        return RecordProblem("hr", USERS, None, record, field, reason)

    assert batch.problems == [
        problem("1001", "Roepnaam", "no given name (no Roepnaam, and no Voornaam to use)"),
        problem("1002", "Geboortenaam_partner", "no partner name, needed for name use P"),
        problem(
            "1003", "Naamgebruik_code", "name use code '7' is not 0 (B), 1 (PB), 2 (P) or 3 (BP)"
        ),
        problem("1004", "Geboortenaam", "no birth name, needed for name use BP"),
    ]
    assert batch.quarantined_keys == {"staff:1001", "staff:1002", "staff:1003", "staff:1004"}
    assert [m.employee_number for m in batch.staff] == ["1005"]
    assert batch.counts == {"staff": 5}


def test_two_user_rows_with_different_names_are_a_duplicate_employee_number(
    emu: AfasEmulator,
) -> None:
    teacher(emu, "1001", family="Jansen")
    emu.add_employee("1001", given="Jan", birth_name="Janssen", Gebruiker="12345.other")
    emu.add_employee("1002", given="Els", birth_name="Smit")
    emu.add_employee("1002", given="Els", birth_name="Smit", Gebruiker="12345.second")  # same name

    batch = read(emu)

    assert [(p.record, p.field, p.reason) for p in batch.problems] == [
        ("1001", "Medewerker", "duplicate employee number: two user rows with different names")
    ]
    assert batch.quarantined_keys == {"staff:1001"}
    assert [m.employee_number for m in batch.staff] == ["1002"]


# -- employments ----------------------------------------------------------------------------


def test_bad_employments_are_reported_and_quarantine_their_person(emu: AfasEmulator) -> None:
    teacher(emu, "1001", org_unit="OBS-ONBEKEND")
    teacher(emu, "1002", function=None)
    teacher(emu, "1003", start="2024-02-30T00:00:00Z")
    teacher(emu, "1004", end=date(2024, 7, 31))
    teacher(emu, "1005", start="2024-07-31T22:00:00Z")
    teacher(emu, "1006", start=None)
    teacher(emu, "1007", org_unit=None)
    teacher(emu, "1008")  # good; a second employment of theirs is bad:
    emu.add_employment("1008", org_unit="OBS-ZONNEBLOEM", function="IB", start="1-8-2024")
    teacher(emu, "1009")  # good
    emu.add_employment("1010", org_unit="OBS-REGENBOOG", function="Leerkracht", start=AUG_2024)

    batch = read(emu)

    def problem(record: str, field: str | None, reason: str) -> RecordProblem:
        return RecordProblem("hr", JOBS, None, record, field, reason)

    assert batch.problems == [
        problem(
            "1001",
            "Organisatorische_eenheid_code",
            "org unit 'OBS-ONBEKEND' is not listed by any location (hr_org_units)",
        ),
        problem("1002", "Functie_omschrijving", "no function title"),
        problem(
            "1003",
            "Begindatum_functie",
            "'2024-02-30T00:00:00Z' is not a date (expected YYYY-MM-DD[T00:00:00Z])",
        ),
        problem(
            "1004",
            "Einddatum_functie",
            "end date '2024-07-31T00:00:00Z' is before start date '2024-08-01T00:00:00Z'",
        ),
        problem(
            "1005",
            "Begindatum_functie",
            "'2024-07-31T22:00:00Z' has a time of day; an AFAS date is expected at midnight",
        ),
        problem("1006", "Begindatum_functie", "no start date"),
        problem("1007", "Organisatorische_eenheid_code", "no org unit"),
        problem(
            "1008",
            "Begindatum_functie",
            "'1-8-2024' is not a date (expected YYYY-MM-DD[T00:00:00Z])",
        ),
        problem(
            "1010", "Medewerker", f"an employment of someone not in the users connector '{USERS}'"
        ),
    ]
    assert batch.quarantined_keys == {f"staff:{n}" for n in range(1001, 1009)} | {"staff:1010"}
    assert by_number(batch) == {
        "1009": StaffMember(
            "1009",
            PersonName("Jan", "", "Jansen"),
            (Employment("12AB00", "Leerkracht", AUG_2024, None),),
        )
    }
    assert batch.counts == {"staff": 10}  # the people, the quarantined and the orphan too
    assert batch.unkeyed_rejects == 0


def test_every_issue_of_one_employment_is_reported(emu: AfasEmulator) -> None:
    teacher(emu, "1001", org_unit="OBS-X", function="", start="2024-13-01")

    batch = read(emu)

    assert [p.field for p in batch.problems] == [
        "Organisatorische_eenheid_code",
        "Functie_omschrijving",
        "Begindatum_functie",
    ]
    assert batch.quarantined_keys == {"staff:1001"} and batch.staff == []


def test_records_without_employee_number_are_unkeyed_rejects(emu: AfasEmulator) -> None:
    teacher(emu, "1001")
    emu.add_employee("", given="Niemand", birth_name="Anoniem")
    emu.add_employment(
        "", org_unit="OBS-REGENBOOG", function="Leerkracht", start=AUG_2024, external_id="X-1"
    )

    batch = read(emu)

    assert [(p.file, p.record, p.field, p.reason) for p in batch.problems] == [
        (USERS, None, "Medewerker", "no employee number"),
        (JOBS, None, "Medewerker", "no employee number (ExternalID 'X-1')"),
    ]
    assert batch.unkeyed_rejects == 2 and batch.quarantined_keys == set()
    assert [m.employee_number for m in batch.staff] == ["1001"]
    assert batch.counts == {"staff": 1}


def test_the_same_employment_row_twice_is_rejected(emu: AfasEmulator) -> None:
    teacher(emu, "1001", external_id="1001-1-1")
    emu.add_employment(
        "1001", org_unit="OBS-ZONNEBLOEM", function="IB", start=AUG_2024, external_id="1001-1-1"
    )

    batch = read(emu)

    assert [(p.record, p.field, p.reason) for p in batch.problems] == [
        ("1001", None, "the same employment twice (ExternalID '1001-1-1')")
    ]
    assert batch.quarantined_keys == {"staff:1001"} and batch.staff == []


# -- errors and retries ---------------------------------------------------------------------


def test_a_refused_token_is_fatal_and_never_shown(
    emu: AfasEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "0E6824699F40129E254DB96441233E32F1345435"
    token = f"<token><version>1</version><data>{secret}</data></token>"
    teacher(emu, "1001")
    caplog.set_level(logging.DEBUG)

    with pytest.raises(FatalError) as caught:
        read(emu, token=token)

    message = str(caught.value)
    assert "the AfasToken was refused (HTTP 401)" in message and USERS in message
    encoded = base64.b64encode(token.encode()).decode()
    for form in (secret, token, encoded):
        assert form not in message and form not in caplog.text
    assert [r.status for r in emu.requests] == [401]  # not retried


def test_a_refused_token_from_the_environment_names_the_variable(
    emu: AfasEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "PROVISIONER_AFAS_TOKEN", "<token><version>1</version><data>0</data></token>"
    )

    with pytest.raises(FatalError, match="Check the token in PROVISIONER_AFAS_TOKEN"):
        read(emu, token=None)


def test_the_token_comes_from_the_environment_and_bare_data_is_wrapped(
    emu: AfasEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher(emu, "1001")
    data = emu.token.split("<data>")[1].split("</data>")[0]
    monkeypatch.setenv("AFAS_TOKEN_FOR_TEST", f"  {data}\n")
    config = emu.source_config(token_env="AFAS_TOKEN_FOR_TEST")

    batch = AfasSource("hr", config, ORG_UNITS).read()

    assert [m.employee_number for m in batch.staff] == ["1001"]


def test_a_missing_token_variable_is_a_config_error_naming_it(
    emu: AfasEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROVISIONER_AFAS_TOKEN", raising=False)

    with pytest.raises(ConfigError, match="PROVISIONER_AFAS_TOKEN is not set"):
        read(emu, token=None)
    assert emu.requests == []


def test_an_unknown_get_connector_is_fatal_and_named(emu: AfasEmulator) -> None:
    config = emu.source_config(employments_connector="T4E_HelloID_Employments_v3")

    with pytest.raises(FatalError) as caught:
        AfasSource("hr", config, ORG_UNITS, token=emu.token, sleep=lambda s: None).read()

    message = str(caught.value)
    assert "AFAS GetConnector 'T4E_HelloID_Employments_v3' does not exist (HTTP 404)" in message
    assert "bestaat niet" in message  # AFAS's own words are kept
    assert [r.status for r in emu.connector_requests("T4E_HelloID_Employments_v3")] == [404]


def test_injected_faults_are_retried_and_the_read_completes() -> None:
    settings = AfasEmulatorSettings(retry_after=0.25, hang_seconds=1.0)
    with AfasEmulator(settings) as emu:
        for i in range(3):
            teacher(emu, f"10{i:02d}")
        emu.inject("503", "timeout", "500", "drop", "429")
        waits: list[float] = []

        batch = read(emu, page_size=2, timeout=0.3, sleep=waits.append)

        assert sorted(by_number(batch)) == ["1000", "1001", "1002"] and batch.problems == []
        faults = [r.fault for r in emu.requests]
        assert faults[:5] == ["503", "timeout", "500", "drop", "429"]
        assert faults[5:] == [None] * 4  # users 2 + 1, employments 2 + 1
        assert len(waits) == 5
        assert waits[0] == 0.25 and waits[4] == 0.25  # Retry-After of the 503 and the 429
        assert all(0 <= wait <= 60 for wait in waits[1:4])  # backoff with jitter


def test_retries_are_bounded(emu: AfasEmulator) -> None:
    emu.settings.fault_rate, emu.settings.faults = 1.0, ("503",)
    teacher(emu, "1001")

    with pytest.raises(TransientError, match=r"HTTP 503: De AFAS Online-omgeving"):
        read(emu, max_attempts=3)
    assert len(emu.requests) == 3


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (
            400,
            {"message": "Invalid skip"},
            FatalError,
            "AFAS refused the request (HTTP 400): Invalid skip",
        ),
        (
            400,
            {"externalMessage": "Veld onbekend", "profitLogReference": "ABC"},
            FatalError,
            "(HTTP 400): Veld onbekend (Profit log reference ABC)",
        ),
        (401, None, FatalError, "the AfasToken was refused (HTTP 401)"),
        (403, None, FatalError, "the AfasToken was refused (HTTP 403)"),
        (404, None, FatalError, f"GetConnector '{USERS}' does not exist"),
        (409, None, FatalError, "unexpected answer HTTP 409"),
        (429, None, TransientError, "HTTP 429"),
        (
            500,
            {"externalMessage": "An unexpected error has occurred.", "profitLogReference": "3A4"},
            FatalError,
            "could not process the request (HTTP 500): An unexpected error has occurred. "
            "(Profit log reference 3A4)",
        ),
        (500, {"externalMessage": "Out of memory"}, FatalError, "Lower page_size"),
        (500, {"externalMessage": "Command timeout expired."}, TransientError, "HTTP 500"),
        (502, None, TransientError, "HTTP 502"),
        (503, None, TransientError, "HTTP 503"),
        (200, {"no": "rows"}, FatalError, "without a 'rows' list"),
    ],
)
def test_status_codes_become_typed_errors(
    status: int, body: Any, error: type[Exception], text: str
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers={"Retry-After": "7"})

    afas = AfasSource(
        "hr",
        AfasSourceConfig(type="afas", base_url=AFAS_URL),
        ORG_UNITS,
        token="<token><version>1</version><data>ABC123</data></token>",
        transport=httpx.MockTransport(answer),
        max_attempts=1,
    )

    with pytest.raises(error) as caught:
        afas.read()

    assert type(caught.value) is error and text in str(caught.value)
    if isinstance(caught.value, TransientError):
        assert caught.value.retry_after == 7.0


def test_maintenance_waits_the_retry_after_of_the_503_body() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": {"example": "503"}}, "retry_after": 120}
        return httpx.Response(503, json=body)

    afas = AfasSource(
        "hr", AfasSourceConfig(type="afas", base_url=AFAS_URL), ORG_UNITS,
        token="<token><version>1</version><data>ABC123</data></token>",
        transport=httpx.MockTransport(answer), max_attempts=1,
    )  # fmt: skip
    with pytest.raises(TransientError) as caught:
        afas.read()
    assert caught.value.retry_after == 120.0


def test_a_token_echoed_by_the_server_is_blanked_out() -> None:
    secret = "FEEDFACE0123456789"

    def answer(request: httpx.Request) -> httpx.Response:
        echoed = request.headers["Authorization"]
        return httpx.Response(400, json={"message": f"bad header {echoed} / {secret}"})

    afas = AfasSource(
        "hr",
        AfasSourceConfig(type="afas", base_url=AFAS_URL),
        ORG_UNITS,
        token=secret,
        transport=httpx.MockTransport(answer),
    )

    with pytest.raises(FatalError) as caught:
        afas.read()

    assert secret not in str(caught.value) and "AfasToken ***" in str(caught.value)


# -- the emulator ---------------------------------------------------------------------------


def get(emu: AfasEmulator, path: str, **params: str) -> httpx.Response:
    header = "AfasToken " + base64.b64encode(emu.token.encode()).decode()
    return httpx.get(emu.url + path, params=params, headers={"Authorization": header})


def test_emulator_filters_orders_and_pages(emu: AfasEmulator) -> None:
    for number, unit in (("3", "OBS-REGENBOOG"), ("1", "OBS-ZONNEBLOEM"), ("2", "OBS-REGENBOOG")):
        teacher(emu, number, org_unit=unit)

    equal = get(
        emu,
        f"/connectors/{JOBS}",
        filterfieldids="Organisatorische_eenheid_code",
        filtervalues="obs-regenboog",  # text compares without case
        operatortypes="1",
        orderbyfieldids="-Medewerker",
        take="-1",
    ).json()
    either = get(
        emu,
        f"/connectors/{USERS}",
        filterfieldids="Medewerker;Medewerker",
        filtervalues="1;3",
        operatortypes="1;1",
        orderbyfieldids="Medewerker",
    ).json()
    page = get(emu, f"/connectors/{USERS}", skip="1", take="1", orderbyfieldids="Medewerker")

    assert [row["Medewerker"] for row in equal["rows"]] == ["3", "2"]
    assert [row["Medewerker"] for row in either["rows"]] == ["1", "3"]
    assert page.json() == {"skip": 1, "take": 1, "rows": [page.json()["rows"][0]]}
    assert page.json()["rows"][0]["Medewerker"] == "2"
    assert equal["rows"][0]["Begindatum_functie"] == "2024-08-01T00:00:00Z"
    assert set(equal["rows"][0]) >= {"ExternalID", "Functie_code", "Einddatum_contract", "FTE"}


def test_emulator_answers_errors_like_afas(emu: AfasEmulator) -> None:
    unknown = get(emu, "/connectors/Profit_Nope")
    bad_field = get(emu, f"/connectors/{USERS}", orderbyfieldids="Bestaat_niet")
    no_token = httpx.get(f"{emu.url}/connectors/{USERS}")
    meta = get(emu, f"/metainfo/get/{USERS}").json()
    catalogue = get(emu, "/metainfo").json()

    assert unknown.status_code == 404
    assert set(unknown.json()) == {"errorNumber", "externalMessage", "profitLogReference"}
    assert bad_field.status_code == 400 and "Bestaat_niet" in bad_field.json()["externalMessage"]
    assert no_token.status_code == 401
    assert meta["name"] == USERS
    assert {"id": "Naamgebruik_code", "dataType": "string"}.items() <= meta["fields"][10].items()
    assert {c["id"] for c in catalogue["getConnectors"]} >= {USERS, JOBS}
    assert all("Authorization" not in str(r) for r in emu.requests)


def test_emulator_applies_the_employment_window() -> None:
    settings = AfasEmulatorSettings(window_months=3, today=date(2026, 3, 1))
    with AfasEmulator(settings) as emu:
        teacher(emu, "1001", end=date(2025, 11, 30))  # ended more than 3 months ago: gone
        teacher(emu, "1002", start=date(2026, 5, 31))  # starts within 3 months: served
        teacher(emu, "1003", start=date(2026, 6, 1))  # starts later: not yet
        batch = read(emu)

    assert {m.employee_number: len(m.employments) for m in batch.staff} == {
        "1001": 0,
        "1002": 1,
        "1003": 0,
    }


def test_emulator_loads_staff_dicts_and_hr_csv_rows(emu: AfasEmulator) -> None:
    added = emu.load_staff(
        [
            {
                "employee_number": "2001",
                "given": "Sanne",
                "prefix": "van",
                "family": "Dijk",
                "employments": [
                    {
                        "org_unit": "OBS-REGENBOOG",
                        "function_title": "Leerkracht",
                        "start": AUG_2024,
                    },
                    {
                        "org_unit": "OBS-ZONNEBLOEM",
                        "title": "Intern begeleider",
                        "start": "2024-08-01",
                        "end": "2026-07-31",
                    },
                ],
            }
        ]
    )
    added += emu.load_hr_rows(
        [
            {
                "employee_number": "2002",
                "given_name": "Ahmed",
                "prefix": "",
                "family_name": "El Amrani",
                "org_unit": "OBS-ZONNEBLOEM",
                "function_title": "Directeur",
                "start_date": "2019-01-01",
                "end_date": "",
            }
        ]
    )

    batch = read(emu)

    assert added == 2 and batch.problems == []
    assert by_number(batch) == {
        "2001": StaffMember(
            "2001",
            PersonName("Sanne", "van", "Dijk"),
            (
                Employment("12AB00", "Leerkracht", AUG_2024, None),
                Employment("12AB01", "Intern begeleider", AUG_2024, date(2026, 7, 31)),
            ),
        ),
        "2002": StaffMember(
            "2002",
            PersonName("Ahmed", "", "El Amrani"),
            (Employment("12AB01", "Directeur", date(2019, 1, 1), None),),
        ),
    }
