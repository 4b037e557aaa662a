"""The built-in reference directory passes the target conformance suite."""

from __future__ import annotations

from pathlib import Path

from connectors.reference.target import ReferenceTarget
from provisioner.targets import Target
from tests.conformance import TargetConformance


class TestReferenceTarget(TargetConformance):
    def make_target(self, path: Path, dry_run: bool) -> Target:
        return ReferenceTarget("directory", path, dry_run=dry_run)
