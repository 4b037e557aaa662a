"""Every line of ``connectors/registry.py`` declares its processing facts, so no connected
system reaches the register of processing activities (AVG art. 30) undescribed; a connector
that declares none is still listed there, as "not declared"."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors import registry
from connectors.connector import SourceConnector, TargetConnector
from provisioner.accountability.processing import Flow, ProcessorRole
from provisioner.app.cli import app

EXAMPLE = Path(__file__).parent.parent / "deploy" / "provisioner.example.toml"
Connector = SourceConnector[Any] | TargetConnector[Any]


def undeclared(connectors: tuple[Connector, ...]) -> list[str]:
    """The types of the registry lines that carry no processing facts."""
    return [connector.type_name for connector in connectors if connector.processing is None]


@pytest.mark.parametrize("connector", registry.SOURCES, ids=lambda c: c.type_name)
def test_every_source_declares_what_it_reads(connector: SourceConnector[Any]) -> None:
    assert undeclared((connector,)) == [], (
        f"{connector.type_name}: pass processing=ProcessingFacts(...) on its registry line "
        "(provisioner/accountability/processing.py)"
    )
    assert connector.processing is not None and connector.processing.flow is Flow.READS


@pytest.mark.parametrize("connector", registry.TARGETS, ids=lambda c: c.type_name)
def test_every_target_declares_what_it_writes(connector: TargetConnector[Any]) -> None:
    assert undeclared((connector,)) == [], (
        f"{connector.type_name}: pass processing=ProcessingFacts(...) on its registry line "
        "(provisioner/accountability/processing.py)"
    )
    assert connector.processing is not None and connector.processing.flow is Flow.WRITES


def test_systems_of_a_supplier_ask_for_an_agreement_and_the_boards_own_do_not() -> None:
    roles = {c.type_name: c.processing.processor for c in registry.TARGETS if c.processing}
    assert roles["m365"] is ProcessorRole.SUPPLIER
    assert roles["sis-staff"] is ProcessorRole.SUPPLIER
    assert roles["reference"] is ProcessorRole.BOARD
    assert roles["ad"] is ProcessorRole.BOARD


def test_a_connector_without_facts_is_flagged_and_still_in_the_register(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stripped = tuple(
        dataclasses.replace(c, processing=None) if c.type_name == "consent-csv" else c
        for c in registry.SOURCES
    )
    assert undeclared(stripped) == ["consent-csv"]  # what the tests above would say
    monkeypatch.setattr(registry, "SOURCES", stripped)
    config = tmp_path / "provisioner.toml"
    config.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["report", "register", "-c", str(config), "--json"])
    assert result.exit_code == 0, result.output
    entries = {entry["id"]: entry for entry in json.loads(result.stdout)["entries"]}
    consent = entries["source:consent"]
    assert consent["declared"] is False and consent["system"] is None
    assert consent["data"] == [] and consent["retention"] == [{"rule": "not_declared"}]
    assert consent["agreement"]["status"] == "missing"  # undeclared: a supplier is assumed
    assert entries["source:hr"]["declared"] is True
    page = tmp_path / "register.html"
    env = {"PROVISIONER_LANGUAGE": "en"}
    result = runner.invoke(app, ["report", "register", "-c", str(config), "--html", str(page)],
                           env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "consent: niet beschreven" in html
    assert "Deze connector geeft geen gegevens over de verwerking op" in html
    result = runner.invoke(app, ["report", "register", "-c", str(config)], env=env)
    said = " ".join(result.stdout.split())
    assert "consent: not declared" in said and "declares no processing facts" in said
