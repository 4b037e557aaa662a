"""The defects the testers found, one or more scenarios each, named after the defect.

1. An unconfirmed offboarding, then a new request, then "ja": the new one is confirmed, the
   old one was put aside (and said so), never applied.
2. A teacher at school A who is care coordinator at school B, offboarded by A's leader: only
   A's post ends (the override's scope, the summary, the next sync); the central office ends
   every post.
3. An open question never swallows a breach report, nor a question about another pupil.
4. Without a privacy officer (FG) configured nobody is said to be told, and the register
   records that nobody was.
5. A confirmation applies once: a second press, Slack's redelivery of a press or of a direct
   message.
6. Slack markup in a name from HR is shown as text, never as a mention or a link.
7. A failing run of an offboarding is audited with an incident id each time and, after
   ``bot.offboarding_max_attempts``, told to the requester and the central office; a held
   lock is waited for quietly.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from provisioner.app.bot_services import CoreSync
from provisioner.execution.locks import LockHeld
from provisioner.planning.models import OpType
from tests.conversations.checks import (
    as_shown,
    breaches,
    change,
    having,
    mrkdwn,
    none_having,
    shown,
)
from tests.conversations.drivers import Driver
from tests.conversations.runner import (
    scenario,
    without_privacy_officer,
)
from tests.conversations.world import AMSTERDAM, SCHOOL_A, SCHOOL_B, Cast, World

# -- 1: a new request while a plan waits for its confirmation ---------------------------------


@scenario("defects")
def defect1_new_request_puts_unconfirmed_offboarding_aside(d: Driver, c: Cast) -> None:
    x, y = c.colleagues_a[0], c.colleagues_a[1]
    d.as_person(c.leader_a)
    (plan_x,) = d.say(f"{x.name.display} gaat per 1 december uit dienst")
    assert plan_x.data["person_key"] == x.key
    aside, plan_y = d.say(f"{y.name.display} gaat per 31-12 uit dienst")
    assert aside.data["put_aside"] is True
    assert x.name.display in aside.text and "opzijgezet" in aside.text
    assert "niets gedaan" in aside.text
    assert plan_y.data["person_key"] == y.key and plan_y.data["step"] == "confirm"
    assert y.name.display in plan_y.text and "donderdag 31 december 2026" in plan_y.text
    assert x.name.display not in plan_y.shown
    done = d.say("ja")
    confirmed = having(done, "confirmed")
    assert confirmed.data["person_key"] == y.key and y.name.display in confirmed.text
    assert [(o.person_key, o.last_day) for o in d.world.overrides()] == [
        (y.key, date(2026, 12, 31))]
    assert d.world.tasks(x) == [] and len(d.world.tasks(y)) == 4
    assert d.world.events("offboarding.requested", key=x.key) == []
    (put_aside,) = d.world.events("chat.put_aside")
    assert change(put_aside) == {"flow": "offboarding", "by": "offboarding"}


@scenario("defects")
def defect1_english_yes_confirms_only_the_newest_plan(d: Driver, c: Cast) -> None:
    x, y = c.colleagues_a[0], c.colleagues_a[1]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} leaves on 1 December")
    aside, plan_y = d.say(f"{y.name.display} leaves on 31-12")
    assert aside.data["put_aside"] is True
    assert aside.text == (f"I put the offboarding of {x.name.display} aside; nothing was done "
                          "with it.")
    assert plan_y.text.startswith(f"*Offboarding {y.name.display}, last working day Thursday "
                                  "31 December 2026.*")
    done = d.say("yes")
    assert having(done, "confirmed").data["person_key"] == y.key
    assert [o.person_key for o in d.world.overrides()] == [y.key]


@scenario("defects")
def defect1_new_request_wins_over_an_open_pick_list(d: Driver, c: Cast) -> None:
    y = c.colleagues_a[1]
    d.as_person(c.central_office)
    (pick,) = d.say("Sanne Jansen gaat per 1 december uit dienst")
    assert sorted(pick.data["candidates"]) == sorted([c.sanne_a.key, c.sanne_c.key])
    aside, plan = d.say(f"{y.name.display} gaat per 4 december uit dienst")
    assert aside.data["put_aside"] is True and plan.data["person_key"] == y.key
    d.say("ja")
    assert [o.person_key for o in d.world.overrides()] == [y.key]
    assert d.world.overrides()[0].locations is None  # the central office: every post


# -- 2: one post of two ends ----------------------------------------------------------------


@scenario("defects")
def defect2_leader_ends_only_her_post_of_teacher_who_is_ib_elsewhere(d: Driver, c: Cast) -> None:
    af = c.anne_fleur
    d.as_person(c.leader_a)
    (plan,) = d.say(f"{af.name.display} gaat per 31-12 uit dienst")
    assert plan.text.startswith(f"*{af.name.display} stopt op OBS De Regenboog, laatste "
                                "werkdag donderdag 31 december 2026.*")
    assert (plan.data["scope"], plan.data["keeps_posts"]) == (SCHOOL_A, [SCHOOL_B])
    assert plan.fact("Stopt") == "Groepsleerkracht, OBS De Regenboog"
    assert plan.fact("Blijft").startswith("Intern begeleider, CBS De Wegwijzer")
    assert plan.fact("Account en mailbox") == "blijven: de andere aanstelling loopt door"
    assert plan.data["delete_on"] is None and "Verwijderen" not in dict(plan.facts)
    done = d.press("Bevestigen")
    assert having(done, "confirmed").data["scope"] == SCHOOL_A
    (override,) = d.world.overrides(af)
    assert (override.last_day, override.locations) == (date(2026, 12, 31), SCHOOL_A)
    assert sorted(t.kind for t in d.world.tasks(af)) == ["portal_access", "portal_access",
                                                         "sis_post"]
    (requested,) = d.world.events("offboarding.requested", key=af.key)
    assert change(requested)["scope"] == SCHOOL_A
    assert change(requested)["keeps_posts"] == [SCHOOL_B]
    ops = [op for op in d.world.next_sync(af, date(2027, 1, 1)) if op.key == af.key]
    kinds = {op.type for op in ops}
    assert not kinds & {OpType.DISABLE_ACCOUNT, OpType.DELETE_ACCOUNT, OpType.REVOKE_SESSIONS,
                        OpType.REMOVE_LICENCE}, kinds
    removed = {str(op.group) for op in ops if op.type is OpType.REMOVE_MEMBER}
    assert removed and all(SCHOOL_A in group for group in removed), removed
    assert d.world.next_sync(af, date(2026, 12, 31)) == []  # nothing before the day


@scenario("defects")
def defect2_central_office_ends_every_post(d: Driver, c: Cast) -> None:
    af = c.anne_fleur
    d.as_person(c.central_office)
    (plan,) = d.say(f"{af.name.display} gaat per 31-12 uit dienst")
    assert plan.data["scope"] == "all" and plan.data["keeps_posts"] == []
    assert [v for k, v in plan.facts if k == "Stopt"] == [
        "Groepsleerkracht, OBS De Regenboog", "Intern begeleider, CBS De Wegwijzer"]
    assert "Blijft" not in dict(plan.facts)
    assert plan.data["delete_on"] == "2027-01-30"
    d.press("Bevestigen")
    (override,) = d.world.overrides(af)
    assert override.locations is None
    kinds = {op.type for op in d.world.next_sync(af, date(2027, 1, 1)) if op.key == af.key}
    assert OpType.DISABLE_ACCOUNT in kinds, kinds
    assert "approve_deletion" in {t.kind for t in d.world.tasks(af)}


@scenario("defects")
def defect2_leader_of_b_ends_only_the_care_post(d: Driver, c: Cast) -> None:
    af = c.anne_fleur
    d.as_person(c.leader_b)
    (plan,) = d.say(f"{af.name.display} leaves on 31 December")
    assert plan.text.startswith(f"*{af.name.display} leaves CBS De Wegwijzer, last working "
                                "day Thursday 31 December 2026.*")
    assert plan.fact("Ends") == "Intern begeleider, CBS De Wegwijzer"
    assert plan.fact("Stays").startswith("Groepsleerkracht, OBS De Regenboog")
    d.press("Confirm")
    (override,) = d.world.overrides(af)
    assert override.locations == SCHOOL_B
    kinds = {op.type for op in d.world.next_sync(af, date(2027, 1, 1)) if op.key == af.key}
    assert OpType.DISABLE_ACCOUNT not in kinds, kinds


@scenario("defects")
def defect2_both_leaders_end_their_posts_then_account_goes(d: Driver, c: Cast) -> None:
    af = c.anne_fleur
    d.as_person(c.leader_a)
    d.say(f"{af.name.display} gaat per 31-12 uit dienst")
    d.press("Bevestigen")
    d.as_person(c.leader_b)
    (plan,) = d.say(f"{af.name.display} gaat per 31-12 uit dienst")
    assert plan.data["scope"] == SCHOOL_B and plan.data["keeps_posts"] == [SCHOOL_A]
    d.press("Bevestigen")
    assert sorted(str(o.locations) for o in d.world.overrides(af)) == [SCHOOL_A, SCHOOL_B]
    kinds = {op.type for op in d.world.next_sync(af, date(2027, 1, 1)) if op.key == af.key}
    assert OpType.DISABLE_ACCOUNT in kinds, kinds  # no post is left


@scenario("defects")
def defect2_central_office_after_the_leader_replaces_her_partial_request(d: Driver, c: Cast
                                                                         ) -> None:
    af = c.anne_fleur
    d.as_person(c.leader_a)
    d.say(f"{af.name.display} gaat per 31-12 uit dienst")
    d.press("Bevestigen")
    d.as_person(c.central_office)
    d.say(f"{af.name.display} gaat per 31-12 uit dienst")
    d.press("Bevestigen")
    (standing,) = d.world.overrides(af)
    (replaced,) = d.world.overrides(af, cancelled=True)
    assert (standing.locations, replaced.locations) == (None, SCHOOL_A)
    requests = {change(e)["override_id"]: change(e)["requester"]
                for e in d.world.events("offboarding.requested", key=af.key)}
    assert requests == {replaced.id: c.leader_a.key, standing.id: c.central_office.key}
    (event,) = d.world.events("offboarding.replaced", key=af.key)
    assert change(event) == {"override_id": replaced.id}


# -- 3: an open question does not swallow a new request -------------------------------------


@scenario("defects")
def defect3_breach_report_not_swallowed_by_open_medium_question(d: Driver, c: Cast) -> None:
    d.as_person(c.group_teacher)
    (question,) = d.say(f"Mag de foto van {c.pupil_a.name.display}?")
    assert question.data == {"step": "medium"}
    aside, intake = d.say("ik heb een mail met cijferlijsten naar de verkeerde ouder gestuurd")
    assert aside.data["put_aside"] is True and c.pupil_a.name.display in aside.text
    assert intake.data["step"] == "discovered_at" and "Goed dat je het meldt" in intake.text
    assert "Wanneer heb je het ontdekt?" in intake.text
    reported = d.say("meld nu")
    filed = having(reported, "breach_id")
    (breach,) = breaches(d)
    assert breach.id == filed.data["breach_id"] and breach.id in filed.text
    assert breach.facts.kind == "misdirected"
    assert "learning_results" in breach.facts.data_categories
    none_having([*reported, aside, intake], "allowed")  # no consent answer was given
    assert d.world.events("chat.answered") == []


@scenario("defects")
def defect3_english_breach_report_while_medium_question_open(d: Driver, c: Cast) -> None:
    d.as_person(c.group_teacher)
    (question,) = d.say(f"Can I use the photo of {c.pupil_a.name.display}?")
    assert question.data == {"step": "medium"}
    assert question.text.startswith("Where do you want to use the photo of")
    aside, intake = d.say("I sent the grade list to the wrong parent by email")
    assert aside.data["put_aside"] is True
    assert aside.text.startswith("I put the photo consent question about")
    assert intake.data["step"] == "discovered_at" and "When did you discover it?" in intake.text
    assert len(breaches(d)) == 0  # nothing is filed before the reporter says so
    assert d.world.open_flows() == ["breach"]
    (event,) = d.world.events("chat.put_aside")
    assert change(event) == {"flow": "consent", "by": "breach"}


@scenario("defects")
def defect3_question_about_pupil_b_answered_about_b(d: Driver, c: Cast) -> None:
    a, b = c.pupil_a, c.pupil_b
    d.as_person(c.group_teacher)
    d.say(f"Mag de foto van {a.name.display}?")
    replies = d.say(f"Mag de foto van {b.name.display} op de website?")
    answer = having(replies, "allowed")
    assert answer.data["person_key"] == b.key and answer.data["medium"] == "website"
    assert b.name.display in answer.text and a.name.display not in answer.text
    assert having(replies, "put_aside").data["put_aside"] is True
    (answered,) = d.world.events("chat.answered")
    assert answered.object_key == b.key


@scenario("defects")
def defect3_bare_name_of_pupil_b_answered_about_b(d: Driver, c: Cast) -> None:
    a, b = c.pupil_a, c.pupil_b
    d.as_person(c.group_teacher)
    d.say(f"Mag de foto van {a.name.display}?")
    replies = d.say(f"{b.name.display} op de website")
    answer = having(replies, "allowed")
    assert answer.data["person_key"] == b.key and b.name.display in answer.text
    assert a.name.display not in shown(replies)


@scenario("defects")
def defect3_breach_report_during_offboarding_confirmation(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 1 december uit dienst")
    aside, intake = d.say("Ik ben mijn laptop kwijt met leerlingdossiers")
    assert aside.data["put_aside"] is True and x.name.display in aside.text
    assert intake.data["step"] == "discovered_at"
    after = d.say("ja")  # an answer to the intake's question now, never the old plan's
    none_having(after, "confirmed")
    assert d.world.overrides() == [] and d.world.tasks() == []
    assert d.world.open_flows() == ["breach"]


# -- 4: no privacy officer -------------------------------------------------------------------


def _fg_claims(text: str) -> list[str]:
    claims = ("is direct ingelicht", "wordt nu ingelicht", "has been told, will",
              "is being told now", "naar de FG", "to the privacy officer at once")
    return [claim for claim in claims if claim in text]


@scenario("defects", config=without_privacy_officer)
def defect4_no_privacy_officer_never_says_fg_informed(d: Driver, c: Cast) -> None:
    d.as_person(c.teacher_a)
    (intake,) = d.say("Ik ben een usb-stick kwijt met cijferlijsten van 28 leerlingen")
    assert _fg_claims(intake.text) == [], intake.text
    assert "leg ik je melding meteen vast" in intake.text
    reported = d.say("meld nu")
    filed = having(reported, "breach_id")
    assert _fg_claims(shown(reported)) == [], filed.text
    assert "Er is geen FG (functionaris gegevensbescherming) ingesteld" in filed.text
    assert "niemand ingelicht" in filed.text and "Stafbureau" in filed.text
    assert filed.data["privacy_officer_told"] is False
    assert filed.data["privacy_officer_reached"] == 0
    (breach,) = breaches(d)
    assert "privacy_officer" not in breach.notified
    (told,) = d.world.events("breach.privacy_officer", key=breach.id)
    assert change(told) == {"outcome": "not_configured", "told": False, "reached": 0,
                            "configured": 0}
    assert "nobody told" in told.reason
    assert d.notices_for(c.privacy_officer) == []


@scenario("defects", config=without_privacy_officer)
def defect4_english_no_privacy_officer(d: Driver, c: Cast) -> None:
    d.as_person(c.teacher_a)
    intake = d.say("/databreach I lost a laptop with care files this morning")[0]
    assert _fg_claims(intake.text) == [] and "records your report at once" in intake.text
    reported = d.press("Report now")
    filed = having(reported, "breach_id")
    assert _fg_claims(filed.text) == [], filed.text
    assert "No privacy officer (FG) is configured, so nobody has been told yet" in filed.text
    (breach,) = breaches(d)
    assert breach.notified == {}
    assert change(d.world.events("breach.privacy_officer")[0])["told"] is False


# -- 5: once, however often it arrives --------------------------------------------------------


def _one_set(d: Driver, c: Cast, person_key: str) -> None:
    (override,) = d.world.overrides()
    assert override.person_key == person_key
    assert len(d.world.tasks()) == 4
    assert len(d.world.events("offboarding.requested")) == 1
    assert len(d.world.events("task.opened")) == 4
    assert len(d.world.chat_actions("offboarding-confirm:")) == 1
    office = d.notices_for(c.central_office)
    assert sorted(n.data["kind"] for n in office) == ["approve_deletion", "portal_access",
                                                      "portal_access"]


@scenario("defects")
def defect5_confirm_pressed_twice_and_press_redelivered(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[2]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    confirm = d.button("Bevestigen")
    first = having(d.press(confirm), "confirmed")
    again = d.press(confirm)  # a second click: its own delivery
    repeated = having(again, "already_confirmed")
    assert repeated.data["override_id"] == first.data["override_id"]
    assert repeated.text == "Dit was al bevestigd; ik heb het niet nog eens gedaan."
    retried = d.redeliver()  # Slack's retry of that click: the same payload
    if d.front == "slack":
        assert retried == []  # dropped before it reaches the engine
        assert len(d.world.chat_actions("slack-action:")) == 2
    else:
        having(retried, "already_confirmed")
    _one_set(d, c, x.key)


@scenario("defects")
def defect5_typed_ja_redelivered(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[2]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    having(d.say("ja"), "confirmed")
    retried = d.redeliver()  # the same direct message again (Slack: the same event_id)
    if d.front == "slack":
        assert retried == []
        assert len(d.world.chat_actions("slack-event:")) == 2
    else:
        assert having(retried, "help").data["help"] == "no_open_question"
    _one_set(d, c, x.key)


@scenario("defects")
def defect5_press_then_typed_ja_then_press_again(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[2]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    confirm = d.button("Bevestigen")
    having(d.press(confirm), "confirmed")
    (asked,) = d.say("ja")  # nothing open any more: asked, not guessed
    assert asked.data == {"help": "no_open_question"}
    having(d.press(confirm), "already_confirmed")
    _one_set(d, c, x.key)


@scenario("defects")
def defect5_task_done_pressed_twice_closes_it_once(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[2]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    d.press("Bevestigen")
    (portal,) = [m for m in d.notices_for(c.central_office)
                 if m.data.get("kind") == "portal_access"][:1]
    d.as_person(c.central_office)
    (done,) = d.press(portal.buttons[0])
    assert done.data["status"] == "done"
    (again,) = d.press(portal.buttons[0])
    assert again.data["status"] == "done" and again.text == "Deze taak was al afgerond."
    retried = d.redeliver()
    assert retried == [] if d.front == "slack" else retried[0].data["status"] == "done"
    closed = [e for e in d.world.events("task.%") if e.action != "task.opened"]
    assert len(closed) == 1, [e.action for e in closed]
    assert [t.status.value for t in d.world.tasks(x)].count("done") == 1


# -- 6: Slack markup in a name from HR --------------------------------------------------------


@scenario("defects")
def defect6_markup_in_hr_name_is_escaped_for_requester_and_office(d: Driver, c: Cast) -> None:
    k = c.markup
    name = k.name.display
    d.as_person(c.leader_a)
    asked = d.say("Kees Bakker gaat per 4 december uit dienst")
    plan = asked[-1]
    if plan.data.get("step") == "pick":  # "Bedoel je Kees Bakker <!channel> ...?"
        (button,) = [b for b in plan.buttons if b.value == k.key]
        assert button.label.startswith(name)  # plain text in Slack: shown as written
        (plan,) = d.press(button)
    assert plan.data["person_key"] == k.key
    assert as_shown(d, name) in plan.text and plan.fact("Wie") == as_shown(d, name)
    done = d.press("Bevestigen")
    office = d.notices_for(c.central_office)
    assert len(office) == 3
    for message in [*asked, plan, *done, *office]:
        assert as_shown(d, name) in message.shown, message.shown
        if d.front == "slack":
            for text in mrkdwn(message):
                assert "<!channel>" not in text and "<https://" not in text, text
            assert "&lt;!channel&gt;" in message.text
    assert [o.person_key for o in d.world.overrides()] == [k.key]


# -- 7: a failing run --------------------------------------------------------------------------


class Down(Exception):
    """The sync of one person cannot reach its target."""


def _failing(calls: list[date]) -> Any:
    def sync(person_key: str, actor: str, today: date) -> Any:
        calls.append(today)
        raise Down("the directory is down")
    return sync


def _failing_services(w: World) -> dict[str, Any]:
    return {"sync": _failing([])}


def _wall_clock() -> datetime:
    return datetime.now(AMSTERDAM)


def _three_failures_then_told(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    (plan,) = d.say(f"{x.name.display} gaat gisteren uit dienst")
    assert plan.data["due_now"] is True
    confirmed = having(d.press("Bevestigen"), "confirmed")
    assert [o.person_key for o in d.world.overrides()] == [x.key]  # recorded all the same
    first = d.world.events("offboarding.failed", key=x.key)
    assert len(first) == 1 and change(first[0])["attempts"] == 1
    if d.front == "console":
        assert confirmed.data["run"]["status"] == "retry"
        assert "ik probeer het binnen een minuut opnieuw" in confirmed.text
    d.advance(0.5)
    d.tick()  # within the pause: nothing is tried
    assert len(d.world.events("offboarding.failed", key=x.key)) == 1
    for pause in (1, 2):
        d.advance(pause + 0.1)
        d.tick()
    failed = d.world.events("offboarding.failed", key=x.key)
    incidents = [change(e)["incident"] for e in failed]
    assert [change(e)["attempts"] for e in failed] == [1, 2, 3]
    assert len(set(incidents)) == 3 and all(len(i) == 8 for i in incidents)
    assert {change(e)["error"] for e in failed} == {"Down"}
    told = [m for m in d.notices_for(c.leader_a) if m.data.get("run")]
    office = [m for m in d.notices_for(c.central_office) if m.data.get("run")]
    assert len(told) == 1 and len(office) == 1
    for message in told + office:
        assert incidents[-1] in message.text and "3 keer mislukt" in message.text
        assert "NIET geblokkeerd" in message.text and x.name.display in message.text
    d.advance(4.1)
    d.tick()  # it keeps trying, without telling anyone again
    assert len(d.world.events("offboarding.failed", key=x.key)) == 4
    assert len([m for m in d.notices_for(c.leader_a) if m.data.get("run")]) == 1
    assert d.world.events("offboarding.run", key=x.key) == []


@scenario("defects", services=_failing_services)
def defect7_sync_fails_three_times_then_requester_and_office_told(d: Driver, c: Cast) -> None:
    _three_failures_then_told(d, c)


@scenario("defects", services=_failing_services, start=_wall_clock)
def defect7_sync_fails_three_times_on_the_wall_clock(d: Driver, c: Cast) -> None:
    _three_failures_then_told(d, c)


def _lock_held_once(w: World) -> dict[str, Any]:
    core = CoreSync(w.config, w.sessions())
    held = [True]

    def sync(person_key: str, actor: str, today: date) -> Any:
        if held.pop() if held else False:
            raise LockHeld("directory", "nightly-run")
        return core(person_key, actor, today)

    return {"sync": sync}


@scenario("defects", services=_lock_held_once)
def defect7_held_lock_waits_quietly_then_runs(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat gisteren uit dienst")
    confirmed = having(d.press("Bevestigen"), "confirmed")
    if d.front == "console":
        assert confirmed.data["run"] == {"status": "retry", "reason": "LockHeld"}
    assert d.world.events("offboarding.failed") == []
    assert d.world.events("offboarding.run") == []
    assert [m for m in d.notices_for(c.central_office) if m.data.get("run")] == []
    d.advance(1)
    d.tick()
    (run,) = d.world.events("offboarding.run", key=x.key)
    assert change(run)["status"] == "applied"
    assert d.world.events("offboarding.failed") == []
    told = [m for m in d.notices_for(c.leader_a) if m.data.get("run")]
    assert len(told) == 1 and told[0].text.startswith(f"Klaar: de toegang van {x.name.display}")
    kinds = {op.type for op in d.world.next_sync(x, d.world.today) if op.key == x.key}
    assert OpType.DISABLE_ACCOUNT not in kinds  # it has been done already


def _fails_once(w: World) -> dict[str, Any]:
    core = CoreSync(w.config, w.sessions())
    failed: list[bool] = []

    def sync(person_key: str, actor: str, today: date) -> Any:
        if not failed:
            failed.append(True)
            raise Down("the directory is down")
        return core(person_key, actor, today)

    return {"sync": sync}


@scenario("defects", services=_fails_once, start=_wall_clock)
def defect7_failed_run_retried_and_applied(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat gisteren uit dienst")
    d.press("Bevestigen")
    (failure,) = d.world.events("offboarding.failed", key=x.key)
    d.advance(1.1)
    d.tick()
    (run,) = d.world.events("offboarding.run", key=x.key)
    assert change(run)["status"] == "applied"
    assert len(d.world.events("offboarding.failed", key=x.key)) == 1
    told = [m for m in d.notices_for(c.leader_a) if m.data.get("run")]
    assert [m.data["run"]["status"] for m in told] == ["applied"]
    assert change(failure)["incident"] not in shown(told)
    assert [m for m in d.notices_for(c.central_office) if m.data.get("run")] == []
