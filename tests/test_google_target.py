"""The Google Workspace target against the Google emulator: the conformance suite (with lost
answers), and every request and answer valid against Google's discovery documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.emulators.google import GoogleEmulator, GoogleEmulatorSettings
from connectors.google.client import (
    DIRECTORY_SCOPES,
    DRIVE_SCOPE,
    LICENSING_SCOPE,
    GoogleClient,
    GoogleSettings,
)
from connectors.google.target import GoogleTarget
from provisioner.targets import Target
from tests.conformance import TargetConformance

ALL_SCOPES = (*DIRECTORY_SCOPES, DRIVE_SCOPE, LICENSING_SCOPE)


def google_client(
    emulator: GoogleEmulator, *, dry_run: bool = False, scopes: tuple[str, ...] = DIRECTORY_SCOPES
) -> GoogleClient:
    settings = GoogleSettings(
        emulator.service_account_info(),
        emulator.settings.admin,
        scopes=scopes,
        root_url=emulator.root_url,
        max_wait=60,
    )
    return GoogleClient(settings, dry_run=dry_run)


def google(emulator: GoogleEmulator, *, dry_run: bool = False) -> GoogleTarget:
    return GoogleTarget(
        "google",
        google_client(emulator, dry_run=dry_run),
        domain="example.nl",
        pupil_domain="leerling.example.nl",
        location_names={"07XY00": "OBS Proef"},
    )


class TestGoogleTarget(TargetConformance):
    @pytest.fixture(autouse=True)
    def emulator(self) -> Iterator[GoogleEmulator]:
        with GoogleEmulator(GoogleEmulatorSettings(window_scale=0.01)) as emulator:
            self._emulator = emulator
            yield emulator
        assert emulator.violations == []

    def make_target(self, path: Path, dry_run: bool) -> Target:
        return google(self._emulator, dry_run=dry_run)


LICENCE_SKUS = {"101031": ("M365_A3_FACULTY", "1010310008")}


class TestGoogleWithDrivesAndLicences(TestGoogleTarget):
    """The same suite with shared drives and licences on: the library and licence tests run."""

    @pytest.fixture(autouse=True)
    def emulator(self) -> Iterator[GoogleEmulator]:
        settings = GoogleEmulatorSettings(window_scale=0.01, skus=dict(LICENCE_SKUS))
        with GoogleEmulator(settings) as emulator:
            self._emulator = emulator
            yield emulator
        assert emulator.violations == []

    def make_target(self, path: Path, dry_run: bool) -> Target:
        from connectors.google.plugin import full_target

        client = google_client(self._emulator, dry_run=dry_run, scopes=ALL_SCOPES)
        return full_target(
            "google",
            client,
            drives=True,
            skus=["M365_A3_FACULTY"],
            domain="example.nl",
            pupil_domain="leerling.example.nl",
            location_names={"07XY00": "OBS Proef"},
        )
