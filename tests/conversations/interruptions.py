"""Interruptions and stale states: late confirmations, buttons of earlier plans, HR changing
underneath a plan, stop words, lapsed conversations, a bare "ja" with nothing open."""

from __future__ import annotations

from datetime import date

from tests.conversations.checks import change, having, none_having, shown
from tests.conversations.drivers import Driver
from tests.conversations.runner import scenario
from tests.conversations.world import Cast


def _nothing_recorded(d: Driver) -> None:
    assert d.world.overrides(cancelled=None) == []
    assert d.world.tasks() == []
    assert d.world.events("offboarding.requested") == []
    assert d.world.chat_actions("offboarding-confirm:") == []


@scenario("interruptions")
def confirm_pressed_after_16_minutes_is_refused_and_shown_afresh(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    (plan,) = d.say(f"{x.name.display} gaat per 4 december uit dienst")
    d.advance(16)
    refusal, fresh = d.press("Bevestigen")
    assert refusal.data == {"refused": "stale", "reason": "too_late", "person_key": x.key}
    assert refusal.text.startswith("Ik heb niets gedaan: deze bevestiging hoort bij een plan")
    assert "meer dan 15 minuten geleden" in refusal.text
    assert fresh.data["step"] == "confirm" and fresh.data["person_key"] == x.key
    assert fresh.data["fingerprint"] == plan.data["fingerprint"]  # the same plan, shown again
    assert fresh.buttons[0].value != plan.buttons[0].value  # ... with a new identity
    _nothing_recorded(d)
    assert having(d.press("Bevestigen"), "confirmed").data["person_key"] == x.key
    assert [o.person_key for o in d.world.overrides()] == [x.key]


@scenario("interruptions")
def typed_yes_after_16_minutes_is_refused_in_english(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} leaves on 4 December")
    d.advance(16)
    replies = d.say("yes")
    refusal = having(replies, "refused")
    assert refusal.data["reason"] == "too_late"
    assert refusal.text.startswith("I did nothing: this confirmation belongs to a plan that no "
                                   "longer holds (it was shown more than 15 minutes ago)")
    assert replies[-1].data["step"] == "confirm"
    _nothing_recorded(d)


@scenario("interruptions")
def button_of_an_earlier_plan_pressed_after_a_new_plan(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 1 december uit dienst")
    old = d.button("Bevestigen")
    aside, newer = d.say(f"{x.name.display} gaat per 4 december uit dienst")
    assert aside.data["put_aside"] is True and newer.data["last_day"] == "2026-12-04"
    refusal, fresh = d.press(old)
    assert refusal.data == {"refused": "stale", "reason": "moved_on", "person_key": x.key}
    assert "het gesprek is intussen verder gegaan" in refusal.text
    assert fresh.data["step"] == "confirm"
    _nothing_recorded(d)


@scenario("interruptions")
def cancel_button_of_an_earlier_plan_changes_nothing(d: Driver, c: Cast) -> None:
    x, y = c.colleagues_a[0], c.colleagues_a[1]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 1 december uit dienst")
    old_cancel = d.button("Annuleren")
    d.say(f"{y.name.display} gaat per 4 december uit dienst")
    (refusal,) = d.press(old_cancel)
    assert refusal.data == {"refused": "stale"}
    assert refusal.text == "Die knop hoort bij een eerder plan; er is niets veranderd."
    assert d.world.open_flows() == ["offboarding"]  # y's plan stays open
    done = d.say("ja")  # y's plan is still open
    assert having(done, "confirmed").data["person_key"] == y.key


@scenario("interruptions")
def hr_changed_between_plan_and_press_is_refused_as_changed(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[1]
    d.as_person(c.leader_a)
    (plan,) = d.say(f"{x.name.display} gaat per 31-12 uit dienst")
    d.hr_change(x.employee_number, lambda row: {**row, "end_date": "2026-12-18"})
    refusal, fresh = d.press("Bevestigen")
    assert refusal.data == {"refused": "stale", "reason": "changed", "person_key": x.key}
    assert "er is intussen iets veranderd (bijvoorbeeld in HR)" in refusal.text
    assert fresh.data["last_day"] == "2026-12-18"
    assert fresh.fact("Let op") == "HR heeft al een eerdere laatste werkdag; die geldt."
    assert fresh.data["fingerprint"] != plan.data["fingerprint"]
    _nothing_recorded(d)
    d.press("Bevestigen")
    assert [(o.person_key, o.last_day) for o in d.world.overrides()] == [
        (x.key, date(2026, 12, 18))]


@scenario("interruptions")
def stop_at_the_confirmation_records_nothing(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    (stopped,) = d.say("stop")
    assert stopped.data == {"stopped": True}
    assert stopped.text == "Goed, ik ben gestopt. Er is niets veranderd."
    (asked,) = d.say("ja")
    assert asked.data == {"help": "no_open_question"}
    _nothing_recorded(d)
    assert len(d.world.events("chat.stopped")) == 1
    assert d.world.open_flows() == []


@scenario("interruptions")
def annuleer_at_the_date_question(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    (question,) = d.say(f"{x.name.display} gaat uit dienst")
    assert question.data == {"step": "day", "person_key": x.key}
    assert question.text == f"Wat is de laatste werkdag van {x.name.display}?"
    (stopped,) = d.say("annuleer")
    assert stopped.data == {"stopped": True}
    assert d.world.open_flows() == []
    (help_,) = d.say("31-12")  # the date question is gone
    assert help_.data.get("help") is True
    _nothing_recorded(d)


@scenario("interruptions")
def conversation_left_31_minutes_then_ja(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    d.advance(31)
    lapsed, asked = d.say("ja")
    assert lapsed.data == {"expired_conversation": True}
    assert lapsed.text == (f"Ons vorige gesprek (het uit dienst melden van {x.name.display}) "
                           "is verlopen na 30 minuten stilte; daarmee is niets gedaan.")
    assert asked.data == {"help": "no_open_question"}
    _nothing_recorded(d)
    assert len(d.world.events("chat.expired")) == 1


@scenario("interruptions")
def conversation_left_31_minutes_then_a_new_request(d: Driver, c: Cast) -> None:
    x, y = c.colleagues_a[0], c.colleagues_a[1]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} leaves on 4 December")
    d.advance(31)
    lapsed, plan = d.say(f"{y.name.display} leaves on 11 December")
    assert lapsed.text.startswith(f"Our earlier conversation (the offboarding of "
                                  f"{x.name.display}) expired after 30 minutes of silence")
    assert plan.data["person_key"] == y.key
    d.press("Confirm")
    assert [o.person_key for o in d.world.overrides()] == [y.key]


@scenario("interruptions")
def ja_with_nothing_open_asks_what_it_refers_to(d: Driver, c: Cast) -> None:
    d.as_person(c.leader_a)
    (asked,) = d.say("Ja!")
    assert asked.data == {"help": "no_open_question"}
    assert asked.text.startswith("Waar zeg je ja of nee op? Er staat bij mij geen vraag open, "
                                 "dus ik heb niets gedaan.")
    _nothing_recorded(d)
    (event,) = d.world.events("chat.help")
    assert event.reason == "-: no_open_question"


@scenario("interruptions")
def yes_with_nothing_open_in_english(d: Driver, c: Cast) -> None:
    d.as_person(c.central_office)
    (asked,) = d.say("yes")
    assert asked.data == {"help": "no_open_question"}
    assert asked.text.startswith("What are you saying yes or no to? I have no open question")
    (again,) = d.say("nee")
    assert again.data == {"help": "no_open_question"}
    _nothing_recorded(d)


@scenario("interruptions")
def cancel_after_confirm_is_refused_as_already_confirmed(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    cancel = d.button("Annuleren")
    confirmed = having(d.press("Bevestigen"), "confirmed")
    (refusal,) = d.press(cancel)
    assert refusal.data["refused"] == "already_confirmed"
    assert refusal.data["override_id"] == confirmed.data["override_id"]
    assert refusal.text.startswith("Dit was al bevestigd, dus annuleren kan hier niet meer.")
    (override,) = d.world.overrides(cancelled=None)
    assert override.cancelled is False and override.person_key == x.key
    assert len([t for t in d.world.tasks() if t.status.value == "open"]) == 4


@scenario("interruptions")
def nee_at_the_confirmation_cancels(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    (cancelled,) = d.say("nee")
    assert cancelled.data == {"cancelled": True}
    assert cancelled.text == "Geannuleerd: er is niets veranderd."
    _nothing_recorded(d)
    assert d.world.open_flows() == []


@scenario("interruptions")
def cancel_button_then_confirm_button_of_the_same_plan(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    confirm = d.button("Bevestigen")
    having(d.press("Annuleren"), "cancelled")
    replies = d.press(confirm)  # the plan was cancelled: shown afresh, not applied
    assert having(replies, "refused").data["reason"] == "moved_on"
    none_having(replies, "confirmed")
    _nothing_recorded(d)


@scenario("interruptions")
def stop_with_nothing_open(d: Driver, c: Cast) -> None:
    d.as_person(c.teacher_a)
    (reply,) = d.say("stop")
    assert reply.data == {"help": "nothing_open"}
    assert reply.text == "Er loopt nu geen gesprek met mij, dus er is niets te stoppen."
    (event,) = d.world.events("chat.help")
    assert event.reason == "-: nothing_open" and d.world.open_flows() == []


@scenario("interruptions")
def consent_question_puts_an_open_offboarding_aside(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    replies = d.say(f"Mag de foto van {c.group.name.lower()} op de website?")
    aside = having(replies, "put_aside")
    assert x.name.display in aside.text
    answer = having(replies, "allowed")
    assert answer.data["medium"] == "website"
    assert d.world.open_flows() == []  # the answer closed the consent question too
    (asked,) = d.say("ja")  # the offboarding was put aside: nothing to confirm
    assert asked.data == {"help": "no_open_question"}
    _nothing_recorded(d)


@scenario("interruptions")
def slash_command_puts_an_open_conversation_aside(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    replies = d.say(f"/toestemming {c.group.name} op de website?")
    assert having(replies, "put_aside").text.startswith(
        f"Ik heb het uit dienst melden van {x.name.display} opzijgezet")
    assert having(replies, "allowed").data["medium"] == "website"
    _nothing_recorded(d)
    (event,) = d.world.events("chat.put_aside")
    assert change(event) == {"flow": "offboarding", "by": "consent"}


@scenario("interruptions")
def date_asked_then_given(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    question = d.say(f"/uitdienst {x.name.display}")[0]  # (Slack adds: answer in the DM)
    assert question.data == {"step": "day", "person_key": x.key}
    (plan,) = d.say("31-12")
    assert plan.data["last_day"] == "2026-12-31" and x.name.display in plan.text
    d.press("Bevestigen")
    assert [(o.person_key, o.last_day) for o in d.world.overrides()] == [
        (x.key, date(2026, 12, 31))]


@scenario("interruptions")
def unclear_answer_at_the_confirmation_is_asked_again(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    (reminder,) = d.say("misschien")
    assert reminder.data == {"step": "confirm", "person_key": x.key}
    assert reminder.text.startswith(f"Je hebt nog niet bevestigd: {x.name.display} uit dienst "
                                    "melden, laatste werkdag vrijdag 4 december 2026.")
    _nothing_recorded(d)
    assert having(d.say("ja"), "confirmed").data["person_key"] == x.key
    assert "misschien" not in shown(d.inbox(c.central_office))


@scenario("interruptions")
def pick_button_of_a_put_aside_question_is_refused(d: Driver, c: Cast) -> None:
    y = c.colleagues_a[1]
    d.as_person(c.central_office)
    d.say("Sanne Jansen gaat per 1 december uit dienst")
    sanne = d.button("pick")
    d.say(f"{y.name.display} gaat per 4 december uit dienst")
    (refusal,) = d.press(sanne)
    assert refusal.data == {"refused": "expired"}
    assert refusal.text.startswith("Deze knop hoort bij een afgelopen gesprek.")
    _nothing_recorded(d)


@scenario("interruptions")
def hr_ended_the_post_before_the_press_is_refused_as_already_gone(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[1]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 31-12 uit dienst")
    d.hr_change(x.employee_number, lambda row: {**row, "end_date": "2026-11-20"})
    replies = d.press("Bevestigen")
    refusal = having(replies, "refused")
    assert refusal.data == {"refused": "already_gone", "person_key": x.key}
    assert refusal.text.startswith(f"{x.name.display} is al uit dienst (laatste werkdag "
                                   "vrijdag 20 november 2026).")
    none_having(replies, "confirmed")
    _nothing_recorded(d)
