"""The connector registry (connectors/registry.py): one line per connector, and the
configuration, the wiring, ``config check`` and the demo's systems all come from it."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from connectors.hr.afas.config import AfasSourceConfig
from connectors.registry import SOURCES, TARGETS, source_connector, target_connector
from provisioner.app.config import load_config
from provisioner.app.demo.systems import HR_SYSTEMS, SIS_SYSTEMS
from provisioner.app.wiring import KeptTokens, build_sources, build_targets
from provisioner.config import SourceConfig, TargetConfig
from provisioner.errors import ConfigError

EXAMPLE = Path(__file__).parent.parent / "deploy" / "provisioner.example.toml"


def test_every_connector_has_one_type_and_the_core_base() -> None:
    types = [c.type_name for c in SOURCES] + [c.type_name for c in TARGETS]
    assert len(types) == len(set(types))
    assert all(issubclass(c.model, SourceConfig) for c in SOURCES)
    assert all(issubclass(c.model, TargetConfig) for c in TARGETS)
    assert source_connector("afas").model is AfasSourceConfig
    with pytest.raises(ConfigError, match="no target connector of type 'ldap'"):
        target_connector("ldap")


def test_a_vendor_section_is_validated_by_its_connector(tmp_path: Path) -> None:
    """The core's Config knows only the common fields; the file is read with every
    connector's model, so an unknown type or a typo names the section and the field."""
    path = tmp_path / "provisioner.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    path.write_text(text.replace('type = "m365"', 'type = "m365"\ntenat = "x"', 1), "utf-8")
    with pytest.raises(ConfigError, match=r"targets\.1\.m365\.tenat: Extra inputs"):
        load_config(path)
    path.write_text(text.replace('type = "hr-csv"', 'type = "hr-xls"', 1), "utf-8")
    with pytest.raises(ConfigError, match=r"sources\.hr: Input tag 'hr-xls'"):
        load_config(path)


def test_the_run_is_wired_from_the_registry(tmp_path: Path) -> None:
    path = tmp_path / "provisioner.toml"  # the reference directory is made beside it
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    config = load_config(path)
    kinds = [type(source).__name__ for source in build_sources(config)]
    assert kinds == ["HrCsvSource", "OneRosterCsvSource", "ConsentCsvSource"]
    reference_only = config.model_copy(
        update={"targets": [t for t in config.targets if t.type == "reference"]}
    )
    with ExitStack() as stack:
        [target] = build_targets(reference_only, dry_run=True, stack=stack)
        assert target.name == reference_only.targets[0].name


def test_the_demo_offers_every_connector_with_a_demo_hook() -> None:
    assert HR_SYSTEMS == ("csv", "afas", "youforce")
    assert SIS_SYSTEMS == ("oneroster", "somtoday", "parnassys", "magister")


def test_kept_objects_are_made_once_per_key_and_closed_with_the_process() -> None:
    closed: list[str] = []

    class Token:
        def __init__(self, name: str) -> None:
            self.name = name

        def close(self) -> None:
            closed.append(self.name)

    kept = KeptTokens()
    first = kept.get(("m365", "a"), lambda: Token("a"))
    assert kept.get(("m365", "a"), lambda: Token("again")) is first
    kept.get(("m365", "b"), lambda: Token("b"))
    kept.close()
    assert sorted(closed) == ["a", "b"]
