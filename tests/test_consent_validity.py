"""Consent validity (issue 13 item 4): only a free, explicit opt-in counts. Each mechanism
through the consent CSV, the board and location defaults, what "unknown" means, and what
`config check` says when a board has not set its default."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from connectors.consent.config import ConsentCsvSourceConfig
from connectors.consent.source import ConsentCsvSource
from provisioner.app.cli import app
from provisioner.app.config_check import check
from provisioner.config import ConsentConfig, ConsentLocationConfig
from provisioner.domain.models import ConsentGiver, ConsentMechanism, ConsentStatus
from provisioner.privacy.consent import ConsentRegister, save_consent_history
from provisioner.privacy.consent_decision import ConsentSettings, StoredAnswer, decide
from provisioner.privacy.media import DEFAULT_MEDIA, Catalogue
from provisioner.store.db import make_engine, session_factory, upgrade
from tests.test_consent_world import DAY, OTHER, SCHOOL, YEAR, config, fill_directory

WEBSITE = Catalogue(DEFAULT_MEDIA).get("website")
FIRST = date(2026, 9, 1)
HEADER = "pupil_id,medium,status,school_year,recorded_on,given_by,mechanism\n"


def yes(mechanism: ConsentMechanism | None) -> StoredAnswer:
    return StoredAnswer("website", ConsentStatus.GRANTED, YEAR, FIRST, ConsentGiver.PARENT,
                        mechanism)  # fmt: skip


@pytest.mark.parametrize(
    ("mechanism", "allowed", "reason"),
    [
        (ConsentMechanism.OPT_IN, True, "granted"),
        (ConsentMechanism.OPT_OUT, False, "not_valid_consent"),
        (ConsentMechanism.PRE_TICKED, False, "not_valid_consent"),
        (ConsentMechanism.CONDITION_OF_ENROLMENT, False, "not_valid_consent"),
        (ConsentMechanism.UNKNOWN, False, "not_valid_consent"),
    ],
)
def test_only_an_opt_in_yes_is_consent(
    mechanism: ConsentMechanism, allowed: bool, reason: str
) -> None:
    assert WEBSITE is not None
    answer = decide([yes(mechanism)], WEBSITE, age=9, on=DAY, settings=ConsentSettings())
    assert (answer.allowed, answer.reason.value) == (allowed, reason)
    assert answer.mechanism is mechanism


def test_an_answer_without_mechanism_takes_the_school_default_and_unknown_is_no() -> None:
    assert WEBSITE is not None
    unset = decide([yes(None)], WEBSITE, age=9, on=DAY, settings=ConsentSettings())
    assert (unset.allowed, unset.reason.value, unset.mechanism) == (
        False, "not_valid_consent", ConsentMechanism.UNKNOWN,
    )  # fmt: skip
    opt_in = ConsentSettings(default_mechanism=ConsentMechanism.OPT_IN)
    assert decide([yes(None)], WEBSITE, age=9, on=DAY, settings=opt_in).allowed
    # the answer's own mechanism wins over the default
    stated = decide([yes(ConsentMechanism.PRE_TICKED)], WEBSITE, age=9, on=DAY, settings=opt_in)
    assert stated.reason.value == "not_valid_consent"


def test_a_refusal_is_a_refusal_whatever_the_form() -> None:
    assert WEBSITE is not None
    no = StoredAnswer("website", ConsentStatus.REFUSED, YEAR, FIRST, ConsentGiver.PARENT,
                      ConsentMechanism.OPT_OUT)  # fmt: skip
    answer = decide([no], WEBSITE, age=9, on=DAY, settings=ConsentSettings())
    assert (answer.allowed, answer.reason.value) == (False, "refused")


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    fill_directory(factory)
    return factory


def _import(sessions: sessionmaker[Session], tmp_path: Path, rows: str) -> int:
    path = tmp_path / "consents.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    batch = ConsentCsvSource("c", ConsentCsvSourceConfig(type="consent-csv", path=path)).read()
    with sessions.begin() as session:
        return save_consent_history(session, batch.consents)


def test_each_mechanism_from_the_consent_csv(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    stored = _import(sessions, tmp_path, (
        "L1,website,granted,2026-2027,2026-09-01,parent,opt_in\n"
        "L2,website,granted,2026-2027,2026-09-01,parent,opt_out\n"
        "L6,website,granted,2026-2027,2026-09-01,parent,PRE_TICKED\n"
        "F1,website,granted,2026-2027,2026-09-01,parent,condition_of_enrolment\n"
        "F2,website,granted,2026-2027,2026-09-01,parent,unknown\n"
        "F3,website,granted,2026-2027,2026-09-01,parent,\n"
    ))  # fmt: skip
    assert stored == 6
    # the board says its form was opt-in: only the empty cell takes that default
    register = ConsentRegister(sessions, config(ConsentConfig(default_mechanism="opt_in")))
    result = {
        pupil: (a.allowed, a.reason.value, a.mechanism.value if a.mechanism else None)
        for pupil in ("L1", "L2", "L6", "F1", "F2", "F3")
        for a in [register.check_pupil(pupil, "website", DAY)]
    }
    assert result == {
        "L1": (True, "granted", "opt_in"),
        "L2": (False, "not_valid_consent", "opt_out"),
        "L6": (False, "not_valid_consent", "pre_ticked"),
        "F1": (False, "not_valid_consent", "condition_of_enrolment"),
        "F2": (False, "not_valid_consent", "unknown"),
        "F3": (True, "granted", "opt_in"),
    }


def test_a_mechanism_the_csv_does_not_know_quarantines_the_pupil(tmp_path: Path) -> None:
    path = tmp_path / "consents.csv"
    path.write_text(
        HEADER + "L1,website,granted,2026-2027,2026-09-01,parent,silence\n"
        "L2,website,granted,2026-2027,2026-09-01,parent,opt_in\n",
        encoding="utf-8",
    )
    batch = ConsentCsvSource("c", ConsentCsvSourceConfig(type="consent-csv", path=path)).read()
    assert [c.pupil_id for c in batch.consents] == ["L2"]
    (problem,) = batch.problems
    assert "mechanism" in problem.describe() and "'silence' is not one of" in problem.describe()


def test_the_default_per_location_and_unset_board(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(sessions, tmp_path, (
        "L1,website,granted,2026-2027,2026-09-01,parent,\n"
        "L5,website,granted,2026-2027,2026-09-01,parent,\n"
    ))  # fmt: skip
    unset = ConsentRegister(sessions, config(ConsentConfig()))
    answer = unset.check_pupil("L1", "website", DAY)
    assert (answer.allowed, answer.reason.value, answer.mechanism) == (
        False, "not_valid_consent", ConsentMechanism.UNKNOWN,
    )  # fmt: skip
    # only the other location knows its form was opt-in
    one = ConsentConfig(locations={OTHER: ConsentLocationConfig(default_mechanism="opt_in")})
    register = ConsentRegister(sessions, config(one))
    assert register.check_pupil("L5", "website", DAY).allowed  # at OTHER
    assert not register.check_pupil("L1", "website", DAY).allowed  # at SCHOOL
    # a location can also say its form was opt-out while the board's was opt-in
    own = ConsentLocationConfig(default_mechanism="opt_out")
    mixed = ConsentConfig(default_mechanism="opt_in", locations={SCHOOL: own})
    answer = ConsentRegister(sessions, config(mixed)).check_pupil("L1", "website", DAY)
    assert (answer.reason.value, answer.mechanism) == ("not_valid_consent",
                                                       ConsentMechanism.OPT_OUT)  # fmt: skip


BOARD = """
[board]
name = "Stichting Test"
domain = "example.nl"

