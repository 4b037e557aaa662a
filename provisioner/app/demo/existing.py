"""The demo directory as a board really has it before its first sync: accounts made by hand.

- the back-dated leaver still has an enabled account with her employee number: the first sync
  adopts it and disables it, signs her out and strips her access (the leaver procedure);
- one teacher's account was made by hand with her employee number: it is adopted, not
  duplicated, and keeps its name;
- an account ``jan.devries`` belongs to someone the provisioner does not manage, so the
  director Jan de Vries gets ``jan.devries2``;
- someone added that unmanaged account by hand to a teachers' group: drift, removed on the
  first run because managed groups are authoritative.
"""

from __future__ import annotations

import csv
from pathlib import Path

from connectors.reference.config import ReferenceTargetConfig
from connectors.reference.target import ReferenceTarget
from provisioner.app.config import load_config
from provisioner.domain.models import PersonName
from provisioner.policy.desired import level_group
from provisioner.policy.naming import username_base
from provisioner.targets import AccountSpec, GroupSpec

LEAVER = "100006"


def seed_existing_accounts(config_path: Path) -> None:
    config = load_config(config_path)
    target_config = next(t for t in config.targets if isinstance(t, ReferenceTargetConfig))
    with (config_path.parent / "hr.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["employee_number"]: row for row in csv.DictReader(handle)}
    leaver = rows[LEAVER]
    teacher = next(
        row
        for number, row in sorted(rows.items())
        if row["function_title"] == "Groepsleerkracht"
        and int(number) > 100010
        and not row["end_date"]
    )
    directory = ReferenceTarget(target_config.name, target_config.path)
    try:
        for row in (leaver, teacher):
            directory.seed_account(_spec(row))
        stranger = directory.seed_account(
            AccountSpec(
                "", "jan.devries", "Jan de Vries (oud-leerling)", "Jan", "de Vries", True, {}
            )
        )
        location = config.locations[0].brin6
        group = directory.create_group(
            GroupSpec(level_group(location, "teachers"), "Leerkrachten (handmatig)", "made by hand")
        )
        directory.seed_group_member(group, stranger)
    finally:
        directory.close()


def _spec(row: dict[str, str]) -> AccountSpec:
    """An account as IT made it by hand: initial and family name, e.g. ``a.vanthek``."""
    name = PersonName(row["given_name"], row["prefix"], row["family_name"])
    family = name.family_with_prefix
    return AccountSpec(
        key=f"staff:{row['employee_number']}",
        username=username_base(name, "{initial}.{prefix}{family}", row["employee_number"]),
        display_name=f"{row['given_name']} {family}",
        given_name=row["given_name"],
        family_name=family,
        enabled=True,
        attributes={},
    )
