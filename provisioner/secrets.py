"""Secrets come from the environment or from files, never from the configuration file.

Every credential setting in ``provisioner.toml`` names an environment variable
(``client_secret_env = "PROVISIONER_M365_CLIENT_SECRET"``) or a file
(``client_secret_file = "/run/credentials/provisioner/m365"``), never the value. The
configuration resolves each secret once, when it is loaded (:func:`resolve`, called by
:class:`provisioner.config.WithSecrets`), into a pydantic ``SecretStr`` that is handed to the
connectors; nothing else reads a secret from the environment. A variable can also be given as
a file, the way Docker, Kubernetes and systemd hand secrets to a process:

- ``NAME_FILE=/run/secrets/m365_client_secret``: the value is the content of that file (the
  convention of the official Docker images; Docker and Kubernetes secrets are files);
- ``$CREDENTIALS_DIRECTORY/NAME``: systemd's ``LoadCredential=NAME:/etc/...``.

:func:`load_secret_files` runs once at start (``provisioner`` does it before any command):
for every such file whose variable is not set, it sets the variable from the file, before the
configuration is loaded. Each value read is remembered (only in memory) so that
:mod:`provisioner.logging_setup` can take it out of every log line.
"""

from __future__ import annotations

import os
import threading
from collections.abc import MutableMapping
from pathlib import Path

from pydantic import SecretStr

from provisioner.errors import ConfigError, FatalError

FILE_SUFFIX = "_FILE"
_known: set[str] = set()
_lock = threading.Lock()
#: Shorter values would redact ordinary words in log lines; real secrets are longer.
MIN_REDACTED_LENGTH = 6


class SecretFileError(ConfigError):
    """A ``*_FILE`` variable names a file that cannot be read."""


class MissingSecret(ConfigError, FatalError):
    """A secret the configuration needs is not set. A configuration error (exit 3); to the
    connector that needs it, fatal like any refused credential."""


def remember(value: str | None) -> None:
    """Mark a value as secret: it is redacted from every log line from now on."""
    if value and len(value) >= MIN_REDACTED_LENGTH:
        with _lock:
            _known.add(value)


def known_values() -> list[str]:
    with _lock:
        return sorted(_known, key=len, reverse=True)


def _read(path: Path, variable: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SecretFileError(
            f"{variable}: cannot read the secret file {path}: {exc.strerror}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise SecretFileError(f"{variable}: the secret file {path} is not UTF-8 text") from exc


def load_secret_files(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Set ``NAME`` from ``NAME_FILE`` and from ``$CREDENTIALS_DIRECTORY/NAME``; returns the
    names set (never the values). A variable that is already set wins."""
    env = os.environ if environ is None else environ
    loaded: list[str] = []
    for variable, location in list(env.items()):
        if not variable.endswith(FILE_SUFFIX) or not variable.startswith("PROVISIONER_"):
            continue
        name = variable.removesuffix(FILE_SUFFIX)
        if env.get(name):
            continue
        env[name] = _read(Path(location), variable)
        loaded.append(name)
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials and Path(credentials).is_dir():
        for path in sorted(Path(credentials).iterdir()):
            if path.is_file() and not env.get(path.name):
                env[path.name] = _read(path, path.name)
                loaded.append(path.name)
    for name in loaded:
        remember(env[name])
    remember_environment(env)
    return loaded


def remember_environment(env: MutableMapping[str, str] | None = None) -> None:
    """Remember the values of the variables that hold secrets by their name (``*_SECRET``,
    ``*_TOKEN``, ``*_PASSWORD``, ``*_KEY``, the database URL)."""
    env = os.environ if env is None else env
    for name, value in env.items():
        if name.startswith("PROVISIONER_") and _looks_secret(name):
            remember(value)


def _looks_secret(name: str) -> bool:
    return (
        any(
            part in name
            for part in ("SECRET", "TOKEN", "PASSWORD", "_KEY", "DATABASE_URL", "CREDENTIAL")
        )
        and not name.endswith(FILE_SUFFIX)
        and not name.endswith("_ENV")
    )


def read_secret(variable: str, environ: MutableMapping[str, str] | None = None) -> str | None:
    """The secret named by an ``*_env`` setting: the variable, else its ``_FILE`` twin."""
    env = os.environ if environ is None else environ
    value = env.get(variable)
    if not value and env.get(variable + FILE_SUFFIX):
        value = _read(Path(env[variable + FILE_SUFFIX]), variable + FILE_SUFFIX)
    remember(value)
    return value or None


def with_database_password(url: str, environ: MutableMapping[str, str] | None = None) -> str:
    """The database URL with the password of ``PROVISIONER_DATABASE_PASSWORD`` (or its
    ``_FILE``) filled in when the URL has none: the URL can then live in the configuration
    and the password in a Docker or Kubernetes secret shared with the database server."""
    from sqlalchemy.engine import make_url

    password = read_secret("PROVISIONER_DATABASE_PASSWORD", environ)
    if not password or url.startswith("sqlite"):
        return url
    parsed = make_url(url)
    if parsed.password:
        return url
    return parsed.set(password=password).render_as_string(hide_password=False)


def resolve(
    variable: str | None,
    path: Path | None,
    environ: MutableMapping[str, str] | None = None,
    *,
    file_setting: str = "file",
) -> SecretStr | None:
    """One secret: the file ``path`` when it is configured and not empty, else the
    environment variable ``variable``, else that variable's ``_FILE`` twin. None when none is
    set; :class:`SecretFileError` (naming ``file_setting``) when the configured file cannot
    be read. The value is
    remembered for redaction."""
    value: str | None = None
    if path is not None:
        value = _read(path, file_setting) or None
    if value is None and variable:
        value = read_secret(variable, environ)
    remember(value)
    return SecretStr(value) if value else None
