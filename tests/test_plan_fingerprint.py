"""The plan of a generated board is exactly what it was before the planning path was optimised.

A demo board (50 staff, 500 pupils) goes the benchmark's way (benchmarks/plan.py): read the
CSV sources, policy, naming, the target's view, then plan against an empty target and against
a target that drifted in every way the planner knows (missing, disabled, renamed and
duplicated accounts, stale links, orphans, wrong licences, members, libraries). The digests
below were computed with the code as it was before issue 16's optimisation; any change in an
operation, its order, its data or reason, an issue (their order follows set iteration and is
not compared), or a username or group changes them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

from provisioner.app.config import load_config
from provisioner.app.demo.generator import generate_board
from provisioner.app.wiring import build_sources
from provisioner.domain.models import PersonKind
from provisioner.execution.inputs import read_sources
from provisioner.planning.models import AccountState, DesiredState, Plan
from provisioner.planning.planner import AccountLink, PlanOptions, account_spec_data, plan_target
from provisioner.policy.desired import PolicySettings, build_desired_state, for_target
from provisioner.policy.naming import NameRequest, assign_usernames
from provisioner.targets import (
    RemoteAccount,
    RemoteGroup,
    RemoteLibrary,
    RemoteSite,
    TargetSnapshot,
)

TODAY = date(2026, 11, 22)

#: Computed with the planning code before the optimisation (see the module text).
EXPECTED_VIEW = "7a5602ecce4b752ef4d87cc11dc515b0a7ca638f3f1fdcb0766693a2241bb2b8"
EXPECTED_EMPTY = "88bd124aa3a3f215dddd0166699c987c6e55756401a703157e3375847d8a31ff"
EXPECTED_DRIFTED = "ce3056c057a444ec393c55a57547b4bd7d80211a74a997b0565db0c994dd9834"


def _view(folder: Path) -> tuple[DesiredState, frozenset[str]]:
    config = load_config(generate_board(folder, today=TODAY, staff=50, pupils=500))
    read = read_sources(build_sources(config, today=TODAY))
    settings = PolicySettings(
        today=TODAY,
        locations={loc.brin6: loc.name for loc in config.locations},
        roles=config.roles,
        director_scope=config.board.director_scope,
    )
    desired = build_desired_state(
        read.staff, read.pupils, read.groups, settings, frozen=read.frozen
    )
    naming = config.naming
    requests = [
        NameRequest(
            a.key,
            a.name,
            naming.pupil_template if a.kind is PersonKind.PUPIL else naming.staff_template,
            a.ident,
        )
        for a in desired.accounts.values()
    ]
    names = assign_usernames(requests, {}, frozenset())
    desired = dataclasses.replace(
        desired,
        accounts={
            k: dataclasses.replace(a, username=names[k]) for k, a in desired.accounts.items()
        },
    )
    target = config.targets[0]
    view = for_target(
        desired, include_pupils=True, licences=target.licences, sis_roles=target.sis_roles
    )
    return view, frozenset(s for skus in target.licences.values() for s in skus)


def _view_digest(view: DesiredState) -> str:
    digest = hashlib.sha256()
    for key, a in sorted(view.accounts.items()):
        row = [
            key, a.kind.value, a.ident, a.name.display, a.state.value, str(a.left_on),
            sorted(r.value for r in a.roles), sorted(a.locations), sorted(a.groups),
            sorted(a.licences), dict(a.attributes), a.username,
        ]  # fmt: skip
        digest.update(json.dumps(row, sort_keys=True).encode() + b"\n")
    for key, g in sorted(view.groups.items()):
        digest.update(
            json.dumps([key, g.display_name, g.description, g.location, g.label]).encode()
        )
    digest.update(json.dumps([sorted(view.frozen), [i.describe() for i in view.issues]]).encode())
    return digest.hexdigest()


def _drifted(
    view: DesiredState, managed: frozenset[str]
) -> tuple[TargetSnapshot, dict[str, AccountLink], dict[str, str]]:
    """A target that was synced once and then drifted, deterministically by position."""
    accounts: list[RemoteAccount] = []
    links: dict[str, AccountLink] = {}
    members: dict[str, set[str]] = {}
    for n, (key, account) in enumerate(sorted(view.accounts.items())):
        if n % 7 == 0:
            continue  # never created: a create
        spec = account_spec_data(account, True)
        enabled = account.state is AccountState.ACTIVE and n % 11 != 0
        display = spec["display_name"] + (" (old)" if n % 13 == 0 else "")
        attributes = dict(spec["attributes"])
        if n % 23 == 0:
            attributes["role"] = "someone else"
        licences = set(account.licences)
        if n % 17 == 0:
            licences = (licences - {min(licences, default="")}) | {"OTHER-SKU"}
        if n % 37 == 0:
            licences |= managed  # managed licences this person does not need
        username = spec["username"] + ("x" if n % 29 == 0 else "")
        remote_id = f"r{n}"
        accounts.append(
            RemoteAccount(
                remote_id, key, username, display, spec["given_name"], spec["family_name"],
                enabled, attributes, frozenset(licences),
            )
        )  # fmt: skip
        if n % 19 != 0:  # else no link: adopted by its key
            disabled_on = TODAY - timedelta(days=n % 60) if not enabled and n % 2 else None
            links[key] = AccountLink(remote_id, disabled_on)
        if n % 19 == 0 and n % 3 == 0:  # unlinked, and a second account with its key
            accounts.append(RemoteAccount(f"dup{n}", key, username + "2", display, "", "", True))
        if account.state is AccountState.ACTIVE:
            for group in sorted(account.groups):
                if (n + len(group)) % 9 != 0:
                    members.setdefault(group, set()).add(remote_id)
    for n in range(6):  # orphans: in the target, in no source
        key = f"{'staff' if n % 2 else 'pupil'}:orphan{n}"
        accounts.append(RemoteAccount(f"o{n}", key, f"orphan{n}", "O", "O", "O", n < 3))
        links[key] = AccountLink(f"o{n}", TODAY - timedelta(days=40) if n == 4 else None)
    groups: list[RemoteGroup] = []
    group_links: dict[str, str] = {}
    for n, (key, g) in enumerate(sorted(view.groups.items())):
        if n % 5 == 0:
            continue
        extra = {"stranger"} if n % 4 == 0 else set()
        groups.append(
            RemoteGroup(f"g{n}", key, g.display_name, g.description,
                        frozenset(members.get(key, set()) | extra))
        )  # fmt: skip
        if n % 6 != 0:
            group_links[key] = f"g{n}"
    groups.append(RemoteGroup("gx", "loc:gone:staff", "Gone", "Gone", frozenset({"r1", "r2"})))
    group_links["loc:gone:staff"] = "gx"
    locations = sorted({g.location for g in view.groups.values()})
    sites = [RemoteSite(f"s{n}", f"site:{loc}") for n, loc in enumerate(locations) if n % 2]
    libraries = [
        RemoteLibrary(f"l{n}", key, f"site:{g.location}",
                      {"p1": f"g{n}"} if n % 3 else {"p1": f"g{n}", "p2": "someone"})
        for n, (key, g) in enumerate(sorted(view.groups.items()))
        if n % 4
    ]  # fmt: skip
    snapshot = TargetSnapshot(accounts, groups, frozenset(), sites, libraries)
    return snapshot, links, group_links


def _plan_digest(plan: Plan) -> str:
    issues = json.dumps(sorted([i.kind.value, i.key, i.message] for i in plan.issues))
    extra = f"{issues}|{plan.managed_accounts}|{plan.managed_memberships}"
    return hashlib.sha256((plan.fingerprint() + extra).encode()).hexdigest()


def test_plans_of_a_generated_board_are_unchanged(tmp_path: Path) -> None:
    view, managed = _view(tmp_path)
    assert _view_digest(view) == EXPECTED_VIEW

    options = PlanOptions(
        today=TODAY, supports_licences=True, supports_sessions=True, managed_licences=managed
    )
    empty = plan_target("directory", view, TargetSnapshot([], []), {}, {}, options)
    assert len(empty.operations) > 1000
    assert _plan_digest(empty) == EXPECTED_EMPTY

    snapshot, links, group_links = _drifted(view, managed)
    drifted_options = dataclasses.replace(
        options,
        rename_accounts=True,
        supports_libraries=True,
        stored_attributes=frozenset({"kind", "role", "locations"}),
    )
    drifted = plan_target("directory", view, snapshot, links, group_links, drifted_options)
    kinds = {op.type.value for op in drifted.operations}
    assert {"create_account", "update_account", "enable_account", "disable_account"} <= kinds
    assert {"link_account", "add_member", "remove_member", "revoke_library"} <= kinds
    assert {"remove_licence", "delete_account", "create_library", "link_group"} <= kinds
    assert {issue.kind.value for issue in drifted.issues} == {"ambiguous"}
    assert _plan_digest(drifted) == EXPECTED_DRIFTED
