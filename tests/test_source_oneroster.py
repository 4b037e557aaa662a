"""The OneRoster 1.1 CSV source: pupils, groups, teachers, and what it quarantines."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from connectors.sis.config import OneRosterSourceConfig
from connectors.sis.oneroster_csv import OneRosterCsvSource
from provisioner.domain.models import ClassGroup, PersonName, Pupil
from provisioner.errors import ConfigError
from provisioner.sources.models import RecordProblem, SourceBatch, SourceKind

HEADERS = {
    "orgs": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "users": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
    "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password",
    "classes": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,"
    "location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "enrollments": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,"
    "role,primary,beginDate,endDate",
    "demographics": "sourcedId,status,dateLastModified,birthDate,sex",
}
TODAY = date(2026, 3, 1)
LOCATIONS = frozenset({"12AB00", "12AB01"})
ECK = "https://ketenid.nl/201703/" + "ab" * 64

ORGS = [
    {"sourcedId": "bestuur", "name": "Stichting", "type": "district"},
    {"sourcedId": "s1", "name": "De Regenboog", "type": "school", "identifier": "12AB00"},
    {"sourcedId": "s2", "name": "Het Kompas", "type": "school", "identifier": "12ab01"},
]
USERS = [
    {"sourcedId": "p1", "enabledUser": "true", "orgSourcedIds": "bestuur,s1", "role": "student",
     "userIds": f"{{LAS:4711}},{{eck:{ECK}}}", "givenName": "Ömer", "familyName": "Çelik"},
    {"sourcedId": "p2", "enabledUser": "false", "orgSourcedIds": "s2", "role": "student",
     "givenName": " Anne-Fleur", "middleName": "van 't", "familyName": "Hek "},
    {"sourcedId": "t1", "enabledUser": "true", "orgSourcedIds": "s1", "role": "teacher",
     "identifier": "1001", "givenName": "Jan", "familyName": "Jansen"},
    {"sourcedId": "t2", "enabledUser": "true", "orgSourcedIds": "s1", "role": "teacher",
     "identifier": "1002", "givenName": "Els", "familyName": "Smit"},
]  # fmt: skip
CLASSES = [
    {"sourcedId": "c1", "title": "Groep 5b", "classType": "homeroom", "schoolSourcedId": "s1"},
    {"sourcedId": "c2", "title": "Groep 6a", "classType": "homeroom", "schoolSourcedId": "s1"},
    {"sourcedId": "m1", "title": "Muziek", "classType": "scheduled", "schoolSourcedId": "s1"},
]
ENROLLMENTS = [
    {"sourcedId": "e1", "classSourcedId": "c1", "userSourcedId": "p1", "role": "student",
     "beginDate": "2025-08-18", "endDate": "2026-07-17"},
    {"sourcedId": "e2", "classSourcedId": "c1", "userSourcedId": "t1", "role": "teacher"},
    {"sourcedId": "e3", "classSourcedId": "c1", "userSourcedId": "t2", "role": "teacher",
     "endDate": "2026-01-31"},
]  # fmt: skip
DEMOGRAPHICS = [{"sourcedId": "p1", "birthDate": "2016-05-04"}]


def write(folder: Path, stem: str, rows: list[dict[str, str]], header: str | None = None) -> None:
    columns = (header or HEADERS[stem]).split(",")
    with (folder / f"{stem}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read(
    folder: Path,
    orgs: list[dict[str, str]] = ORGS,
    users: list[dict[str, str]] = USERS,
    classes: list[dict[str, str]] = CLASSES,
    enrollments: list[dict[str, str]] = ENROLLMENTS,
    demographics: list[dict[str, str]] | None = DEMOGRAPHICS,
) -> SourceBatch:
    for stem, rows in (("orgs", orgs), ("users", users), ("classes", classes),
                       ("enrollments", enrollments)):  # fmt: skip
        write(folder, stem, rows)
    if demographics is not None:
        write(folder, "demographics", demographics)
    config = OneRosterSourceConfig(type="oneroster-csv", path=folder)
    return OneRosterCsvSource("sis", config, LOCATIONS, today=TODAY).read()


def pupils(batch: SourceBatch) -> dict[str, Pupil]:
    return {pupil.sis_id: pupil for pupil in batch.pupils}


def enrol(line_id: str, user: str, klass: str, begin: str = "", end: str = "",
          role: str = "student") -> dict[str, str]:  # fmt: skip
    return {"sourcedId": line_id, "classSourcedId": klass, "userSourcedId": user, "role": role,
            "beginDate": begin, "endDate": end}  # fmt: skip


def test_pupils_groups_and_teachers(tmp_path: Path) -> None:
    batch = read(tmp_path)

    assert batch.kind is SourceKind.SIS
    assert batch.problems == []
    assert pupils(batch) == {
        "p1": Pupil(
            sis_id="p1",
            name=PersonName("Ömer", "", "Çelik"),
            birth_date=date(2016, 5, 4),
            location="12AB00",
            group_id="c1",
            enrolment_start=date(2025, 8, 18),
            enrolment_end=date(2026, 7, 17),
            eck_id=ECK,
            enabled_in_sis=True,
        ),
        "p2": Pupil(
            sis_id="p2",
            name=PersonName("Anne-Fleur", "van 't", "Hek"),
            birth_date=None,
            location="12AB01",
            group_id=None,  # no homeroom enrolment is no error
            enrolment_start=None,
            enrolment_end=None,
            eck_id=None,
            enabled_in_sis=False,
        ),
    }
    # t2's enrolment ended before today; the scheduled class is not a group
    assert batch.groups == [
        ClassGroup("c1", "Groep 5b", "12AB00", frozenset({"1001"})),
        ClassGroup("c2", "Groep 6a", "12AB00", frozenset()),
    ]
    assert batch.counts == {"pupils": 2, "groups": 2}
    assert batch.quarantined_keys == set() and batch.unkeyed_rejects == 0


def test_school_identifier_that_is_not_a_configured_brin6(tmp_path: Path) -> None:
    orgs = [*ORGS, {"sourcedId": "s9", "type": "school", "identifier": "99ZZ00"}]
    users = [*USERS, {"sourcedId": "p3", "enabledUser": "true", "orgSourcedIds": "s9",
                      "role": "student", "givenName": "Kees", "familyName": "Bakker"}]  # fmt: skip
    classes = [*CLASSES, {"sourcedId": "c9", "title": "Groep 1", "classType": "homeroom",
                          "schoolSourcedId": "s9"}]  # fmt: skip
    enrollments = [*ENROLLMENTS, enrol("e9", "p2", "c9", "2025-08-18")]

    batch = read(tmp_path, orgs=orgs, users=users, classes=classes, enrollments=enrollments)

    school = "school 's9' has identifier '99ZZ00', which is not a configured location (BRIN6)"
    assert batch.problems == [
        RecordProblem("sis", "orgs.csv", 5, "s9", "identifier", school),
        RecordProblem("sis", "users.csv", 6, "p3", "orgSourcedIds", school),
        RecordProblem("sis", "classes.csv", 5, "c9", "schoolSourcedId", school),
        RecordProblem("sis", "enrollments.csv", 5, "p2", "classSourcedId",
                      f"class 'c9' is rejected: {school}"),
    ]  # fmt: skip
    assert batch.quarantined_keys == {"pupil:p3", "pupil:p2"}
    assert list(pupils(batch)) == ["p1"]
    assert [g.group_id for g in batch.groups] == ["c1", "c2"]
    assert batch.counts == {"pupils": 3, "groups": 3}


def test_class_at_an_unknown_school_quarantines_its_pupils(tmp_path: Path) -> None:
    classes = [{"sourcedId": "c1", "title": "Groep 5b", "classType": "homeroom",
                "schoolSourcedId": "nergens"}]  # fmt: skip

    batch = read(tmp_path, classes=classes)

    assert [(p.file, p.line, p.record, p.field, p.reason) for p in batch.problems] == [
        ("classes.csv", 2, "c1", "schoolSourcedId", "org 'nergens' is not in orgs.csv"),
        ("enrollments.csv", 2, "p1", "classSourcedId",
         "class 'c1' is rejected: org 'nergens' is not in orgs.csv"),
    ]  # fmt: skip
    assert batch.quarantined_keys == {"pupil:p1"}
    assert list(pupils(batch)) == ["p2"] and batch.groups == []


def test_two_active_homeroom_classes(tmp_path: Path) -> None:
    enrollments = [*ENROLLMENTS, enrol("e4", "p1", "c2", "2026-01-05")]

    batch = read(tmp_path, enrollments=enrollments)

    assert batch.problems == [
        RecordProblem("sis", "enrollments.csv", 5, "p1", "classSourcedId",
                      "a second active homeroom class: line 2 already puts the pupil in class 'c1'")
    ]  # fmt: skip
    assert batch.quarantined_keys == {"pupil:p1"}
    assert list(pupils(batch)) == ["p2"]


def test_consecutive_groups_pick_the_current_one_and_span_the_enrolment(tmp_path: Path) -> None:
    enrollments = [
        enrol("e2", "p1", "c2", "2025-08-18", ""),  # this one, open-ended
        enrol("e1", "p1", "c1", "2024-08-19", "2025-07-11"),  # last school year
        enrol("e3", "p2", "c1", "2024-08-19", "2025-07-11"),  # ended: the last group stays
        enrol("e4", "p2", "c2", "2026-08-17", "2027-07-09"),  # next year: that is the group
    ]

    batch = read(tmp_path, enrollments=enrollments)

    assert batch.problems == []
    p1, p2 = pupils(batch)["p1"], pupils(batch)["p2"]
    assert (p1.group_id, p1.enrolment_start, p1.enrolment_end) == ("c2", date(2024, 8, 19), None)
    assert (p2.group_id, p2.enrolment_start, p2.enrolment_end) == (
        "c2", date(2024, 8, 19), date(2027, 7, 9)
    )  # fmt: skip

    only_ended = [enrol("e1", "p1", "c1", "2024-08-19", "2025-07-11")]
    p1 = pupils(read(tmp_path, enrollments=only_ended))["p1"]
    assert (p1.group_id, p1.enrolment_end) == ("c1", date(2025, 7, 11))


@pytest.mark.parametrize("user_ids", [f"{{ECK:{ECK}}}", f"{{LAS:1}},{{ Eck : {ECK} }}"])
def test_eck_id_passes_through_whatever_the_case_of_its_type(tmp_path: Path, user_ids: str) -> None:
    users = [{**USERS[0], "userIds": user_ids}, {**USERS[1], "userIds": "{LAS:4712},{ECKX:nee}"}]

    batch = read(tmp_path, users=users)

    assert pupils(batch)["p1"].eck_id == ECK
    assert pupils(batch)["p2"].eck_id is None


BAD_ENROLMENTS = [
    pytest.param(enrol("e9", "ghost", "c1"), "ghost", "userSourcedId",
                 "user 'ghost' is not in users.csv", id="unknown-user"),
    pytest.param(enrol("e9", "p1", "c404"), "p1", "classSourcedId",
                 "class 'c404' is not in classes.csv", id="unknown-class"),
    pytest.param(enrol("e9", "p1", "c2", "2026-02-30"), "p1", "beginDate",
                 "'2026-02-30' is not a date (expected YYYY-MM-DD)", id="bad-begin"),
    pytest.param(enrol("e9", "p1", "c2", "", "1-8-2026"), "p1", "endDate",
                 "'1-8-2026' is not a date (expected YYYY-MM-DD)", id="bad-end"),
    pytest.param(enrol("e9", "p1", "c2", "2026-08-01", "2026-07-01"), "p1", "endDate",
                 "endDate '2026-07-01' is before beginDate '2026-08-01'", id="end-before-begin"),
    pytest.param(enrol("e9", "t1", "c2"), "t1", "userSourcedId",
                 "user 't1' is not a student", id="teacher-as-student"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "record", "field", "reason"), BAD_ENROLMENTS)
def test_bad_student_enrollment_quarantines_the_pupil(
    tmp_path: Path, row: dict[str, str], record: str, field: str, reason: str
) -> None:
    # p1 also has a good enrolment (line 2): it is quarantined entirely all the same
    batch = read(tmp_path, enrollments=[*ENROLLMENTS, row])

    assert batch.problems == [RecordProblem("sis", "enrollments.csv", 5, record, field, reason)]
    assert batch.quarantined_keys == {f"pupil:{record}"}
    assert set(pupils(batch)) == {"p1", "p2"} - {record}
    assert batch.unkeyed_rejects == 0


BAD_USERS = [
    pytest.param({"givenName": ""}, "givenName", "no givenName", id="no-given-name"),
    pytest.param({"familyName": " "}, "familyName", "no familyName", id="no-family-name"),
    pytest.param({"enabledUser": "yes"}, "enabledUser", "'yes' is not true or false",
                 id="bad-enabled"),
    pytest.param({"enabledUser": ""}, "enabledUser", "no enabledUser", id="no-enabled"),
    pytest.param({"orgSourcedIds": ""}, "orgSourcedIds", "belongs to no school in orgs.csv",
                 id="no-orgs"),
    pytest.param({"orgSourcedIds": "s404"}, "orgSourcedIds", "org 's404' is not in orgs.csv",
                 id="unknown-org"),
    pytest.param({"orgSourcedIds": "bestuur"}, "orgSourcedIds", "belongs to no school in orgs.csv",
                 id="no-school"),
    pytest.param({"orgSourcedIds": "s1,s2"}, "orgSourcedIds",
                 "belongs to more than one school (12AB00, 12AB01)", id="two-schools"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "reason"), BAD_USERS)
def test_bad_student_row_quarantines_the_pupil(
    tmp_path: Path, change: dict[str, str], field: str, reason: str
) -> None:
    users = [{**USERS[0], **change}, *USERS[1:]]

    batch = read(tmp_path, users=users)

    assert batch.problems == [RecordProblem("sis", "users.csv", 2, "p1", field, reason)]
    assert batch.quarantined_keys == {"pupil:p1"}
    assert list(pupils(batch)) == ["p2"]
    assert batch.counts["pupils"] == 2


def test_every_fault_of_a_row_is_reported(tmp_path: Path) -> None:
    users = [{**USERS[0], "givenName": "", "orgSourcedIds": ""}, *USERS[1:]]

    batch = read(tmp_path, users=users)

    assert [(p.line, p.field, p.reason) for p in batch.problems] == [
        (2, "givenName", "no givenName"),
        (2, "orgSourcedIds", "belongs to no school in orgs.csv"),
    ]
    assert batch.quarantined_keys == {"pupil:p1"} and batch.unkeyed_rejects == 0


def test_bad_birth_date_quarantines_the_pupil(tmp_path: Path) -> None:
    batch = read(tmp_path, demographics=[{"sourcedId": "p1", "birthDate": "04-05-2016"}])

    assert batch.problems == [
        RecordProblem("sis", "demographics.csv", 2, "p1", "birthDate",
                      "'04-05-2016' is not a date (expected YYYY-MM-DD)")
    ]  # fmt: skip
    assert batch.quarantined_keys == {"pupil:p1"} and list(pupils(batch)) == ["p2"]


def test_records_without_a_key_are_counted_unkeyed(tmp_path: Path) -> None:
    users = [*USERS, {"enabledUser": "true", "orgSourcedIds": "s1", "role": "student",
                      "givenName": "Kees", "familyName": "Bakker"}]  # fmt: skip
    enrollments = [*ENROLLMENTS, enrol("e9", "", "c1")]

    batch = read(tmp_path, users=users, enrollments=enrollments)

    assert [(p.file, p.line, p.record, p.field) for p in batch.problems] == [
        ("users.csv", 6, None, "sourcedId"),
        ("enrollments.csv", 5, None, "userSourcedId"),
    ]
    assert batch.unkeyed_rejects == 2
    assert batch.quarantined_keys == set()
    assert set(pupils(batch)) == {"p1", "p2"}


def test_duplicate_sis_id_rejects_both_rows(tmp_path: Path) -> None:
    users = [*USERS, {**USERS[1], "givenName": "Anna"}]

    batch = read(tmp_path, users=users)

    assert [(p.line, p.record, p.reason) for p in batch.problems] == [
        (3, "p2", "duplicate sourcedId: line 6 has the same one"),
        (6, "p2", "duplicate sourcedId: line 3 has the same one"),
    ]
    assert batch.quarantined_keys == {"pupil:p2"} and list(pupils(batch)) == ["p1"]


def test_teacher_problems_are_reported_and_quarantine_nobody(tmp_path: Path) -> None:
    users = [*USERS, {"sourcedId": "t3", "enabledUser": "true", "orgSourcedIds": "s1",
                      "role": "teacher", "givenName": "Bas", "familyName": "Bos"}]  # fmt: skip
    enrollments = [*ENROLLMENTS, enrol("e7", "t3", "c1", role="teacher"),
                   enrol("e8", "t404", "c2", role="teacher")]  # fmt: skip

    batch = read(tmp_path, users=users, enrollments=enrollments)

    assert batch.problems == [
        RecordProblem("sis", "users.csv", 6, "t3", "identifier",
                      "teacher has no employee number: no group access"),
        RecordProblem("sis", "enrollments.csv", 6, "t404", "userSourcedId",
                      "user 't404' is not in users.csv"),
    ]  # fmt: skip
    assert batch.quarantined_keys == set() and batch.unkeyed_rejects == 0
    assert {g.group_id: g.teacher_numbers for g in batch.groups} == {
        "c1": frozenset({"1001"}),
        "c2": frozenset(),
    }


def test_demographics_is_optional(tmp_path: Path) -> None:
    batch = read(tmp_path, demographics=None)

    assert batch.problems == [] and pupils(batch)["p1"].birth_date is None


def test_missing_folder_file_or_header_makes_the_source_unusable(tmp_path: Path) -> None:
    config = OneRosterSourceConfig(type="oneroster-csv", path=tmp_path / "export")
    source = OneRosterCsvSource("sis", config, LOCATIONS, today=TODAY)
    with pytest.raises(ConfigError, match=r"OneRoster folder .*export does not exist"):
        source.read()

    (tmp_path / "export").mkdir()
    read(tmp_path / "export")
    (tmp_path / "export" / "classes.csv").unlink()
    with pytest.raises(ConfigError, match=r"OneRoster file .*classes\.csv does not exist"):
        source.read()

    write(tmp_path / "export", "classes", CLASSES)
    write(tmp_path / "export", "users", USERS, HEADERS["users"].replace(",middleName", ""))
    with pytest.raises(ConfigError, match=r"users\.csv has no 'middleName' column"):
        source.read()
