"""The planner: a pure diff from desired and actual state to ordered, typed operations."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.domain.models import PersonKind, PersonName, Role
from provisioner.planning.models import (
    PHASE,
    AccountState,
    DesiredAccount,
    DesiredGroup,
    DesiredState,
    IssueKind,
    OpType,
    Plan,
)
from provisioner.planning.planner import AccountLink, PlanOptions, plan_target
from provisioner.targets import (
    RemoteAccount,
    RemoteGroup,
    RemoteLibrary,
    RemoteSite,
    TargetSnapshot,
)

TODAY = date(2026, 11, 22)
OPTIONS = PlanOptions(
    today=TODAY, supports_licences=True, supports_sessions=True, managed_licences=frozenset({"A3"})
)
GROUP = DesiredGroup("loc:07XY00:teachers", "OBS A - Leerkrachten", "Leerkrachten", "07XY00")


def active(number: str, *, groups: frozenset[str] = frozenset({GROUP.key})) -> DesiredAccount:
    return DesiredAccount(
        key=f"staff:{number}",
        kind=PersonKind.STAFF,
        ident=number,
        name=PersonName("Jan", "de", f"Vries{number}"),
        state=AccountState.ACTIVE,
        roles=frozenset({Role.TEACHER}),
        groups=groups,
        licences=frozenset({"A3"}),
        attributes={"role": "teacher"},
        username=f"jan.devries{number}",
    )


def left(number: str, on: date) -> DesiredAccount:
    return dataclasses.replace(
        active(number),
        state=AccountState.LEFT,
        left_on=on,
        groups=frozenset(),
        licences=frozenset(),
    )


def state(*accounts: DesiredAccount, **kw: object) -> DesiredState:
    return DesiredState({a.key: a for a in accounts}, {GROUP.key: GROUP}, **kw)  # type: ignore[arg-type]


def remote(
    account: DesiredAccount, rid: str, *, enabled: bool = True, key: str | None = "same"
) -> RemoteAccount:
    return RemoteAccount(
        rid,
        account.key if key == "same" else key,
        account.username,
        account.name.display,
        account.name.given,
        account.name.family_with_prefix,
        enabled,
        dict(account.attributes),
        frozenset(account.licences),
    )


def synced(
    *accounts: DesiredAccount,
) -> tuple[TargetSnapshot, dict[str, AccountLink], dict[str, str]]:
    remotes = [remote(a, f"r{i}") for i, a in enumerate(accounts)]
    members = frozenset(
        r.remote_id for r, a in zip(remotes, accounts, strict=True) if GROUP.key in a.groups
    )
    snapshot = TargetSnapshot(
        remotes, [RemoteGroup("g1", GROUP.key, GROUP.display_name, "", members)]
    )
    links = {a.key: AccountLink(r.remote_id) for a, r in zip(accounts, remotes, strict=True)}
    return snapshot, links, {GROUP.key: "g1"}


def plan(
    desired: DesiredState,
    snapshot: TargetSnapshot,
    links: dict[str, AccountLink] | None = None,
    group_links: dict[str, str] | None = None,
    options: PlanOptions = OPTIONS,
) -> Plan:
    return plan_target("t", desired, snapshot, links or {}, group_links or {}, options)


EMPTY = TargetSnapshot([], [])


def test_an_empty_target_gets_everything_in_dependency_order() -> None:
    result = plan(state(active("1"), active("2")), EMPTY)
    types = [op.type for op in result.operations]
    assert types == [
        OpType.CREATE_GROUP,
        OpType.CREATE_ACCOUNT,
        OpType.CREATE_ACCOUNT,
        OpType.ADD_MEMBER,
        OpType.ADD_MEMBER,
        OpType.ASSIGN_LICENCE,
        OpType.ASSIGN_LICENCE,
    ]
    assert [PHASE[t] for t in types] == sorted(PHASE[t] for t in types)


def test_a_synced_target_plans_nothing() -> None:
    accounts = (active("1"), active("2"))
    assert plan(state(*accounts), *synced(*accounts)).operations == ()


def test_a_leaver_is_disabled_signed_out_and_stripped_at_once() -> None:
    snapshot, links, glinks = synced(active("1"))
    result = plan(state(left("1", TODAY - timedelta(days=40))), snapshot, links, glinks)
    assert [op.type for op in result.operations] == [
        OpType.DISABLE_ACCOUNT,
        OpType.REVOKE_SESSIONS,
        OpType.REMOVE_MEMBER,
        OpType.REMOVE_LICENCE,
    ]
    disable = result.operations[0]
    assert PHASE[OpType.DISABLE_ACCOUNT] < PHASE[OpType.DELETE_ACCOUNT]
    assert "left on" in disable.reason


def test_delete_waits_for_the_grace_period_from_the_later_of_leaving_and_disabling() -> None:
    gone = left("1", TODAY - timedelta(days=100))  # back-dated: left long ago
    account = remote(gone, "r1", enabled=False)
    snapshot = TargetSnapshot([account], [RemoteGroup("g1", GROUP.key, GROUP.display_name, "")])
    disabled_recently = {"staff:1": AccountLink("r1", TODAY - timedelta(days=29))}
    glinks = {GROUP.key: "g1"}
    assert plan(state(gone), snapshot, disabled_recently, glinks).operations == ()
    disabled_long_ago = {"staff:1": AccountLink("r1", TODAY - timedelta(days=30))}
    result = plan(state(gone), snapshot, disabled_long_ago, glinks)
    assert [op.type for op in result.operations] == [OpType.DELETE_ACCOUNT]


def test_an_account_found_disabled_starts_its_grace_period_today() -> None:
    gone = left("1", TODAY - timedelta(days=100))
    groups = [RemoteGroup("g1", GROUP.key, GROUP.display_name, "")]
    result = plan(
        state(gone),
        TargetSnapshot([remote(gone, "r1", enabled=False)], groups),
        {"staff:1": AccountLink("r1")},
        {GROUP.key: "g1"},
    )
    (op,) = result.operations
    assert op.type is OpType.LINK_ACCOUNT and op.data["disabled_on"] == TODAY.isoformat()


def test_an_existing_account_with_the_key_is_adopted_not_duplicated() -> None:
    wanted = active("1")
    result = plan(state(wanted), TargetSnapshot([remote(wanted, "r9")], []))
    types = [op.type for op in result.operations]
    assert OpType.CREATE_ACCOUNT not in types and types[:2] == [
        OpType.CREATE_GROUP,
        OpType.LINK_ACCOUNT,
    ]


def test_two_accounts_with_one_key_stop_that_person_only() -> None:
    one, two = active("1"), active("2")
    snapshot = TargetSnapshot([remote(one, "r1"), remote(one, "r1b"), remote(two, "r2")], [])
    result = plan(state(one, two), snapshot)
    assert not any(op.key == "staff:1" for op in result.operations)
    assert any(op.key == "staff:2" for op in result.operations)
    assert [i.kind for i in result.issues] == [IssueKind.AMBIGUOUS]


def test_frozen_people_are_not_touched_even_when_they_differ() -> None:
    snapshot, links, glinks = synced(active("1"))
    changed = dataclasses.replace(active("1"), name=PersonName("Piet", "", "Puk"))
    assert (
        plan(state(changed, frozen=frozenset({"staff:1"})), snapshot, links, glinks).operations
        == ()
    )
    # frozen and missing from the source (their row failed): still left alone
    assert plan(state(frozen=frozenset({"staff:1"})), snapshot, links, glinks).operations == ()


def test_people_missing_from_the_sources_leave_only_when_the_sources_were_whole() -> None:
    snapshot, links, glinks = synced(active("1"))
    gone = plan(state(), snapshot, links, glinks)
    assert OpType.DISABLE_ACCOUNT in {op.type for op in gone.operations}
    kept = plan(state(orphans_may_leave=False), snapshot, links, glinks)
    assert kept.operations == () and [i.kind for i in kept.issues] == [IssueKind.ORPHAN_KEPT]


def test_members_added_by_hand_to_a_managed_group_are_removed_when_authoritative() -> None:
    snapshot, links, glinks = synced(active("1"))
    group = dataclasses.replace(
        snapshot.groups[0], members=snapshot.groups[0].members | {"intruder"}
    )
    snapshot = TargetSnapshot(snapshot.accounts, [group])
    (op,) = plan(state(active("1")), snapshot, links, glinks).operations
    assert (op.type, op.key, op.group) == (OpType.REMOVE_MEMBER, "remote:intruder", GROUP.key)
    lenient = dataclasses.replace(OPTIONS, remove_unmanaged_members=False)
    assert plan(state(active("1")), snapshot, links, glinks, lenient).operations == ()


def test_licences_assigned_by_hand_are_left_alone() -> None:
    snapshot, links, glinks = synced(active("1"))
    extra = dataclasses.replace(snapshot.accounts[0], licences=frozenset({"A3", "VISIO"}))
    result = plan(state(active("1")), TargetSnapshot([extra], snapshot.groups), links, glinks)
    assert result.operations == ()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([str(n) for n in range(12)]), unique=True, min_size=1), st.randoms()
)
def test_plans_are_deterministic_and_converge(numbers: list[str], rnd: object) -> None:
    accounts = [active(n) for n in numbers]
    shuffled = list(accounts)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first = plan(state(*accounts), EMPTY)
    assert first.fingerprint() == plan(state(*shuffled), EMPTY).fingerprint()
    assert plan(state(*accounts), *synced(*accounts)).operations == ()


def test_only_attributes_the_target_stores_are_compared() -> None:
    snapshot, links, glinks = synced(active("1"))
    richer = dataclasses.replace(
        active("1"), attributes={"role": "teacher", "sis_role": "Leerkracht"}
    )
    assert plan(state(richer), snapshot, links, glinks).counts() == {"update_account": 1}
    lean = dataclasses.replace(OPTIONS, stored_attributes=frozenset({"role"}))
    assert plan(state(richer), snapshot, links, glinks, options=lean).operations == ()


LIBRARIES = dataclasses.replace(OPTIONS, supports_libraries=True)


def test_each_access_group_gets_a_library_on_its_locations_site() -> None:
    desired = dataclasses.replace(state(active("1")), locations={"07XY00": "OBS A"})
    ops = plan(desired, EMPTY, options=LIBRARIES).operations
    site, library, grant = (op for op in ops if op.type.value.endswith(("site", "library")))
    assert (site.type, site.key, site.data["display_name"]) == (
        OpType.CREATE_SITE,
        "site:07XY00",
        "OBS A",
    )
    assert (library.type, library.key, library.data["site"]) == (
        OpType.CREATE_LIBRARY,
        GROUP.key,
        "site:07XY00",
    )
    assert (grant.type, grant.group) == (OpType.GRANT_LIBRARY, GROUP.key)
    assert PHASE[OpType.CREATE_GROUP] < PHASE[OpType.CREATE_SITE] < PHASE[OpType.GRANT_LIBRARY]


def test_a_library_shared_by_hand_with_others_is_set_right() -> None:
    snapshot, links, glinks = synced(active("1"))
    site = RemoteSite("s1", "site:07XY00")
    shared = RemoteLibrary("d1", GROUP.key, "site:07XY00", {"p1": "g1", "p2": "someone"})
    synced_libraries = TargetSnapshot(
        snapshot.accounts, snapshot.groups, sites=[site], libraries=[shared]
    )
    (op,) = plan(state(active("1")), synced_libraries, links, glinks, LIBRARIES).operations
    assert (op.type, op.data["grant_id"], op.data["principal"]) == (
        OpType.REVOKE_LIBRARY,
        "p2",
        "someone",
    )
    ungranted = RemoteLibrary("d1", GROUP.key, "site:07XY00", {})
    missing = TargetSnapshot(
        snapshot.accounts, snapshot.groups, sites=[site], libraries=[ungranted]
    )
    (grant,) = plan(state(active("1")), missing, links, glinks, LIBRARIES).operations
    assert (grant.type, grant.data["library_id"]) == (OpType.GRANT_LIBRARY, "d1")
