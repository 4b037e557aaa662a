"""The deployment files, checked statically (no container engine or registry is reachable):
the compose file against the Compose Specification schema, the Kubernetes manifests against
the Kubernetes schemas, the systemd units with ``systemd-analyze verify``, the image's pins,
the Slack app manifest, and the example configurations against the configuration model."""

from __future__ import annotations

import copy
import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from connectors.hr.afas.config import AfasSourceConfig
from connectors.sis.somtoday.config import SomtodaySourceConfig
from provisioner.app.config import load_config

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.30.0"  # the oldest Kubernetes still in support when this was written


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return data


def compose_errors(data: dict[str, Any]) -> list[str]:
    schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(
        "compose-spec.json"
    )
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)  # draft 2020-12
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


def k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                found.append((path.name, document))
    return found


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in k8s_documents() if doc["kind"] == kind]


# -- compose ------------------------------------------------------------------------------------


def test_the_compose_file_follows_the_compose_specification() -> None:
    assert compose_errors(compose()) == []
    broken = copy.deepcopy(compose())
    broken["services"]["serve"]["restart_policy"] = "always"  # not a Compose key
    broken["services"]["db"]["healthcheck"]["test"] = 42  # a string or a list
    assert len(compose_errors(broken)) >= 2


def test_compose_starts_the_database_then_migrates_then_serves() -> None:
    services = compose()["services"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["serve"]["command"] == ["serve"]
    assert (
        services["serve"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    )
    assert "/readyz" in " ".join(services["serve"]["healthcheck"]["test"])


def test_compose_hands_secrets_over_as_files_only() -> None:
    data = compose()
    declared = set(data["secrets"])
    for name in ("migrate", "serve"):
        service = data["services"][name]
        assert set(service["secrets"]) <= declared
        for variable, value in service["environment"].items():
            if re.search(r"SECRET|TOKEN|PASSWORD", variable):
                assert variable.endswith("_FILE"), variable
                assert value.removeprefix("/run/secrets/") in service["secrets"], variable
    assert data["services"]["db"]["environment"]["POSTGRES_PASSWORD_FILE"] == (
        "/run/secrets/db_password"
    )


# -- Kubernetes -----------------------------------------------------------------------------------


def test_the_kubernetes_manifests_follow_the_kubernetes_schemas() -> None:
    documents = k8s_documents()
    assert {doc["kind"] for _, doc in documents} >= {
        "Deployment",
        "CronJob",
        "ConfigMap",
        "Secret",
        "Service",
    }
    for _name, document in documents:
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)
    [deployment] = by_kind("Deployment")
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["paht"] = "/"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_the_deployment_probes_migrates_and_runs_as_non_root() -> None:
    [deployment] = by_kind("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    [serve] = pod["containers"]
    assert serve["args"] == ["serve"]
    assert serve["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert serve["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert [c["args"] for c in pod["initContainers"]] == [["db", "upgrade"]]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert serve["securityContext"]["readOnlyRootFilesystem"] is True
    [cronjob] = by_kind("CronJob")
    assert cronjob["spec"]["timeZone"] == "Europe/Amsterdam"
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    job_pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert job_pod["containers"][0]["args"] == ["nightly"]


def test_kubernetes_secrets_come_from_the_secret_object() -> None:
    [secret] = by_kind("Secret")
    keys = set(secret["stringData"])
    for workload in by_kind("Deployment") + by_kind("CronJob"):
        text = json.dumps(workload)
        assert secret["metadata"]["name"] in text
        for value in re.findall(r"/run/secrets/([a-z0-9_]+)", text):
            assert value in keys, value
        variables = re.findall(r'"name": "(PROVISIONER_[A-Z_]+)"', text)
        secret_like = [v for v in variables if re.search(r"SECRET|TOKEN|PASSWORD", v)]
        assert secret_like and all(v.endswith("_FILE") for v in secret_like)


def test_the_configmap_holds_a_valid_configuration(tmp_path: Path) -> None:
    [configmap] = by_kind("ConfigMap")
    path = tmp_path / "provisioner.toml"
    path.write_text(configmap["data"]["provisioner.toml"], encoding="utf-8")
    config = load_config(path)
    assert config.schedule.timezone == "Europe/Amsterdam"
    assert "password" not in configmap["data"]["provisioner.toml"].split("#")[0].lower()


# -- systemd ---------------------------------------------------------------------------------------


def _systemd_analyze() -> str:
    """systemd-analyze, or a skip on a developer machine without it; in CI (``CI`` set, as
    ``.ci/run`` does) its absence is a failure: ``.ci/run`` installs the ``systemd`` package."""
    found = shutil.which("systemd-analyze")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is absent in CI: .ci/run must install 'systemd'")
        pytest.skip("systemd-analyze is absent (apt-get install systemd)")
    return found


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    executable = shutil.which("provisioner") or str(Path(sys.executable).parent / "provisioner")
    units = {u.name: u for u in (DEPLOY / "systemd").iterdir()}
    assert set(units) == {
        "provisioner.service",
        "provisioner-nightly.service",
        "provisioner-nightly.timer",
    }

    def install(name: str, text: str) -> Path:
        # the install path of the docs, here: this checkout's virtualenv
        path = tmp_path / name
        path.write_text(
            text.replace("/opt/school-provisioner/bin/provisioner", executable), encoding="utf-8"
        )
        return path

    for name, unit in units.items():
        install(name, unit.read_text(encoding="utf-8"))
    done = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr

    # ...and the check can fail: serve's unit with a Type= systemd does not understand
    service = units["provisioner.service"].read_text(encoding="utf-8")
    assert "Type=exec" in service
    broken = install("provisioner.service", service.replace("Type=exec", "Type=sometimes"))
    bad = subprocess.run(
        [analyze, "verify", str(broken)], capture_output=True, text=True, timeout=60
    )
    assert "Failed to parse service type" in bad.stderr and "sometimes" in bad.stderr, bad.stderr


def test_the_timer_and_the_units_run_what_the_docs_say() -> None:
    timer = (DEPLOY / "systemd" / "provisioner-nightly.timer").read_text(encoding="utf-8")
    assert "OnCalendar=*-*-* 05:00:00 Europe/Amsterdam" in timer
    assert "Persistent=true" in timer  # a night missed while the server was off runs at boot
    oneshot = (DEPLOY / "systemd" / "provisioner-nightly.service").read_text(encoding="utf-8")
    assert "Type=oneshot" in oneshot and "provisioner nightly" in oneshot
    service = (DEPLOY / "systemd" / "provisioner.service").read_text(encoding="utf-8")
    assert "provisioner serve --migrate" in service and "User=provisioner" in service
    assert "RestartPreventExitStatus=3" in service


# -- the image ------------------------------------------------------------------------------------


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_image_is_non_root_and_installs_pinned_dependencies() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^USER 10001", dockerfile, re.MULTILINE)
    assert dockerfile.count("--constraint") == 2  # building the wheels and installing them
    assert "--no-index" in dockerfile  # the final image installs only the wheels built here
    assert 'ENTRYPOINT ["provisioner"]' in dockerfile and 'CMD ["serve"]' in dockerfile
    pins = {}
    for line in (DEPLOY / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            pins[_name(name)] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = {_name(r) for r in project["project"]["dependencies"]}
    missing = sorted(wanted - set(pins))
    assert missing == [], f"run sh deploy/lock-dependencies.sh: {missing} are not pinned"


# -- Slack -----------------------------------------------------------------------------------------


def test_the_slack_app_manifest_has_the_commands_scopes_and_events() -> None:
    from bot.slack_app import COMMANDS

    for name, socket_mode in (
        ("app-manifest.yaml", False),
        ("app-manifest.socket-mode.yaml", True),
    ):
        manifest = yaml.safe_load((DEPLOY / "slack" / name).read_text(encoding="utf-8"))
        commands = [c["command"] for c in manifest["features"]["slash_commands"]]
        assert sorted(commands) == sorted(COMMANDS)
        assert manifest["oauth_config"]["scopes"]["bot"] == [
            "users:read",
            "users:read.email",
            "chat:write",
            "commands",
            "im:history",
            "im:write",
        ]
        settings = manifest["settings"]
        assert settings["event_subscriptions"]["bot_events"] == ["message.im"]
        assert settings["interactivity"]["is_enabled"] is True
        assert settings["socket_mode_enabled"] is socket_mode
        urls = re.findall(r'https://[^"\s]+', json.dumps(manifest))
        if socket_mode:
            assert urls == []
        else:
            assert urls and all(u.endswith("/slack/events") for u in urls)


# -- Slack's mode per deployment ------------------------------------------------------------------

SLACK = {
    "bot token": "PROVISIONER_SLACK_BOT_TOKEN",
    "signing secret": "PROVISIONER_SLACK_SIGNING_SECRET",
    "app token": "PROVISIONER_SLACK_APP_TOKEN",
}


def _documented_slack_modes() -> dict[str, tuple[str, set[str]]]:
    """docs/deploy.md's table: deployment file -> (mode, the Slack credentials it hands over)."""
    found = {}
    for line in (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8").splitlines():
        row = re.match(r"\| [^|]*\(`([\w.-]+)`\) \| (HTTP mode|Socket Mode) \| ([^|]+) \|$", line)
        if row:
            names = {SLACK[part.strip()] for part in row.group(3).split(",")}
            found[row.group(1)] = (row.group(2), names)
    return found


def _slack_variables(names: set[str]) -> set[str]:
    return {n.removesuffix("_FILE") for n in names if n.startswith("PROVISIONER_SLACK_")}


def test_each_deployment_hands_over_the_slack_credentials_of_its_documented_mode() -> None:
    documented = _documented_slack_modes()
    assert set(documented) == {"provisioner.service", "compose.yaml", "deployment.yaml"}
    service = (DEPLOY / "systemd" / "provisioner.service").read_text(encoding="utf-8")
    [deployment] = by_kind("Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    handed_over = {
        "provisioner.service": _slack_variables(
            set(re.findall(r"^LoadCredential=(\w+):", service, re.MULTILINE))
        ),
        "compose.yaml": _slack_variables(set(compose()["services"]["serve"]["environment"])),
        "deployment.yaml": _slack_variables({e["name"] for e in container["env"]}),
    }
    for name, (mode, credentials) in documented.items():
        assert handed_over[name] == credentials, name
        # the bot's Slack app needs the bot token and the signing secret in either mode;
        # Socket Mode is on exactly when the app-level token is there
        assert {SLACK["bot token"], SLACK["signing secret"]} <= credentials, name
        assert (SLACK["app token"] in credentials) == (mode == "Socket Mode"), name
    # a secret file each variable points at is declared (compose) or a key of the Secret
    secrets = compose()["services"]["serve"]["secrets"]
    for variable in handed_over["compose.yaml"]:
        path = compose()["services"]["serve"]["environment"][f"{variable}_FILE"]
        assert path.removeprefix("/run/secrets/") in secrets
    [secret] = by_kind("Secret")
    for env in container["env"]:
        if env["name"].startswith("PROVISIONER_SLACK_"):
            assert env["value"].removeprefix("/run/secrets/") in secret["stringData"]


# -- the example configuration ---------------------------------------------------------------


def test_the_board_example_loads_and_names_every_secret_the_deployments_provide() -> None:
    config = load_config(DEPLOY / "provisioner.board.example.toml")
    assert config.sources.hr.type == "afas"
    assert config.sources.sis is not None and config.sources.sis.type == "somtoday"
    assert sorted(t.type for t in config.targets) == ["ad", "m365"]
    hr, sis = config.sources.hr, config.sources.sis
    assert isinstance(hr, AfasSourceConfig) and isinstance(sis, SomtodaySourceConfig)
    variables: set[str] = {
        hr.token_env,
        sis.client_secret_env,
        config.report.smtp_password_env,
        config.bot.slack.bot_token_env,
        config.bot.slack.signing_secret_env,
        *(
            str(getattr(t, "client_secret_env", None) or getattr(t, "bind_password_env", ""))
            for t in config.targets
        ),
    }
    provided = set(compose()["x-provisioner"]["environment"])
    for variable in sorted(variables):
        assert f"{variable}_FILE" in provided, variable
    text = (DEPLOY / "provisioner.board.example.toml").read_text(encoding="utf-8")
    settings = [line for line in text.splitlines() if "=" in line and not line.startswith("#")]
    assert not any(re.match(r"\s*\w*(password|secret|token)\s*=", s) for s in settings)


#: Tables that are lists of entries of one kind, explained once in the comment above them.
EXPLAINED_ABOVE = ("roles", "targets.licences", "safety.thresholds.")


def test_every_setting_of_the_board_example_is_explained() -> None:
    """Each setting has a comment on its line or on the line right above it, or sits in a
    table of like entries whose comment block stands above the first such table."""
    lines = (DEPLOY / "provisioner.board.example.toml").read_text(encoding="utf-8").splitlines()
    table, explained_kinds, bare = "", set(), []
    for number, line in enumerate(lines, 1):
        above = lines[number - 2] if number > 1 else ""
        header = re.match(r"^\[\[?([\w.]+)\]\]?", line)
        if header:
            table = header.group(1)
            kind = next((k for k in EXPLAINED_ABOVE if table.startswith(k)), None)
            if kind and above.startswith("#"):
                explained_kinds.add(kind)
            continue
        if not re.match(r'^\s*("[^"]+"|[\w-]+)\s*=', line):
            continue  # a comment, a blank line
        has_comment = bool(re.search(r"\s#\s*\S", line)) or above.startswith("#")
        like_entries = any(table.startswith(kind) for kind in explained_kinds)
        if not (has_comment or like_entries):
            bare.append(f"{number}: [{table}] {line.strip()}")
    assert bare == []
    # the comments explain, they are no placeholder: each says something of its own
    comments = [
        line.split("#", 1)[1].strip()
        for line in lines
        if re.match(r"^\s*[\w-]+\s*=", line) and re.search(r"\s#", line)
    ]
    assert all(len(c) >= 4 for c in comments)
