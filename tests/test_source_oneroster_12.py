"""OneRoster 1.2 CSV: a user's role and school come from roles.csv (and primaryOrgSourcedId),
not from users.csv; a 1.2 bundle reads to the same pupils and groups as its 1.1 twin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connectors.sis.config import OneRosterSourceConfig
from connectors.sis.oneroster_csv import OneRosterCsvSource
from provisioner.errors import ConfigError
from provisioner.sources.models import SourceBatch
from tests.test_source_oneroster import (
    CLASSES,
    DEMOGRAPHICS,
    ENROLLMENTS,
    LOCATIONS,
    ORGS,
    TODAY,
    USERS,
    pupils,
    read,
    write,
)

#: users.csv of 1.2: no orgSourcedIds and role; primaryOrgSourcedId and more at the end
USERS_12 = (
    "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,"
    "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,"
    "resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,"
    "primaryOrgSourcedId,pronouns"
)
ROLES_12 = (
    "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
    "orgSourcedId,userProfileSourcedId"
)


def role(user: str, org: str, kind: str = "student", *, primary: bool = True,
         begin: str = "", end: str = "") -> dict[str, str]:  # fmt: skip
    return {"sourcedId": f"r-{user}-{org}-{kind}", "userSourcedId": user,
            "roleType": "primary" if primary else "secondary", "role": kind, "orgSourcedId": org,
            "beginDate": begin, "endDate": end}  # fmt: skip


def manifest(folder: Path, version: str) -> None:
    rows = [{"propertyName": "manifest.version", "value": "1.0"},
            {"propertyName": "oneroster.version", "value": version}]  # fmt: skip
    write(folder, "manifest", rows, "propertyName,value")


def bundle_12(
    folder: Path,
    users: list[dict[str, str]],
    roles: list[dict[str, str]],
    *,
    version: str | None = "1.2",
) -> SourceBatch:
    """A 1.2 bundle of the 1.1 fixture's orgs, classes, enrolments and demographics."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, rows in (("orgs", ORGS), ("classes", CLASSES), ("enrollments", ENROLLMENTS),
                       ("demographics", DEMOGRAPHICS)):  # fmt: skip
        write(folder, stem, rows)
    write(folder, "users", users, USERS_12)
    write(folder, "roles", roles, ROLES_12)
    if version is not None:
        manifest(folder, version)
    config = OneRosterSourceConfig(type="oneroster-csv", path=folder)
    return OneRosterCsvSource("sis", config, LOCATIONS, today=TODAY).read()


def as_12(users: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The 1.1 fixture's users as 1.2 users.csv rows and roles.csv rows."""
    rows, roles = [], []
    for user in users:
        orgs = [o for o in user["orgSourcedIds"].split(",") if o]
        rows.append({**user, "primaryOrgSourcedId": orgs[-1]})
        roles += [role(user["sourcedId"], org, user["role"], primary=org == orgs[-1])
                  for org in orgs]  # fmt: skip
    return rows, roles


def test_a_12_bundle_reads_as_its_11_twin(tmp_path: Path) -> None:
    (tmp_path / "v11").mkdir()
    manifest(tmp_path / "v11", "1.1")  # 1.1 with its manifest reads as ever
    expected = read(tmp_path / "v11")
    users, roles = as_12(USERS)
    got = bundle_12(tmp_path / "v12", users, roles)
    assert got.problems == [] and got.quarantined_keys == set()
    assert pupils(got) == pupils(expected) and len(got.pupils) == 2
    assert got.groups == expected.groups  # teacher 1001 teaches c1: roles.csv says teacher
    assert {g.group_id: g.teacher_numbers for g in got.groups}["c1"] == frozenset({"1001"})
    assert got.counts == expected.counts == {"pupils": 2, "groups": 2}


def test_the_11_reader_refuses_a_12_users_file_unless_the_manifest_says_12(
    tmp_path: Path,
) -> None:
    users, roles = as_12(USERS)
    with pytest.raises(ConfigError, match="no 'orgSourcedIds' column"):
        bundle_12(tmp_path / "as-11", users, roles, version="1.1")
    # without a manifest: no role column in users.csv and a roles.csv make it 1.2
    assert len(bundle_12(tmp_path / "bare", users, roles, version=None).pupils) == 2


def test_a_version_we_do_not_read_is_a_config_error(tmp_path: Path) -> None:
    users, roles = as_12(USERS)
    with pytest.raises(ConfigError, match=re.escape("oneroster.version '1.0' is not supported")):
        bundle_12(tmp_path, users, roles, version="1.0")


def test_school_from_the_current_student_role_then_the_primary_one(tmp_path: Path) -> None:
    users, roles = as_12(USERS)
    # p1 moved from s2 to s1 this school year: the ended role is history
    roles = [r for r in roles if r["userSourcedId"] != "p1"]
    roles += [role("p1", "s2", end="2025-12-31"), role("p1", "s1", begin="2026-01-01")]
    # p2 has two current student roles; the primary one names the school
    roles = [r for r in roles if r["userSourcedId"] != "p2"]
    roles += [role("p2", "s1", primary=False), role("p2", "s2")]
    batch = bundle_12(tmp_path, users, roles)
    assert batch.problems == []
    assert {p.sis_id: p.location for p in batch.pupils} == {"p1": "12AB00", "p2": "12AB01"}


def test_primary_org_of_users_csv_when_roles_name_no_school(tmp_path: Path) -> None:
    users, roles = as_12(USERS)
    roles = [{**r, "orgSourcedId": ""} if r["userSourcedId"] == "p2" else r for r in roles]
    batch = bundle_12(tmp_path, users, roles)
    assert pupils(batch)["p2"].location == "12AB01"


def test_a_user_without_a_role_is_quarantined(tmp_path: Path) -> None:
    users, roles = as_12(USERS)
    roles = [r for r in roles if r["userSourcedId"] != "p2"]
    batch = bundle_12(tmp_path, users, roles)
    assert [(p.file, p.record, p.field, p.reason) for p in batch.problems] == [
        ("users.csv", "p2", "role", "no role")
    ]
    assert batch.quarantined_keys == {"pupil:p2"}
    assert [p.sis_id for p in batch.pupils] == ["p1"]