[[locations]]
brin6 = "07XY00"
name = "OBS Proef"

[roles]
Directeur = "director"

[sources.hr]
type = "hr-csv"
path = "hr.csv"

[sources.consent]
type = "consent-csv"
path = "consents.csv"
"""


def test_config_check_says_why_consents_count_as_no_and_how_to_set_the_default(
    tmp_path: Path,
) -> None:
    (tmp_path / "hr.csv").write_text(
        "employee_number,given_name,family_name_prefix,family_name,function,location,"
        "start_date,end_date\n", encoding="utf-8")  # fmt: skip
    (tmp_path / "consents.csv").write_text(HEADER, encoding="utf-8")
    path = tmp_path / "provisioner.toml"
    path.write_text(BOARD, encoding="utf-8")
    (problem,) = [p for p in check(path) if p.startswith("consent.")]
    assert "count as no at 07XY00" in problem and 'default_mechanism = "opt_in"' in problem
    result = CliRunner().invoke(app, ["config", "check", "-c", str(path)])
    assert result.exit_code == 3 and "default_mechanism" in result.stdout
    path.write_text(BOARD + '\n[consent]\ndefault_mechanism = "opt_in"\n', encoding="utf-8")
    assert [p for p in check(path) if p.startswith("consent.")] == []
    path.write_text(BOARD + '\n[consent]\ndefault_mechanism = "maybe"\n', encoding="utf-8")
    assert any("default_mechanism" in p for p in check(path))


def test_the_cli_says_why_a_yes_is_not_valid(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(sessions, tmp_path, "L1,website,granted,2026-2027,2026-09-01,parent,pre_ticked\n")
    path = tmp_path / "provisioner.toml"
    path.write_text(BOARD.replace("[sources.consent]\ntype = \"consent-csv\"\npath = "
                                  "\"consents.csv\"\n", ""), encoding="utf-8")  # fmt: skip
    env = {"PROVISIONER_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    args = ["consent", "check", "--pupil", "L1", "--medium", "website", "--on", "2026-11-23"]
    result = CliRunner().invoke(app, [*args, "-c", str(path)], env=env)
    assert result.exit_code == 1
    assert "not valid consent" in result.stdout and "ticked in advance" in result.stdout
    result = CliRunner().invoke(app, [*args, "--json", "-c", str(path)], env=env)
    body = json.loads(result.stdout)
    assert (body["allowed"], body["reason"], body["mechanism"]) == (
        False, "not_valid_consent", "pre_ticked",
    )  # fmt: skip
