"""The ``ad`` target in the configuration file, and how its secret is found (no DC needed)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from connectors.ad.build import bind_password
from connectors.ad.config import ADTargetConfig
from connectors.ad.target import ADTarget
from provisioner.app.config import load_config
from provisioner.app.config_check import check
from provisioner.app.wiring import build_targets
from provisioner.errors import ConfigError
from provisioner.targets import LibraryTarget

BOARD = """
[board]
name = "Stichting Demo"
domain = "bestuur.nl"

[[locations]]
brin6 = "07XY00"
name = "OBS De Linde"

[roles]
Leerkracht = "teacher"

[sources.hr]
type = "hr-csv"
path = "hr.csv"
"""
CONFIG = (
    BOARD
    + """
[[targets]]
type = "ad"
name = "ad"
host = "127.0.0.1"
tls_server_name = "dc1.bestuur.local"
ca_file = "ad-ca.pem"
base_dn = "DC=bestuur,DC=local"
bind_user = "svc-provisioner@bestuur.local"
authoritative_groups = ["class:*", "loc:*:care"]

[targets.file_shares]
server = "fs1.bestuur.local"
netbios_domain = "BESTUUR"
user = "svc-provisioner"
share_template = "school-{brin6}"
"""
)


def test_an_ad_target_is_read_from_the_file_and_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "provisioner.toml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("PROVISIONER_AD_PASSWORD", "s3cret!")  # secrets are read at load
    config = load_config(path)
    (target,) = config.targets
    assert isinstance(target, ADTargetConfig)
    assert target.ca_file == tmp_path / "ad-ca.pem"  # relative to the file
    assert target.port is None and not target.start_tls  # LDAPS on 636
    with ExitStack() as stack:
        (built,) = build_targets(config, dry_run=True, stack=stack)
        assert isinstance(built, ADTarget)
        assert built.client.settings.port == 636
        assert built.client.settings.bind_password == "s3cret!"
        assert isinstance(built, LibraryTarget)  # file shares configured
        assert built.authoritative_groups == ("class:*", "loc:*:care")


def test_the_password_comes_from_a_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = {"type": "ad", "name": "ad", "host": "dc", "base_dn": "DC=x", "bind_user": "svc@x"}
    monkeypatch.delenv("PROVISIONER_AD_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="PROVISIONER_AD_PASSWORD"):
        bind_password(ADTargetConfig.model_validate(base))
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    with_file = ADTargetConfig.model_validate({**base, "bind_password_file": str(secret)})
    assert bind_password(with_file) == "from-file"
    monkeypatch.setenv("MY_AD_SECRET", "from-env")
    with_env = ADTargetConfig.model_validate({**base, "bind_password_env": "MY_AD_SECRET"})
    assert bind_password(with_env) == "from-env"


def test_a_password_in_the_file_itself_is_refused() -> None:
    base = {"type": "ad", "name": "ad", "host": "dc", "base_dn": "DC=x", "bind_user": "svc@x"}
    with pytest.raises(ValueError, match="bind_password"):
        ADTargetConfig.model_validate({**base, "bind_password": "plain"})


def ad_problems(path: Path) -> list[str]:
    return [problem for problem in check(path) if problem.startswith("targets.ad")]


def test_config_check_names_a_missing_password_and_ca_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "provisioner.toml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.delenv("PROVISIONER_AD_PASSWORD", raising=False)
    assert ad_problems(path) == [
        "targets.ad: no bind password: set the environment variable PROVISIONER_AD_PASSWORD, "
        "or configure bind_password_file",
        f"targets.ad.ca_file: {tmp_path / 'ad-ca.pem'} does not exist",
    ]
    monkeypatch.setenv("PROVISIONER_AD_PASSWORD", "s3cret!")
    (tmp_path / "ad-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    assert ad_problems(path) == []


def test_config_check_names_a_password_file_it_cannot_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ad-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    secret = tmp_path / "ad-secret"
    path = tmp_path / "provisioner.toml"
    path.write_text(
        CONFIG.replace('bind_user = "svc', 'bind_password_file = "ad-secret"\nbind_user = "svc'),
        encoding="utf-8",
    )
    monkeypatch.setenv("PROVISIONER_AD_PASSWORD", "set, but the file wins")
    assert ad_problems(path) == [f"targets.ad.bind_password_file: {secret} does not exist"]
    secret.mkdir()  # a folder: reading fails
    (problem,) = ad_problems(path)
    assert problem.startswith(f"targets.ad.bind_password_file: cannot read {secret}: ")
    secret.rmdir()
    secret.write_text("\n")
    assert ad_problems(path) == []  # empty file: the variable is used, as build does
    monkeypatch.delenv("PROVISIONER_AD_PASSWORD")
    assert ad_problems(path) == [
        f"targets.ad.bind_password_file: {secret} is empty, and the environment variable "
        "PROVISIONER_AD_PASSWORD is not set either"
    ]
    secret.write_text("from-file\n")
    assert ad_problems(path) == []
    assert all("from-file" not in problem for problem in check(path))
