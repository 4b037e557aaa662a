"""Sizes the code keeps (issue 14 item 8): no module over 500 lines and no function over 80
lines, outside the emulators (connectors/emulators) and the store's migrations. A module
that grows past it is split along its responsibilities, not squeezed."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE = 500
MAX_FUNCTION = 80


def _production_modules() -> list[Path]:
    paths = []
    for package in ("provisioner", "connectors", "bot"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("connectors/emulators/") or "/migrations/" in relative:
                continue
            paths.append(path)
    return paths


def test_no_module_is_over_500_lines() -> None:
    too_long = {
        path.relative_to(ROOT).as_posix(): lines
        for path in _production_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE
    }
    assert too_long == {}


def test_no_function_is_over_80_lines() -> None:
    too_long = {}
    for path in _production_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION:
                    too_long[f"{path.relative_to(ROOT).as_posix()}:{node.name}"] = length
    assert too_long == {}


def test_the_check_sees_the_whole_tree() -> None:
    modules = _production_modules()
    assert len(modules) > 150  # every package, not an empty glob
    assert not any("emulators" in p.as_posix() for p in modules)
