"""Scoped offboarding: a leader ends the posts at her own location only (pure: the bot's scope
rules and the policy that applies an override per employment)."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import cast

from bot.conversation import Asker
from provisioner.config import Config, LifecycleConfig
from provisioner.directory import Post, StaffEntry
from provisioner.domain.models import Employment, PersonName, Role, StaffMember
from provisioner.offboarding.policy import Scope, already_gone, make_plan, scope_for
from provisioner.planning.models import AccountState
from provisioner.policy.desired import Offboarding, PolicySettings, build_desired_state

TODAY = date(2026, 11, 22)
A, B = "07XY00", "07XY01"
START = date(2020, 8, 1)
ROLES = {"Locatieleider": Role.LOCATION_LEADER, "Groepsleerkracht": Role.TEACHER,
         "Intern begeleider": Role.CARE_COORDINATOR, "Directeur": Role.DIRECTOR}


def entry(key: str, *posts: tuple[str, Role, str]) -> StaffEntry:
    return StaffEntry(key, key.removeprefix("staff:"), PersonName("Eva", "", key), None,
                      tuple(Post(loc, role, title, START, None) for loc, role, title in posts))


def asker(staff: StaffEntry, *, central: bool = False) -> Asker:
    return Asker("U1", staff, is_central_office=central)


TWO_JOBS = entry("staff:2", (A, Role.TEACHER, "Groepsleerkracht"),
                 (B, Role.CARE_COORDINATOR, "Intern begeleider"))
LEADER_A = entry("staff:1", (A, Role.LOCATION_LEADER, "Locatieleider"))
DIRECTOR_B = entry("staff:3", (B, Role.DIRECTOR, "Directeur"))


def test_a_leader_ends_only_the_post_at_her_own_location() -> None:
    scope = scope_for(asker(LEADER_A), TWO_JOBS, TODAY, "board")
    assert isinstance(scope, Scope)
    assert scope.locations == frozenset({A})
    assert [p.location for p in scope.ending] == [A]
    assert [p.location for p in scope.staying] == [B]
    assert scope.partial and scope.stored() == A


def test_the_central_office_and_a_board_director_end_every_post() -> None:
    for who in (asker(LEADER_A, central=True), asker(DIRECTOR_B)):
        scope = scope_for(who, TWO_JOBS, TODAY, "board")
        assert isinstance(scope, Scope)
        assert scope.locations is None and not scope.partial and scope.stored() is None


def test_a_school_director_ends_the_posts_at_her_school_only() -> None:
    scope = scope_for(asker(DIRECTOR_B), TWO_JOBS, TODAY, "school")
    assert isinstance(scope, Scope) and scope.locations == frozenset({B})


def test_refusals_name_why() -> None:
    only_b = entry("staff:4", (B, Role.TEACHER, "Groepsleerkracht"))
    teacher = entry("staff:5", (A, Role.TEACHER, "Groepsleerkracht"))
    assert scope_for(asker(LEADER_A), only_b, TODAY, "board") == "other_location"
    assert scope_for(asker(teacher), only_b, TODAY, "board") == "not_allowed"


def test_already_gone_counts_only_the_posts_in_scope() -> None:
    scope = scope_for(asker(LEADER_A), TWO_JOBS, TODAY, "board")
    assert isinstance(scope, Scope)
    yesterday = TODAY - timedelta(days=1)
    assert already_gone(scope, [(yesterday, frozenset({A}))], TODAY) == yesterday
    assert already_gone(scope, [(yesterday, frozenset({B}))], TODAY) is None
    assert already_gone(scope, [(TODAY + timedelta(days=5), None)], TODAY) is None


def test_a_partial_plan_deletes_nothing_and_keeps_the_mailbox() -> None:
    scope = scope_for(asker(LEADER_A), TWO_JOBS, TODAY, "board")
    assert isinstance(scope, Scope)
    config = cast(Config, SimpleNamespace(lifecycle=LifecycleConfig(grace_days=30), targets=[]))
    plan = make_plan(config, TWO_JOBS, scope, TODAY + timedelta(days=9), TODAY)
    assert plan.delete_on is None and plan.mailbox_until is None
    full = make_plan(config, TWO_JOBS, Scope(None, TWO_JOBS.posts, ()),
                     TODAY + timedelta(days=9), TODAY)
    assert full.delete_on == TODAY + timedelta(days=39)


def member(*jobs: tuple[str, str]) -> StaffMember:
    return StaffMember("2", PersonName("Eva", "", "Bos"),
                       tuple(Employment(loc, title, START, None) for loc, title in jobs))


def settings() -> PolicySettings:
    return PolicySettings(today=TODAY, locations={A: "OBS A", B: "OBS B"}, roles=ROLES)


def test_policy_ends_only_the_employments_in_scope() -> None:
    eva = member((A, "Groepsleerkracht"), (B, "Intern begeleider"))
    yesterday = TODAY - timedelta(days=1)
    scoped = build_desired_state([eva], [], [], settings(), offboardings=[
        Offboarding("staff:2", yesterday, "chat:U1", frozenset({A}))])
    account = scoped.accounts["staff:2"]
    assert account.state is AccountState.ACTIVE  # she keeps her account
    assert account.locations == frozenset({B})
    assert not any(group.startswith(f"loc:{A}") for group in account.groups)
    assert any(group.startswith(f"loc:{B}") for group in account.groups)
    everything = build_desired_state([eva], [], [], settings(), offboardings=[
        Offboarding("staff:2", yesterday, "chat:U1", None)])
    assert everything.accounts["staff:2"].state is AccountState.LEFT


def test_the_newest_offboarding_covering_a_post_applies() -> None:
    eva = member((A, "Groepsleerkracht"), (B, "Intern begeleider"))
    later, earlier = TODAY + timedelta(days=10), TODAY - timedelta(days=1)
    state = build_desired_state([eva], [], [], settings(), offboardings=[
        Offboarding("staff:2", earlier, "chat:U1", frozenset({A})),
        Offboarding("staff:2", later, "chat:U2", None),  # the central office, later
    ])
    assert state.accounts["staff:2"].locations == frozenset({A, B})  # both run until later
