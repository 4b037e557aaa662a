"""A test board's SIS served by an emulator: the emulator seeded from the board's OneRoster
files, its demo credential in the environment, and the source configuration that reads it.
One place for the tests that need Somtoday or Magister behind a board."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest

from connectors.emulators.magister import MagisterEmulator
from connectors.emulators.somtoday import SomtodayEmulator
from connectors.sis.magister.config import MagisterSourceConfig
from connectors.sis.somtoday.config import SomtodaySourceConfig
from tests.board import TODAY, Board


@contextmanager
def served_somtoday(
    board: Board, monkeypatch: pytest.MonkeyPatch, today: date = TODAY
) -> Iterator[tuple[SomtodayEmulator, SomtodaySourceConfig]]:
    """Pupils, groups, mentors and the board's consents (as ticked checkboxes) in Somtoday."""
    with SomtodayEmulator(today=today) as emu:
        consents = board.folder / "consents.csv"
        emu.load_oneroster(board.folder / "sis", consents=consents, today=today)
        monkeypatch.setenv("PROVISIONER_SOMTODAY_CLIENT_SECRET", emu.client_secret)
        yield emu, SomtodaySourceConfig(
            type="somtoday", api_url=emu.api_url, token_url=emu.token_url,
            organisation=emu.organisation, client_id=emu.client_id,
        )  # fmt: skip


@contextmanager
def served_magister(
    board: Board, monkeypatch: pytest.MonkeyPatch, today: date = TODAY
) -> Iterator[tuple[MagisterEmulator, MagisterSourceConfig]]:
    """Pupils, classes and teachers in Magister, one Magister location per board location."""
    units = {loc.brin6: loc.name for loc in board.config.locations}
    with MagisterEmulator(today=today) as emu:
        emu.load_oneroster(board.folder / "sis", units)
        monkeypatch.setenv("PROVISIONER_MAGISTER_PASSWORD", emu.password)
        yield emu, MagisterSourceConfig(
            type="magister", base_url=emu.url, username=emu.username,
            locations={name: brin6 for brin6, name in units.items()},
        )  # fmt: skip
