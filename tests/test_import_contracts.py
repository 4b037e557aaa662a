"""Import contracts: production code never imports the emulators (issue 14 item 7).

The emulators live in :mod:`connectors.emulators`, used by the demo, the tests and the
benchmarks; only :mod:`provisioner.app.demo` may start one. Checked twice: statically by
``lint-imports`` (the contracts in pyproject.toml) and at run time by importing every
production module in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# Run in a fresh interpreter: pytest and the other tests have imported emulators already.
IMPORT_ALL = """
import importlib, json, pkgutil, sys

PRODUCTION = ["provisioner", "connectors", "bot"]
EXCLUDED = ("provisioner.app.demo", "connectors.emulators")

def excluded(name):
    return any(name == top or name.startswith(top + ".") for top in EXCLUDED)

imported = []

def walk(name):
    # not pkgutil.walk_packages: it imports every package it enters, the excluded ones too
    module = importlib.import_module(name)
    imported.append(name)
    for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
        child = name + "." + info.name
        if not excluded(child) and info.name != "__main__":
            walk(child)

for root in PRODUCTION:
    walk(root)
loaded = sorted(name for name in sys.modules if excluded(name))
print(json.dumps({"imported": imported, "loaded": loaded}))
"""


def test_no_production_module_loads_an_emulator() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    imported: list[str] = report["imported"]
    assert "provisioner.app.wiring" in imported
    assert "connectors.m365.client" in imported
    assert "provisioner.app.bot_services" in imported
    loaded: list[str] = report["loaded"]
    assert [name for name in loaded if name.startswith("connectors.emulators")] == []


def test_import_contracts_are_kept() -> None:
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
