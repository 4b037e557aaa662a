"""What one line of ``connectors/registry.py`` says about a connector: the slot it fills, its
configuration model, its ``build(config, context)``, and optionally a ``check`` for
``provisioner config check`` and a ``demo`` hook that serves it from its emulator."""

from __future__ import annotations

import csv
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar, get_args

from provisioner.accountability.processing import ProcessingFacts
from provisioner.config import Config, SourceConfig, TargetConfig
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source
from provisioner.targets import Target

SourceT = TypeVar("SourceT", bound=SourceConfig)
TargetT = TypeVar("TargetT", bound=TargetConfig)
#: The part a source plays on the board: HR, the pupil administration, or photo consents.
SourceRole = Literal["hr", "sis", "consent", "interns"]


@dataclass(frozen=True)
class DemoRequest:
    """What a demo hook gets: the generated board's folder and configuration, the day, the
    stack that stops its emulator, and ``secret_file(name, value)``: a credential written
    where only the owner can read it (the path to put in a ``*_file`` setting)."""

    folder: Path
    today: date
    config: Config
    stack: ExitStack
    secret_file: Callable[[str, str], Path]

    def hr_rows(self) -> list[dict[str, str]]:
        """The generated board's HR export (``hr.csv``), one dict per row."""
        with (self.folder / "hr.csv").open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))


@dataclass(frozen=True)
class DemoSystem:
    """A system the demo serves: the source that reads it; for a SIS whose staff accounts
    the provisioner can keep, the settings of that ``sis-staff`` target; ``holds_consents``:
    the SIS keeps the photo consents itself (the consent CSV is dropped)."""

    source: SourceConfig
    staff_target: dict[str, Any] | None = None
    holds_consents: bool = False


DemoHook = Callable[[DemoRequest], DemoSystem]
#: A target's demo hook: its ``[[targets]]`` settings on the generated board (``Config``), its
#: emulator's state kept in the demo folder (``Path``); ``provisioner demo --target <type>``.
TargetDemoHook = Callable[[Config, Path], TargetConfig]


def configured_type(model: type[SourceConfig] | type[TargetConfig]) -> str:
    """The ``type = "..."`` a model answers to (its ``type: Literal[...]`` field)."""
    names = get_args(model.model_fields["type"].annotation)
    if len(names) != 1:
        raise TypeError(f"{model.__name__}.type must be a Literal of one name")
    return str(names[0])


@dataclass(frozen=True)
class SourceConnector(Generic[SourceT]):
    """A source: ``role`` is the slot it is meant for (the demo groups by it); any source
    may be configured in any slot. ``processing``: what it reads, from whom, for what (the
    register of processing activities; None shows there as "not declared")."""

    role: SourceRole
    model: type[SourceT]
    build: Callable[[SourceT, BuildContext], Source]
    check: Callable[[SourceT], list[str]] | None = None
    demo: DemoHook | None = None
    processing: ProcessingFacts | None = None
    type_name: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type_name", configured_type(self.model))


@dataclass(frozen=True)
class TargetConnector(Generic[TargetT]):
    """A target. ``check``: its problems for ``config check`` (secrets, files), each
    starting with ``targets.<name>``. ``demo``: the target as ``provisioner demo --target
    <type>`` adds it, served by its emulator. ``processing``: what it writes, for what (the
    register of processing activities; None shows there as "not declared")."""

    model: type[TargetT]
    build: Callable[[TargetT, BuildContext], Target]
    check: Callable[[TargetT], list[str]] | None = None
    demo: TargetDemoHook | None = None
    processing: ProcessingFacts | None = None
    type_name: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type_name", configured_type(self.model))
