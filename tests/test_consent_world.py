"""A small board for the consent tests: two locations, their staff, groups, pupils and answers.

Shared by tests/test_consent_*.py and tests/test_bot_consent*.py (no tests of its own).

Location SCHOOL (07XY00): group 5b (30 pupils, teacher 1), group 7a (teacher 2), a location
leader (3), a care coordinator (4), a director (5), a caretaker (6). Location OTHER (07XY01):
its own group 5b with teacher 7. Staff 8 has no post any more.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from connectors.hr.config import HrCsvSourceConfig
from provisioner.config import (
    BoardConfig,
    Config,
    ConsentConfig,
    LocationConfig,
    SafetyConfig,
    SourcesConfig,
)
from provisioner.directory import save_directory
from provisioner.domain.models import (
    ClassGroup,
    ConsentGiver,
    ConsentRecord,
    ConsentStatus,
    Employment,
    PersonName,
    Pupil,
    Role,
    StaffMember,
)
from provisioner.privacy.consent import save_consent_history

SCHOOL, OTHER = "07XY00", "07XY01"
DAY = date(2026, 11, 23)
YEAR = "2026-2027"
G5B, G7A, O5B = "K-07XY00-5b", "K-07XY00-7a", "K-07XY01-5b"
ROLES = {
    "Leerkracht": Role.TEACHER,
    "Locatieleider": Role.LOCATION_LEADER,
    "Intern begeleider": Role.CARE_COORDINATOR,
    "Directeur": Role.DIRECTOR,
    "Conciërge": Role.SUPPORT_STAFF,
}
STAFF = {
    "1": ("Jan", "de", "Vries", SCHOOL, "Leerkracht"),
    "2": ("Fatima", "", "El Amrani", SCHOOL, "Leerkracht"),
    "3": ("Karin", "", "Smit", SCHOOL, "Locatieleider"),
    "4": ("Ilse", "", "Mulder", SCHOOL, "Intern begeleider"),
    "5": ("Ömer", "", "Çelik", SCHOOL, "Directeur"),
    "6": ("Kees", "", "Bos", SCHOOL, "Conciërge"),
    "7": ("Anna", "", "Peters", OTHER, "Leerkracht"),
    "8": ("Piet", "", "Oud", SCHOOL, "Leerkracht"),
}
#: Pupils with a story; group 5b is filled up to 30 with "Kind <n> Groep".
NAMED = {
    "L1": ("Sanne", "", "Jansen", G5B, date(2017, 3, 4)),
    "L2": ("Noah", "de", "Vries", G5B, date(2017, 5, 6)),
    "L3": ("Noah", "de", "Vries", G7A, date(2015, 1, 2)),
    "L4": ("Daan", "", "Bakker", G7A, date(2010, 6, 1)),  # 16 on DAY
    "L5": ("Emma", "", "Visser", O5B, date(2017, 8, 9)),
    "L6": ("Anne-Fleur", "van 't", "Hek", G5B, date(2017, 1, 1)),
}


def config(consent: ConsentConfig | None = None) -> Config:
    return Config(
        board=BoardConfig(name="Consent test", domain="example.nl"),
        locations=[
            LocationConfig(brin6=SCHOOL, name="OBS Proef"),
            LocationConfig(brin6=OTHER, name="CBS Ander"),
        ],
        roles=dict(ROLES),
        sources=SourcesConfig(hr=HrCsvSourceConfig(type="hr-csv", path=Path("unused.csv"))),
        safety=SafetyConfig(thresholds={}),
        consent=consent or ConsentConfig(default_mechanism="opt_in"),
    )


def email(number: str) -> str:
    return f"staff{number}@example.nl"


def fill_directory(sessions: sessionmaker[Session], group_size: int = 30) -> None:
    """Staff, groups and pupils as a sync would save them."""
    staff = [
        StaffMember(
            number,
            PersonName(given, prefix, family),
            (
                Employment(
                    location, title, date(2020, 8, 1), date(2026, 7, 31) if number == "8" else None
                ),
            ),
        )
        for number, (given, prefix, family, location, title) in STAFF.items()
    ]
    pupils = [
        Pupil(sis_id, PersonName(given, prefix, family), born, _location(group), group, None, None)
        for sis_id, (given, prefix, family, group, born) in NAMED.items()
    ]
    in_5b = sum(1 for p in pupils if p.group_id == G5B)
    pupils += [
        Pupil(f"F{n}", PersonName("Kind", "", f"{n} Groep"), date(2017, 2, 2), SCHOOL, G5B,
              None, None)
        for n in range(1, group_size - in_5b + 1)
    ]  # fmt: skip
    groups = [
        ClassGroup(G5B, "Groep 5b", SCHOOL, frozenset({"1"})),
        ClassGroup(G7A, "Groep 7a", SCHOOL, frozenset({"2"})),
        ClassGroup(O5B, "Groep 5b", OTHER, frozenset({"7"})),
    ]
    with sessions() as session:
        save_directory(
            session, staff, pupils, groups, roles=ROLES, domain="example.nl",
            usernames={f"staff:{n}": f"staff{n}" for n in STAFF},
            at=datetime(2026, 11, 22, 3, 0, tzinfo=UTC),
        )  # fmt: skip
        session.commit()


def _location(group: str) -> str:
    return OTHER if group == O5B else SCHOOL


def answer(
    pupil: str,
    medium: str,
    status: ConsentStatus,
    day: date,
    *,
    year: str = YEAR,
    giver: ConsentGiver = ConsentGiver.PARENT,
) -> ConsentRecord:
    return ConsentRecord(pupil, medium, status, year, day, giver)


GRANTED, REFUSED, WITHDRAWN = ConsentStatus.GRANTED, ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN


def fill_consents(sessions: sessionmaker[Session]) -> None:
    """Every pupil of 5b granted everything on 1 September, except the stories below."""
    first = date(2026, 9, 1)
    media = ("website", "nieuwsbrief", "schoolgids", "social media", "ouderapp")
    records = [answer(f"F{n}", medium, GRANTED, first) for n in range(1, 40) for medium in media]
    records += [
        answer("L1", "website", GRANTED, first),  # Sanne: website yes, social media withdrawn
        answer("L1", "social media", GRANTED, first),
        answer("L1", "social media", WITHDRAWN, date(2026, 11, 3)),
        answer("L2", "website", REFUSED, first),  # Noah (5b): refused the website
        answer("L3", "website", GRANTED, first),  # Noah (7a): granted
        answer("L4", "website", GRANTED, first),  # Daan turned 16: parents' yes no longer counts
        answer("L5", "website", GRANTED, first),
        # Anne-Fleur: nothing for the website, yes for the newsletter
        answer("L6", "nieuwsbrief", GRANTED, first),
    ]
    with sessions() as session:
        save_consent_history(session, records)
        session.commit()
