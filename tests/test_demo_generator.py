"""The demo board generator: loadable config, exact OneRoster 1.1 files, special cases, scale.

The tests read the generated files as a source would, and check them against literal
expectations (headers from the 1.1 specification, the documented special cases), not against
the generator's own constants.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import cast

import pytest

from connectors.consent.config import ConsentCsvSourceConfig
from connectors.hr.config import HrCsvSourceConfig
from connectors.reference.config import ReferenceTargetConfig
from connectors.sis.config import OneRosterSourceConfig
from provisioner.app.config import load_config
from provisioner.app.demo.generator import generate_board
from provisioner.config import BRIN6, Config, normalise_title
from provisioner.domain.models import Role

TODAY = date(2026, 11, 22)
UNMAPPED = "Vakleerkracht bewegingsonderwijs"
ECK = re.compile(r"^\{ECK:https://ketenid\.nl/201703/[0-9a-f]{128}\}$")

ONEROSTER_11 = {
    "orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "users.csv": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,"
    "userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
    "password",
    "classes.csv": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
    "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
    "userSourcedId,role,primary,beginDate,endDate",
    "academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
    "parentSourcedId,schoolYear",
    "courses.csv": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,"
    "grades,orgSourcedId,subjects,subjectCodes",
    "demographics.csv": "sourcedId,status,dateLastModified,birthDate,sex,"
    "americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,"
    "nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,"
    "hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,"
    "publicSchoolResidenceStatus",
}
HR_HEADER = (
    "employee_number,given_name,prefix,family_name,org_unit,function_title,start_date,end_date"
)
CONSENT_HEADER = "pupil_id,medium,status,school_year,recorded_on,given_by"
MEDIA = {"website", "nieuwsbrief", "schoolgids", "social media", "ouderapp"}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _full_name(row: dict[str, str]) -> str:
    return " ".join(p for p in (row["given_name"], row["prefix"], row["family_name"]) if p)


@dataclass
class Board:
    """A generated board, read back the way the sources will read it."""

    root: Path
    config: Config
    hr: list[dict[str, str]]
    sis: dict[str, list[dict[str, str]]]
    consents: list[dict[str, str]]

    @classmethod
    def generate(
        cls, root: Path, *, today: date = TODAY, staff: int = 60, pupils: int = 700
    ) -> Board:
        config = load_config(generate_board(root, today=today, staff=staff, pupils=pupils))
        sis = {name: _rows(root / "sis" / name) for name in (*ONEROSTER_11, "manifest.csv")}
        return cls(root, config, _rows(root / "hr.csv"), sis, _rows(root / "consents.csv"))

    def role(self, title: str) -> Role | None:
        roles = {normalise_title(t): role for t, role in self.config.roles.items()}
        return roles.get(normalise_title(title))

    def brin6(self, org_unit: str) -> str:
        return self.config.org_units[org_unit]

    def employments(self) -> dict[str, list[dict[str, str]]]:
        by_number: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in self.hr:
            by_number[row["employee_number"]].append(row)
        return by_number

    def active_roles(self, day: date = TODAY) -> dict[str, set[tuple[Role | None, str]]]:
        """Employee number -> {(role, BRIN6)} of the employments active on ``day``."""
        active: dict[str, set[tuple[Role | None, str]]] = defaultdict(set)
        for row in self.hr:
            end = date.fromisoformat(row["end_date"]) if row["end_date"] else None
            if date.fromisoformat(row["start_date"]) <= day and (end is None or day <= end):
                active[row["employee_number"]].add(
                    (self.role(row["function_title"]), self.brin6(row["org_unit"]))
                )
        return active


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Board:
    return Board.generate(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Board:
    return Board.generate(tmp_path_factory.mktemp("large"), staff=500, pupils=5000)


# --- configuration and file formats -----------------------------------------------------------


def test_config_loads_with_the_documented_settings(board: Board) -> None:
    config = board.config
    assert config.board.name == "Stichting Demo Onderwijs"
    assert config.board.domain == "demo-bestuur.nl"
    assert config.board.pupil_domain == "leerling.demo-bestuur.nl"
    assert config.board.director_scope == "board"
    assert [loc.brin6 for loc in config.locations] == ["07XY00", "07XY01", "07XY02"]
    assert [loc.name for loc in config.locations] == [
        "OBS De Regenboog",
        "CBS De Wegwijzer",
        "IKC Het Palet",
    ]
    assert config.database_url is None
    assert config.sources.hr.type == "hr-csv"
    assert cast(HrCsvSourceConfig, config.sources.hr).path == board.root.resolve() / "hr.csv"
    assert config.sources.sis is not None and config.sources.sis.type == "oneroster-csv"
    assert cast(OneRosterSourceConfig, config.sources.sis).path.is_dir()
    assert config.sources.consent is not None and config.sources.consent.type == "consent-csv"
    assert cast(ConsentCsvSourceConfig, config.sources.consent).path.is_file()
    [target] = config.targets
    assert isinstance(target, ReferenceTargetConfig)
    assert (target.type, target.name, target.include_pupils) == ("reference", "directory", True)
    assert target.path == board.root.resolve() / "reference-directory"
    assert set(target.licences) == {role.value for role in Role}
    assert target.licences["pupil"] == ["M365_A1_STUDENT"]
    assert target.licences["teacher"] == ["M365_A3_FACULTY"]
    assert target.sis_roles["care_coordinator"] == "Intern begeleider"
    assert set(target.sis_roles) == {role.value for role in Role} - {"pupil"}


def test_every_hr_title_is_mapped_except_the_deliberate_one(board: Board) -> None:
    titles = {row["function_title"] for row in board.hr}
    assert {t for t in titles if board.role(t) is None} == {UNMAPPED}
    assert {board.role(t) for t in titles} - {None} == set(Role) - {Role.PUPIL}
    # Every org unit in the export belongs to a configured location.
    assert {row["org_unit"] for row in board.hr} <= set(board.config.org_units)


@pytest.mark.parametrize("name", sorted(ONEROSTER_11))
def test_oneroster_files_have_the_exact_11_headers(board: Board, name: str) -> None:
    first_line = (board.root / "sis" / name).read_text(encoding="utf-8").splitlines()[0]
    assert first_line == ONEROSTER_11[name]
    for row in board.sis[name]:  # bulk files leave status and dateLastModified blank
        assert row["status"] == row["dateLastModified"] == ""


def test_manifest_and_own_headers(board: Board) -> None:
    manifest = {row["propertyName"]: row["value"] for row in board.sis["manifest.csv"]}
    assert manifest["manifest.version"] == "1.0"
    assert manifest["oneroster.version"] == "1.1"
    for name in ONEROSTER_11:
        assert manifest[f"file.{name.removesuffix('.csv')}"] == "bulk"
    assert manifest["file.results"] == "absent"
    assert (board.root / "hr.csv").read_text(encoding="utf-8").splitlines()[0] == HR_HEADER
    assert (board.root / "consents.csv").read_text(encoding="utf-8").splitlines()[0] == (
        CONSENT_HEADER
    )


def test_references_between_files_resolve(board: Board) -> None:
    sis = board.sis
    schools = {o["sourcedId"]: o["identifier"] for o in sis["orgs.csv"] if o["type"] == "school"}
    assert sorted(schools.values()) == [loc.brin6 for loc in board.config.locations]
    sessions = {s["sourcedId"] for s in sis["academicSessions.csv"]}
    assert [s["schoolYear"] for s in sis["academicSessions.csv"]] == ["2027"]
    courses = {c["sourcedId"]: c["orgSourcedId"] for c in sis["courses.csv"]}
    classes = {c["sourcedId"]: c for c in sis["classes.csv"]}
    for group in classes.values():
        assert group["classType"] == "homeroom"
        assert group["schoolSourcedId"] in schools
        assert courses[group["courseSourcedId"]] == group["schoolSourcedId"]
        assert set(group["termSourcedIds"].split(",")) <= sessions
    users = {u["sourcedId"]: u for u in sis["users.csv"]}
    assert len(users) == len(sis["users.csv"])
    for user in users.values():
        assert set(user["orgSourcedIds"].split(",")) <= set(schools)
        assert user["role"] in {"student", "teacher"} and user["enabledUser"] == "true"
    enrollment_ids = [e["sourcedId"] for e in sis["enrollments.csv"]]
    assert len(enrollment_ids) == len(set(enrollment_ids))
    for enrollment in sis["enrollments.csv"]:
        group = classes[enrollment["classSourcedId"]]
        assert enrollment["schoolSourcedId"] == group["schoolSourcedId"]
        assert users[enrollment["userSourcedId"]]["role"] == enrollment["role"]
    assert {d["sourcedId"] for d in sis["demographics.csv"]} == {
        u for u, row in users.items() if row["role"] == "student"
    }


# --- determinism ------------------------------------------------------------------------------


def _snapshot(root: Path) -> dict[str, bytes]:
    paths = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in paths}


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    generate_board(tmp_path / "a", today=TODAY)
    generate_board(tmp_path / "b", today=TODAY)
    first, second = _snapshot(tmp_path / "a"), _snapshot(tmp_path / "b")
    assert len(first) == 11  # hr, consents, config and eight SIS files
    assert first == second
    generate_board(tmp_path / "a", today=TODAY)  # overwriting gives the same files again
    assert _snapshot(tmp_path / "a") == second
    generate_board(tmp_path / "c", today=TODAY, seed=7)
    assert _snapshot(tmp_path / "c")["hr.csv"] != first["hr.csv"]


def test_dates_follow_today(tmp_path: Path) -> None:
    spring = Board.generate(tmp_path / "spring", today=date(2027, 3, 5))
    [leaver] = [r for r in spring.hr if r["end_date"] and r["end_date"] < "2027-03-05"]
    assert leaver["end_date"] == "2027-02-23"
    years = Counter(r["school_year"] for r in spring.consents)
    assert years.most_common(1)[0][0] == "2026-2027"
    summer = Board.generate(tmp_path / "summer", today=date(2027, 8, 1))
    assert Counter(r["school_year"] for r in summer.consents).most_common(1)[0][0] == "2027-2028"
    assert max(r["recorded_on"] for r in summer.consents) <= "2027-08-01"


# --- staff ------------------------------------------------------------------------------------


def _check_special_cases(board: Board) -> None:
    employments = board.employments()
    # Exactly one person with two employments, at two locations, as teacher and care coordinator.
    [(number, rows)] = [(n, rows) for n, rows in employments.items() if len(rows) > 1]
    assert number == "100002"
    assert {_full_name(r) for r in rows} == {"Anne-Fleur van 't Hek"}
    assert len({board.brin6(r["org_unit"]) for r in rows}) == 2
    assert {board.role(r["function_title"]) for r in rows} == {Role.TEACHER, Role.CARE_COORDINATOR}
    # Exactly one leaver, back-dated: the end date passed ten days ago, the start years ago.
    ended = [r for r in board.hr if r["end_date"] and date.fromisoformat(r["end_date"]) < TODAY]
    [leaver] = ended
    assert leaver["employee_number"] == "100006"
    assert date.fromisoformat(leaver["end_date"]) == TODAY - timedelta(days=10)
    assert date.fromisoformat(leaver["start_date"]) <= TODAY - timedelta(days=3 * 365)
    # Exactly one unmapped title.
    assert [r["employee_number"] for r in board.hr if board.role(r["function_title"]) is None] == [
        "100007"
    ]
    assert [r["function_title"] for r in employments["100007"]] == [UNMAPPED]
    # The named people, and two different people called Sanne Jansen.
    people = {n: _full_name(rows[0]) for n, rows in employments.items()}
    names = Counter(people.values())
    for name in ("Ömer Çelik", "Anne-Fleur van 't Hek", "Jan de Vries"):
        assert names[name] == 1, name
    assert names["Sanne Jansen"] == 2
    assert [n for n, name in people.items() if name == "Sanne Jansen"] == ["100004", "100005"]
    assert board.role(employments["100001"][0]["function_title"]) is Role.DIRECTOR


def test_special_cases_exist(board: Board) -> None:
    _check_special_cases(board)


def test_special_cases_exist_at_scale(large: Board) -> None:
    _check_special_cases(large)


def test_names_have_tussenvoegsels_diacritics_and_apostrophes(board: Board) -> None:
    prefixes = {row["prefix"] for row in board.hr}
    assert {"de", "van 't"} <= prefixes
    assert any(not name.isascii() for row in board.hr for name in row.values())
    students = [u for u in board.sis["users.csv"] if u["role"] == "student"]
    assert any(u["middleName"] for u in students)
    assert any(not (u["givenName"] + u["familyName"]).isascii() for u in students)


def test_every_role_is_staffed(board: Board) -> None:
    employments = board.employments()
    assert len(employments) == 60
    assert len(board.hr) == 61
    roles = Counter(board.role(r["function_title"]) for r in board.hr)
    assert roles[Role.DIRECTOR] == 1
    assert roles[Role.INTERN] == 2
    assert 8 <= roles[Role.SUPPORT_STAFF] <= 10
    assert roles[Role.TEACHER] > 30
    titles = {r["function_title"] for r in board.hr}
    assert {"Conciërge", "Onderwijsassistent", "Administratief medewerker"} <= titles
    assert {"LIO-stagiair", "Stagiair"} <= titles
    assert {"Intern begeleider", "IB-er", "Zorgcoördinator"} <= titles
    assert {"Locatieleider", "Teamleider"} <= titles
    active = board.active_roles()
    for location in board.config.locations:
        at = Counter(role for jobs in active.values() for role, b in jobs if b == location.brin6)
        assert at[Role.LOCATION_LEADER] == 1, location.brin6
        assert 1 <= at[Role.CARE_COORDINATOR] <= 2, location.brin6
        assert at[Role.TEACHER] >= 8, location.brin6
    for row in board.hr:
        if board.role(row["function_title"]) is Role.INTERN:
            months_left = (date.fromisoformat(row["end_date"]) - TODAY).days / 30
            assert 1 <= months_left <= 6
    numbers = sorted(employments)
    assert numbers == [str(n) for n in range(100001, 100061)]


# --- pupils and classes -----------------------------------------------------------------------


def _check_classes_have_teachers_at_their_location(board: Board) -> None:
    sis = board.sis
    brin6 = {o["sourcedId"]: o["identifier"] for o in sis["orgs.csv"]}
    users = {u["sourcedId"]: u for u in sis["users.csv"]}
    active = board.active_roles()
    teachers: dict[str, list[str]] = defaultdict(list)
    for enrollment in sis["enrollments.csv"]:
        if enrollment["role"] == "teacher":
            teachers[enrollment["classSourcedId"]].append(enrollment["userSourcedId"])
    for group in sis["classes.csv"]:
        assigned = teachers[group["sourcedId"]]
        assert 1 <= len(assigned) <= 2, group["sourcedId"]
        assert len(set(assigned)) == len(assigned)
        location = brin6[group["schoolSourcedId"]]
        for user_id in assigned:
            number = users[user_id]["identifier"]
            assert (Role.TEACHER, location) in active[number], (group["sourcedId"], number)


def test_every_class_has_a_teacher_employed_at_its_location(board: Board) -> None:
    _check_classes_have_teachers_at_their_location(board)
    teacher_numbers = {u["identifier"] for u in board.sis["users.csv"] if u["role"] == "teacher"}
    assert "100002" in teacher_numbers  # the two-employment person teaches a group
    assert "100006" not in teacher_numbers  # the leaver does not


def test_every_class_has_a_teacher_at_scale(large: Board) -> None:
    _check_classes_have_teachers_at_their_location(large)


def test_pupils_sit_in_one_homeroom_class_of_realistic_size(board: Board) -> None:
    sis = board.sis
    students = [u for u in sis["users.csv"] if u["role"] == "student"]
    assert len(students) == 700
    assert [u["sourcedId"] for u in students[:2]] == ["L000001", "L000002"]
    pupil_enrollments = [e for e in sis["enrollments.csv"] if e["role"] == "student"]
    per_pupil = Counter(e["userSourcedId"] for e in pupil_enrollments)
    assert set(per_pupil.values()) == {1} and len(per_pupil) == 700
    sizes = Counter(e["classSourcedId"] for e in pupil_enrollments)
    assert min(sizes.values()) >= 15 and max(sizes.values()) <= 36
    assert 24 <= 700 / len(sizes) <= 31
    parallels: Counter[tuple[str, str]] = Counter()
    for group in sis["classes.csv"]:
        match = re.fullmatch(r"Groep ([1-8])([a-z])", group["title"])
        assert match, group["title"]
        brin6 = group["schoolSourcedId"].removeprefix("S-")
        assert group["sourcedId"] == f"K-{brin6}-{match[1]}{match[2]}"
        parallels[(brin6, match[1])] += 1
    assert len(parallels) == 3 * 8  # every groep at every location
    assert set(parallels.values()) <= {1, 2, 3} and 2 in parallels.values()


def test_birth_dates_match_the_groep(board: Board) -> None:
    demographics = board.sis["demographics.csv"]
    births = {d["sourcedId"]: date.fromisoformat(d["birthDate"]) for d in demographics}
    titles = {c["sourcedId"]: c["title"] for c in board.sis["classes.csv"]}
    for enrollment in board.sis["enrollments.csv"]:
        if enrollment["role"] != "student":
            continue
        groep = int(titles[enrollment["classSourcedId"]][6])
        born = births[enrollment["userSourcedId"]]
        age = (TODAY - born).days / 365.25
        assert groep + 2.9 <= age <= groep + 4.2, (groep, born)
        begin = date.fromisoformat(enrollment["beginDate"])
        fourth_birthday = born + timedelta(days=4 * 365)  # within a day of it
        assert fourth_birthday <= begin <= TODAY
    groep1 = [
        births[e["userSourcedId"]]
        for e in board.sis["enrollments.csv"]
        if e["role"] == "student" and titles[e["classSourcedId"]].startswith("Groep 1")
    ]
    assert all(4 <= (TODAY - born).days / 365.25 < 6 for born in groep1)


def test_a_few_pupils_left_and_about_30_percent_have_an_eck_id(board: Board) -> None:
    ended = [
        e
        for e in board.sis["enrollments.csv"]
        if e["role"] == "student" and e["endDate"] and date.fromisoformat(e["endDate"]) < TODAY
    ]
    assert len(ended) == 5
    assert all(e["beginDate"] < e["endDate"] for e in ended)
    ids = [u["userIds"] for u in board.sis["users.csv"] if u["role"] == "student"]
    with_eck = [i for i in ids if i]
    assert all(ECK.match(i) for i in with_eck)
    assert 0.25 <= len(with_eck) / len(ids) <= 0.35
    assert len(set(with_eck)) == len(with_eck)


# --- consents ---------------------------------------------------------------------------------


def test_consents_are_mostly_granted_with_refusals_gaps_and_withdrawals(board: Board) -> None:
    pupils = {u["sourcedId"] for u in board.sis["users.csv"] if u["role"] == "student"}
    rows = board.consents
    assert {r["pupil_id"] for r in rows} <= pupils
    assert {r["medium"] for r in rows} == MEDIA
    assert {r["given_by"] for r in rows} == {"parent"}
    assert all(date.fromisoformat(r["recorded_on"]) <= TODAY for r in rows)
    current = [r for r in rows if r["school_year"] == "2026-2027"]
    previous = [r for r in rows if r["school_year"] == "2025-2026"]
    assert len(current) + len(previous) == len(rows)
    assert 0 < len(previous) < 0.1 * len(rows)
    status = Counter(r["status"] for r in current)
    assert status["granted"] > 0.7 * len(current)
    assert status["refused"] > 0.05 * len(current)
    assert 3 <= status["withdrawn"] < 0.05 * len(current)
    answered = {(r["pupil_id"], r["medium"]) for r in current}
    missing = len(pupils) * len(MEDIA) - len(answered)
    assert 0.03 * len(pupils) * len(MEDIA) < missing < 0.15 * len(pupils) * len(MEDIA)
    history: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in current:
        history[(row["pupil_id"], row["medium"])].append(row)
    for answers in history.values():
        if any(a["status"] == "withdrawn" for a in answers):
            granted, withdrawn = answers
            assert granted["status"] == "granted" and withdrawn["status"] == "withdrawn"
            assert granted["recorded_on"] < withdrawn["recorded_on"]
        else:
            assert len(answers) == 1


# --- scale ------------------------------------------------------------------------------------


def test_a_larger_board_scales_every_count(large: Board) -> None:
    locations = large.config.locations
    assert len(locations) == 21
    brin6s = [loc.brin6 for loc in locations]
    assert len(set(brin6s)) == 21 and all(BRIN6.match(b) for b in brin6s)
    assert len({loc.name for loc in locations}) == 21
    employments = large.employments()
    assert len(employments) == 500
    roles = Counter(large.role(r["function_title"]) for r in large.hr)
    assert roles[Role.DIRECTOR] == 2
    assert roles[Role.LOCATION_LEADER] == 21
    assert 25 <= roles[Role.CARE_COORDINATOR] <= 30
    assert 70 <= roles[Role.SUPPORT_STAFF] <= 80
    assert 13 <= roles[Role.INTERN] <= 17
    assert roles[Role.TEACHER] > 300
    students = [u for u in large.sis["users.csv"] if u["role"] == "student"]
    assert len(students) == 5000
    classes = large.sis["classes.csv"]
    assert 5000 / len(classes) >= 22
    assert {c["schoolSourcedId"].removeprefix("S-") for c in classes} == set(brin6s)


@pytest.mark.slow
def test_a_benchmark_sized_board_has_the_right_shape(tmp_path: Path) -> None:
    # its speed is measured by benchmarks/plan.py, not asserted here
    config = generate_board(tmp_path, today=TODAY, staff=5000, pupils=50000)
    loaded = load_config(config)
    assert len({loc.brin6 for loc in loaded.locations}) == len(loaded.locations) > 200
    with (tmp_path / "hr.csv").open(encoding="utf-8") as handle:
        assert len({row["employee_number"] for row in csv.DictReader(handle)}) == 5000


def test_a_board_too_small_for_its_roles_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="staff=20"):
        generate_board(tmp_path, today=TODAY, staff=20)
    with pytest.raises(ValueError, match="pupils=10"):
        generate_board(tmp_path, today=TODAY, pupils=10)
