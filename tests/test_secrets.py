"""Secrets once: resolved when the configuration is loaded, from a variable or a file."""

from __future__ import annotations

import os
import stat
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest

from connectors.hr.afas.config import AfasSourceConfig
from connectors.hr.afas.source import AfasSource
from connectors.m365.config import M365TargetConfig
from connectors.sis.magister.config import MagisterSourceConfig
from connectors.sis.magister.source import MagisterSource
from provisioner.app.config import load_config
from provisioner.app.demo.generator import generate_board
from provisioner.app.demo.systems import serve_systems
from provisioner.errors import ConfigError, FatalError
from provisioner.secrets import MissingSecret

EXAMPLE = Path(__file__).parent.parent / "deploy" / "provisioner.example.toml"
VARIABLE = "PROVISIONER_TEST_SECRET_ONCE"


def with_afas(tmp_path: Path, setting: str) -> Path:
    """The example configuration with an AFAS HR source whose token is set by ``setting``."""
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("[sources.hr]")
    end = text.index("\n[", start + 1)
    afas = f'[sources.hr]\ntype = "afas"\nbase_url = "https://afas.test/rest"\n{setting}\n'
    path = tmp_path / "provisioner.toml"
    path.write_text(text[:start] + afas + text[end:], encoding="utf-8")
    return path


def afas_of(path: Path) -> AfasSourceConfig:
    hr = load_config(path).sources.hr
    assert isinstance(hr, AfasSourceConfig)
    return hr


def test_a_secret_file_is_read_at_load_relative_to_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "afas").write_text("<token>from-the-file</token>\n")
    monkeypatch.setenv(VARIABLE, "from-the-variable")
    path = with_afas(tmp_path, f'token_env = "{VARIABLE}"\ntoken_file = "secrets/afas"')

    hr = afas_of(path)
    (tmp_path / "secrets" / "afas").unlink()  # read once, at load: no later read
    monkeypatch.delenv(VARIABLE)

    assert hr.secret_value("token") == "<token>from-the-file</token>"
    assert "from-the-file" not in repr(hr) and "from-the-file" not in str(hr.model_dump())


def test_the_variable_and_its_file_twin_are_used_when_no_file_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = with_afas(tmp_path, f'token_env = "{VARIABLE}"')
    monkeypatch.setenv(VARIABLE, "from-the-variable")
    assert afas_of(path).secret_value("token") == "from-the-variable"

    twin = tmp_path / "twin"
    twin.write_text("from-the-twin\n")
    monkeypatch.delenv(VARIABLE)
    monkeypatch.setenv(f"{VARIABLE}_FILE", str(twin))
    assert afas_of(path).secret_value("token") == "from-the-twin"


def test_a_missing_secret_names_the_section_the_field_and_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    path = with_afas(tmp_path, f'token_env = "{VARIABLE}"')
    source = AfasSource("hr", afas_of(path), {})

    with pytest.raises(MissingSecret) as caught:
        source.read()

    message = str(caught.value)
    assert message.startswith("[sources.hr] token: ") and f"{VARIABLE} is not set" in message
    assert "token_file" in message
    assert isinstance(caught.value, ConfigError) and isinstance(caught.value, FatalError)


def test_an_unreadable_secret_file_is_named_when_the_secret_is_needed(
    tmp_path: Path,
) -> None:
    path = with_afas(tmp_path, 'token_file = "nowhere/afas"')
    hr = afas_of(path)  # loading works: `provisioner runs` needs no AFAS token

    with pytest.raises(MissingSecret, match=r"\[sources.hr\] token: token_file: cannot read"):
        AfasSource("hr", hr, {}).read()


def test_a_secret_value_in_the_file_itself_is_refused(tmp_path: Path) -> None:
    path = with_afas(tmp_path, 'token = "<token>pasted</token>"')

    with pytest.raises(ConfigError, match=r"sources\.hr\.afas\.token"):
        load_config(path)


def test_a_connector_takes_the_secret_from_its_configuration_not_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PROVISIONER_MAGISTER_PASSWORD", raising=False)
    config = MagisterSourceConfig(
        type="magister", base_url="https://magister.test", username="x", locations={}
    )
    monkeypatch.setenv("PROVISIONER_MAGISTER_PASSWORD", "set-too-late")  # after the load

    with pytest.raises(MissingSecret, match="PROVISIONER_MAGISTER_PASSWORD is not set"):
        MagisterSource("sis", config, set()).client()


def test_a_certificate_instead_of_a_client_secret_needs_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PROVISIONER_M365_CLIENT_SECRET", raising=False)
    target = M365TargetConfig(
        type="m365", name="m365", tenant="t", client_id="c", certificate_path=Path("app.pem")
    )
    assert target.secret("client_secret") is None


def test_the_demo_hands_its_secrets_over_in_owner_only_files_not_the_environment(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "demo"
    generate_board(folder, today=date(2026, 12, 1), seed=1, staff=24, pupils=60)
    config = load_config(folder / "provisioner.toml")
    environment = dict(os.environ)

    with ExitStack() as stack:
        served = serve_systems(
            config, folder, hr="afas", sis="magister", today=date(2026, 12, 1), stack=stack
        )
        hr, sis = served.sources.hr, served.sources.sis
        assert isinstance(hr, AfasSourceConfig) and isinstance(sis, MagisterSourceConfig)
        assert len(AfasSource("hr", hr, config.org_units).read().staff) > 0

    assert dict(os.environ) == environment
    assert hr.token_file is not None and sis.password_file is not None
    for secret_file in (hr.token_file, sis.password_file):
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(secret_file.parent.stat().st_mode) == 0o700
