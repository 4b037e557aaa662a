"""The two kinds of configuration section every model builds on: :class:`Strict` (unknown
keys are an error, values frozen) and :class:`WithSecrets` (secrets resolved once, at load)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, PrivateAttr, SecretStr, ValidationInfo, model_validator

from provisioner.secrets import MissingSecret, SecretFileError, resolve

BRIN6 = re.compile(r"^[0-9]{2}[A-Z]{2}[0-9]{2}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WithSecrets(Strict):
    """A section with secrets. Each secret ``name`` in :attr:`secret_names` is set by
    ``<name>_env`` (an environment variable, or its ``_FILE`` twin) and ``<name>_file`` (a
    file; wins when it is set and not empty). The value is resolved once, when the section is
    validated (a relative file against the configuration's folder, given by
    :func:`load_config`), and kept as a ``SecretStr``: never in the file, never in a dump."""

    secret_names: ClassVar[tuple[str, ...]] = ()
    _secrets: dict[str, SecretStr] = PrivateAttr(default_factory=dict)
    _secret_problems: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _resolve_secrets(self, info: ValidationInfo) -> Self:
        context: Any = info.context
        base = context.get("base") if isinstance(context, dict) else None
        for name in self.secret_names:
            path: Path | None = getattr(self, f"{name}_file", None)
            if path is not None and isinstance(base, Path) and not path.is_absolute():
                path = base / path
            try:
                value = resolve(getattr(self, f"{name}_env"), path, file_setting=f"{name}_file")
            except SecretFileError as exc:
                self._secret_problems[name] = str(exc)
                continue
            if value is not None:
                self._secrets[name] = value
        return self

    def secret(self, name: str) -> SecretStr | None:
        """The resolved secret ``name``; None when it is not set."""
        return self._secrets.get(name)

    def secret_value(self, name: str) -> str | None:
        """The resolved secret ``name`` as the plain string a transport sends; None when unset."""
        value = self._secrets.get(name)
        return None if value is None else value.get_secret_value()

    def require_secret(self, name: str, section: str, what: str) -> SecretStr:
        """The resolved secret ``name``, else :class:`MissingSecret` naming the section (e.g.
        ``[sources.hr]``), the field and where the value was looked for."""
        value = self._secrets.get(name)
        if value is not None:
            return value
        if name in self._secret_problems:
            raise MissingSecret(f"{section} {name}: {self._secret_problems[name]}")
        variable = getattr(self, f"{name}_env")
        file_hint = f", or {name}_file" if f"{name}_file" in type(self).model_fields else ""
        raise MissingSecret(
            f"{section} {name}: the environment variable {variable} is not set: set it (or "
            f"{variable}_FILE){file_hint} to {what}"
        )
