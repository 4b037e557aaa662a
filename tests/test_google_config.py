"""A Google target in ``provisioner.toml``: ``config check`` names a missing or unusable
service account key (never its content), and a configured key is accepted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.emulators.google import GoogleEmulator
from provisioner.app.cli import app
from tests.board import make_board

TARGET = """
[[targets]]
type = "google"
name = "google"
admin_subject = "beheer@demo-bestuur.nl"
service_account_key_file = "{key}"
"""


def check(folder: Path, key: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.delenv("PROVISIONER_GOOGLE_SERVICE_ACCOUNT_KEY", raising=False)
    board = make_board(folder, pupils=60)
    text = board.config_path.read_text(encoding="utf-8") + TARGET.format(key=key)
    board.config_path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["config", "check", "-c", str(board.config_path)])
    return result.exit_code, result.output


def test_a_missing_key_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = check(tmp_path / "b", tmp_path / "absent.json", monkeypatch)
    assert code == 3 and "targets.google" in output and "service_account_key" in output


def test_a_key_that_is_no_key_file_is_named_without_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "key.json"
    key.write_text("not-json-SECRET-VALUE", encoding="utf-8")
    code, output = check(tmp_path / "b", key, monkeypatch)
    assert code == 3 and "not a JSON key file" in output
    assert "SECRET-VALUE" not in output


def test_a_service_account_key_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "key.json"
    with GoogleEmulator() as emulator:
        key.write_text(json.dumps(emulator.service_account_info()), encoding="utf-8")
    code, output = check(tmp_path / "b", key, monkeypatch)
    assert "targets.google" not in output, output
    assert code == 0, output
