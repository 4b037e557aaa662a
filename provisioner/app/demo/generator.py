"""Write a realistic demo school board: HR export, OneRoster 1.1 SIS, consents and config.

Everything comes from ``random.Random(seed)`` and ``today``: the same arguments give
byte-identical files, and every date is relative to ``today`` so the demo makes sense whenever
it runs. Every board, whatever its size, contains the special cases listed in
``SPECIAL_STAFF``: a person with two employments, a back-dated leaver, an unmapped function
title, names with tussenvoegsels, diacritics and apostrophes, and two people with one name.

The parts: ``board`` (size, locations, classes, titles), ``names`` (name lists, random days),
``staff`` (HR's people and the teachers of each class), ``oneroster`` (the SIS files),
``files`` (HR and consent CSV) and ``config_text`` (provisioner.toml).
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from provisioner.app.demo.board import (
    BOARD_DOMAIN,
    BOARD_NAME,
    BOARD_OFFICE_UNIT,
    FIRST_EMPLOYEE_NUMBER,
    PUPIL_DOMAIN,
    ROLE_TITLES,
    SPECIAL_STAFF,
    UNMAPPED_TITLE,
    BoardSize,
    classes_of,
    school_year_start,
    schools_of,
)
from provisioner.app.demo.config_text import M365_TARGET, config_text
from provisioner.app.demo.files import (
    CONSENT_HEADER,
    CONSENT_MEDIA,
    HR_HEADER,
    write_consents,
    write_hr,
)
from provisioner.app.demo.oneroster import ONEROSTER_ABSENT, ONEROSTER_HEADERS, write_sis
from provisioner.app.demo.staff import assign_teachers, staff_of

__all__ = [
    "BOARD_DOMAIN",
    "BOARD_NAME",
    "BOARD_OFFICE_UNIT",
    "CONSENT_HEADER",
    "CONSENT_MEDIA",
    "FIRST_EMPLOYEE_NUMBER",
    "HR_HEADER",
    "ONEROSTER_ABSENT",
    "ONEROSTER_HEADERS",
    "PUPIL_DOMAIN",
    "ROLE_TITLES",
    "SPECIAL_STAFF",
    "UNMAPPED_TITLE",
    "BoardSize",
    "generate_board",
    "school_year_start",
]


def generate_board(
    directory: Path,
    *,
    today: date,
    seed: int = 2026,
    staff: int = 60,
    pupils: int = 700,
    m365_emulator: bool = False,
) -> Path:
    """Write a realistic demo board into `directory` and return the path of its provisioner.toml.

    With ``m365_emulator`` the board also has a Microsoft 365 target, served by the built-in
    Graph emulator whose tenant is kept in ``graph-tenant.json``.
    """
    size = BoardSize.of(staff, pupils)
    rng = random.Random(seed)
    year = school_year_start(today)
    schools = schools_of(size.locations)
    classes = classes_of(rng, schools, pupils)
    people = staff_of(rng, size, schools, classes, today, year)
    assign_teachers(rng, people, classes, today)

    sis = directory / "sis"
    sis.mkdir(parents=True, exist_ok=True)
    write_hr(directory / "hr.csv", people)
    enrolled = write_sis(sis, rng, schools, classes, people, today, year, size.pupil_leavers)
    write_consents(directory / "consents.csv", rng, enrolled, today, year)
    config = directory / "provisioner.toml"
    text = config_text(schools, seed, today) + (M365_TARGET if m365_emulator else "")
    config.write_text(text, encoding="utf-8", newline="\n")
    return config
