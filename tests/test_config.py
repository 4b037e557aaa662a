"""The configuration: the example in deploy/ stays valid, and problems are explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.hr.config import HrCsvSourceConfig
from connectors.m365.config import M365TargetConfig
from connectors.sis.config import OneRosterSourceConfig
from provisioner.app.config import load_config
from provisioner.domain.models import Role
from provisioner.errors import ConfigError

EXAMPLE = Path(__file__).parent.parent / "deploy" / "provisioner.example.toml"


def test_the_example_configuration_loads_with_every_setting() -> None:
    config = load_config(EXAMPLE)
    assert config.org_units == {"1201": "12AB00", "1202": "12AB00", "1203": "12AB01"}
    assert config.roles["IB-er"] is Role.CARE_COORDINATOR
    assert config.safety.thresholds["disable_account"].max_percent == 5
    assert isinstance(config.sources.hr, HrCsvSourceConfig)
    assert config.sources.hr.path == EXAMPLE.parent / "exports" / "hr.csv"
    m365 = config.targets[1]
    assert (
        isinstance(m365, M365TargetConfig)
        and m365.delta_cache == EXAMPLE.parent / "m365-delta.json"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('brin6 = "12AB01"', 'brin6 = "12AB1"'), "locations.1.brin6"),
        (('"IB-er" = "care_coordinator"', '"IB-er" = "zorg"'), "roles.IB-er"),
        (('hr_org_units = ["1203"]', 'hr_org_units = ["1201"]'), "maps to both 12AB00 and 12AB01"),
        (
            ("[safety.thresholds.remove_member]", "[safety.thresholds.remove_members]"),
            "remove_members",
        ),
        (('staff_template = "{given}', 'staff_template = "{voornaam}'), "voornaam"),
        (("grace_days = 30", "grace_days = -1"), "lifecycle.grace_days"),
    ],
)
def test_every_problem_is_named_with_its_place(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "provisioner.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_an_hr_system_read_over_its_api_needs_no_file(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'type = "hr-csv"\npath = "exports/hr.csv"',
        'type = "afas"\nbase_url = "https://12345.rest.afas.online/profitrestservices"',
    )
    text = "\n".join(
        line for line in text.splitlines() if not line.startswith(("date_format", "open_end_dates"))
    )
    path = tmp_path / "provisioner.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    assert config.sources.hr.type == "afas"
    assert isinstance(config.sources.sis, OneRosterSourceConfig)
    assert config.sources.sis.path == tmp_path / "exports/oneroster"
