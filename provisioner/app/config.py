"""The board's configuration as the composition root reads it: the core's
:class:`provisioner.config.Config` with every ``[sources.*]`` and ``[[targets]]`` section
validated against its connector's own model (``connectors/registry.py``), so a typo in a
vendor's section is an error naming the section and the field. Every entry point (the
command line, ``serve``, the demo, the tests' boards) loads through :func:`load_config`."""

from __future__ import annotations

import functools
import operator
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, create_model

from connectors.registry import SOURCES, TARGETS
from provisioner import config as core
from provisioner.config import Config, SourcesConfig


def _union(models: list[type[Any]]) -> Any:
    """The discriminated union of ``models`` (on their ``type``)."""
    return Annotated[functools.reduce(operator.or_, models), Field(discriminator="type")]


#: Any source section: one of the registered sources' models, chosen by ``type``.
SourceSection: Any = _union([connector.model for connector in SOURCES])
#: Any ``[[targets]]`` entry: one of the registered targets' models, chosen by ``type``.
TargetSection: Any = _union([connector.model for connector in TARGETS])

#: ``[sources]`` with each slot validated by its connector's model.
SourcesWithConnectors: type[SourcesConfig] = create_model(
    "SourcesConfig",
    __base__=SourcesConfig,
    hr=(SourceSection, ...),
    sis=(SourceSection | None, None),
    consent=(SourceSection | None, None),
    interns=(SourceSection | None, None),
)

#: The whole file, with the connectors' sections: what :func:`load_config` validates.
#: Tests that build a board from a dict validate it with this model too.
ConfigWithConnectors: type[Config] = create_model(
    "Config",
    __base__=Config,
    sources=(SourcesWithConnectors, ...),
    targets=(list[TargetSection], Field(default_factory=list)),
)


def load_config(path: Path) -> Config:
    """Read and validate the configuration; ConfigError lists every problem found."""
    return core.load_config(path, ConfigWithConnectors)
