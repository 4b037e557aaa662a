"""A Google target configured with ``emulator = {...}`` (the demo, trying things out): the
Google emulator started for the run. A connector's ``demo`` module is the one place it may
start its emulator (the import contract in pyproject.toml), when asked."""

from __future__ import annotations

import json
from contextlib import ExitStack

from connectors.google.config import GoogleEmulatorConfig
from provisioner.config import BoardConfig


def start_google_emulator(
    config: GoogleEmulatorConfig, board: BoardConfig, subject: str, stack: ExitStack
) -> tuple[str, str, str]:
    """Start the Google emulator for one run (stopped, and its state saved, when ``stack``
    closes) with the board's domains and ``subject`` as its admin: (root URL, the service
    account's JSON key, the admin)."""
    from connectors.emulators.google import GoogleEmulator, GoogleEmulatorSettings

    domains = tuple(dict.fromkeys(d for d in (board.domain, board.pupil_domain) if d))
    settings = GoogleEmulatorSettings(
        domains=domains,
        admin=subject,
        latency_ms=config.latency_ms,
        skus={"101031": ("1010310008", "1010310009", "1010310010", "1010310003")},
    )
    emulator = GoogleEmulator(settings, state_file=config.state_file).start()
    stack.callback(emulator.stop)
    return emulator.root_url, json.dumps(emulator.service_account_info()), subject
