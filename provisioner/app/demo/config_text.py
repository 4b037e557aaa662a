"""The demo board's provisioner.toml: the board, its locations and roles, the sources and
the targets (the reference directory; Microsoft 365 on the Graph emulator, on request)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from provisioner.app.demo.board import (
    BOARD_DOMAIN,
    BOARD_NAME,
    BOARD_OFFICE_UNIT,
    PUPIL_DOMAIN,
    ROLE_TITLES,
    UNMAPPED_TITLE,
    School,
)


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


STAFF_LICENCE = '["M365_A3_FACULTY"]'
SOURCES_AND_TARGETS = f"""
[sources.hr]
type = "hr-csv"
path = "hr.csv"

[sources.sis]
type = "oneroster-csv"
path = "sis"

[sources.consent]
type = "consent-csv"
path = "consents.csv"

[consent]
default_mechanism = "opt_in"  # the demo's form: parents tick "yes" themselves, nothing pre-ticked

# A board of primary schools: no central exam, so that retention category is switched off.
[retention.rules.central_exam]
enabled = false

# The processor agreements (verwerkersovereenkomsten) for the register of processing
# activities. The consent export's is left out, so `provisioner config check` warns about it.
[processing.agreements.hr]
processor = "AFAS Software B.V."
signed_on = 2025-08-14
bijsluiter = "AFAS Profit privacybijsluiter 2025"
dpia_on = 2025-06-02
outside_eea = "none"

[processing.agreements.sis]
processor = "Topicus.Education B.V."
signed_on = 2025-08-14
bijsluiter = "ParnasSys privacybijsluiter v4.1"
outside_eea = "none"

[[targets]]
type = "reference"
name = "directory"
path = "reference-directory"
include_pupils = true

[targets.licences]
director = {STAFF_LICENCE}
location_leader = {STAFF_LICENCE}
care_coordinator = {STAFF_LICENCE}
teacher = {STAFF_LICENCE}
support_staff = {STAFF_LICENCE}
intern = ["M365_A1_FACULTY"]
pupil = ["M365_A1_STUDENT"]

[targets.sis_roles]
director = "Directie"
location_leader = "Directie"
care_coordinator = "Intern begeleider"
teacher = "Leerkracht"
support_staff = "Medewerker"
intern = "Stagiair"
"""

M365_TARGET = f"""
[processing.agreements.m365]
processor = "Microsoft Ireland Operations Ltd."
signed_on = 2025-09-01
bijsluiter = "Microsoft 365 Education privacybijsluiter (SIVON)"
dpia_on = 2025-05-20
outside_eea = "United States (sub-processors, under the EU Data Boundary)"

[[targets]]
type = "m365"
name = "m365"
tenant = "demo-tenant"
client_id = "provisioner"
usage_location = "NL"
delta_cache = "graph-delta.json"
include_pupils = true
sharepoint = true

[targets.emulator]
state_file = "graph-tenant.json"

[targets.licences]
director = {STAFF_LICENCE}
location_leader = {STAFF_LICENCE}
care_coordinator = {STAFF_LICENCE}
teacher = {STAFF_LICENCE}
support_staff = {STAFF_LICENCE}
intern = ["M365_A1_FACULTY"]
pupil = ["M365_A1_STUDENT"]
"""


def config_text(schools: Sequence[School], seed: int, today: date) -> str:
    lines = [
        f"# Demo board written by provisioner.app.demo.generator (seed {seed}, today {today}).",
        "# Paths are relative to this file; the state store is provisioner.db beside it.",
        "",
        "[board]",
        f"name = {toml_string(BOARD_NAME)}",
        f"domain = {toml_string(BOARD_DOMAIN)}",
        f"pupil_domain = {toml_string(PUPIL_DOMAIN)}",
        'director_scope = "board"',
    ]
    for index, school in enumerate(schools):
        units = [BOARD_OFFICE_UNIT, school.org_unit] if index == 0 else [school.org_unit]
        lines += [
            "",
            "[[locations]]",
            f"brin6 = {toml_string(school.brin6)}",
            f"name = {toml_string(school.name)}",
            f"hr_org_units = [{', '.join(toml_string(unit) for unit in units)}]",
        ]
    lines += ["", "[roles]"]
    lines += [
        f"{toml_string(title)} = {toml_string(role.value)}"
        for role, titles in ROLE_TITLES.items()
        for title in titles
    ]
    lines.append(f"# {toml_string(UNMAPPED_TITLE)} is deliberately not mapped: the run reports it.")
    return "\n".join(lines) + "\n" + SOURCES_AND_TARGETS
