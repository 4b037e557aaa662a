"""The Microsoft 365 target against the Graph emulator: the conformance suite, eventual
consistency, and a full sync that converges while a fifth of all requests fail."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.emulators.graph import EmulatorSettings, GraphEmulator
from connectors.m365.client import GraphClient
from connectors.m365.libraries import M365LibraryTarget
from connectors.m365.target import M365Target, group_key, group_nickname
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.targets import Target
from tests.board import Board, make_board
from tests.conformance import TargetConformance, teacher


def client_for(
    emulator: GraphEmulator, *, dry_run: bool = False, timeout: float = 30
) -> GraphClient:
    settings = emulator.client_settings(max_wait=120, timeout=timeout)
    return GraphClient(settings, dry_run=dry_run)


def m365(
    emulator: GraphEmulator,
    *,
    dry_run: bool = False,
    cache: Path | None = None,
    timeout: float = 30,
) -> M365Target:
    return M365Target(
        "m365", client_for(emulator, dry_run=dry_run, timeout=timeout), domain="example.nl",
        pupil_domain="leerling.example.nl", delta_cache=cache,
    )  # fmt: skip


class TestM365Target(TargetConformance):
    @pytest.fixture(autouse=True)
    def emulator(self) -> Iterator[GraphEmulator]:
        with GraphEmulator(EmulatorSettings()) as emulator:
            self._emulator = emulator
            yield emulator

    def make_target(self, path: Path, dry_run: bool) -> Target:
        return m365(self._emulator, dry_run=dry_run)


class TestM365LibraryTarget(TestM365Target):
    """The same suite with SharePoint on: the library tests run too."""

    def make_target(self, path: Path, dry_run: bool) -> Target:
        client = client_for(self._emulator, dry_run=dry_run)
        return M365LibraryTarget("m365", client, domain="example.nl")


def test_a_new_user_joins_its_groups_although_graph_has_not_replicated_it_yet(
    tmp_path: Path,
) -> None:
    from tests.conformance import World

    with GraphEmulator(EmulatorSettings(consistency_delay=0.5)) as emulator:
        world = TestM365Target()
        world._emulator = emulator
        engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
        upgrade(engine)
        report = World(world, tmp_path, session_factory(engine)).sync(
            [teacher("5201", "Noor", "", "Bakker")]
        )
        assert report.status == "applied", report.as_json()
        (user,) = emulator.users()
        assert any(user["id"] in emulator.members(g["id"]) for g in emulator.groups())
        assert any(r.status == 404 for r in emulator.requests), "the delay was never hit"


@pytest.mark.parametrize("key", ["loc:07XY00:care", "class:K 5b/ü", "class:K-07XY00-5b"])
def test_group_keys_survive_the_mail_nickname(key: str) -> None:
    nickname = group_nickname(key)
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in nickname)
    assert group_key(nickname) == key


def sync_into(board: Board, target: M365Target):  # type: ignore[no-untyped-def]
    from provisioner.app.wiring import build_sources, target_settings
    from provisioner.execution.engine import Engine, SyncRequest

    config = board.config
    settings = target_settings(config)
    settings[target.name] = settings.pop("directory")
    engine = Engine(
        config, board.sessions(), build_sources(config), [target], target_settings=settings
    )
    return engine.sync(SyncRequest(today=__import__("tests.board").board.TODAY))


def end_state(emulator: GraphEmulator) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """Users and memberships by key and name, independent of the ids Graph chose."""
    users = {u["id"]: u for u in emulator.users()}
    accounts = {
        (u["employeeType"], u["employeeId"], u["userPrincipalName"], str(u["accountEnabled"]),
         ",".join(sorted(lic["skuId"] for lic in u.get("assignedLicenses", []))))
        for u in users.values()
    }  # fmt: skip
    memberships = {
        (g["mailNickname"], users[m]["userPrincipalName"])
        for g in emulator.groups()
        for m in emulator.members(g["id"])
    }
    return accounts, memberships


@pytest.mark.slow
def test_a_full_sync_converges_while_a_fifth_of_requests_fail(tmp_path: Path) -> None:
    calm = make_board(tmp_path / "calm", pupils=60)
    with GraphEmulator(EmulatorSettings()) as emulator:
        assert sync_into(calm, m365(emulator)).status == "applied"
        expected = end_state(emulator)

    board = make_board(tmp_path / "stormy", pupils=60)
    faults = EmulatorSettings(
        fault_rate=0.2, faults=("429", "503", "timeout"), timeout_seconds=0.4,
        window_scale=0.01, consistency_delay=0.2,
    )  # fmt: skip
    with GraphEmulator(faults) as emulator:
        first = sync_into(board, m365(emulator, cache=tmp_path / "delta.json", timeout=0.2))
        injected = Counter(r.fault for r in emulator.requests if r.fault)
        assert injected["429"] and injected["503"] and injected["timeout"], injected
        assert first.status == "applied", first.as_json()
        assert not [r for r in emulator.requests if r.early], "a request was retried too early"
        assert end_state(emulator) == expected

        creates = Counter(
            (r.body or {}).get("employeeId") for r in emulator.requests
            if r.method == "POST" and r.path == "/v1.0/users" and r.status == 201
        )  # fmt: skip
        assert set(creates.values()) == {1}, "an account was created twice"

        before = len(emulator.requests)
        second = sync_into(board, m365(emulator, cache=tmp_path / "delta.json"))
        writes = [r for r in emulator.requests[before:] if r.is_write]
        assert (second.total, len(writes)) == (0, 0)


def test_a_quiet_night_costs_a_handful_of_reads_and_an_expired_delta_link_a_full_read(
    tmp_path: Path,
) -> None:
    board = make_board(tmp_path, pupils=60)
    cache = tmp_path / "delta.json"
    with GraphEmulator(EmulatorSettings()) as emulator:
        assert sync_into(board, m365(emulator, cache=cache)).status == "applied"
        before = len(emulator.requests)
        quiet = sync_into(board, m365(emulator, cache=cache))
        night = emulator.requests[before:]
        graph_calls = [r for r in night if r.path.startswith("/v1.0") and not r.in_batch]
        assert quiet.total == 0 and not [r for r in night if r.is_write]
        assert len(graph_calls) <= 6, [r.path for r in graph_calls]  # deltas and the SKU list

        emulator.expire_delta_tokens()
        before = len(emulator.requests)
        after_expiry = sync_into(board, m365(emulator, cache=cache))
        assert after_expiry.total == 0
        assert any(r.status == 410 for r in emulator.requests[before:])
