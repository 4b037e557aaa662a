"""Names and dates: two people with one name, a misspelt name, and the ways people write a
last working day. The confirmation restates the day as weekday and full date in the language
of the conversation. Today is Sunday 22 November 2026."""

from __future__ import annotations

from datetime import date

from tests.conversations.checks import change, having, none_having
from tests.conversations.drivers import Driver
from tests.conversations.runner import scenario
from tests.conversations.world import Cast

# -- two people, one name ----------------------------------------------------------------------


@scenario("names_dates")
def same_name_central_office_gets_pick_list_with_location_and_role(d: Driver, c: Cast
                                                                   ) -> None:
    d.as_person(c.central_office)
    (pick,) = d.say("Sanne Jansen gaat per 1 december uit dienst")
    assert pick.text == "Ik vind 2 mensen met die naam. Wie bedoel je?"
    assert sorted(pick.data["candidates"]) == sorted([c.sanne_a.key, c.sanne_c.key])
    assert sorted(b.label for b in pick.buttons) == [
        "Sanne Jansen (Groepsleerkracht, OBS De Regenboog)",
        "Sanne Jansen (Onderwijsassistent, IKC Het Palet)"]
    (plan,) = d.press("Sanne Jansen (Onderwijsassistent, IKC Het Palet)")
    assert plan.data["person_key"] == c.sanne_c.key
    assert plan.fact("Stopt") == "Onderwijsassistent, IKC Het Palet"
    assert "dinsdag 1 december 2026" in plan.text
    d.press("Bevestigen")
    (override,) = d.world.overrides()
    assert (override.person_key, override.locations) == (c.sanne_c.key, None)


@scenario("names_dates")
def same_name_location_leader_sees_only_her_own(d: Driver, c: Cast) -> None:
    d.as_person(c.leader_a)
    (plan,) = d.say("Sanne Jansen gaat per 1 december uit dienst")
    assert plan.data["step"] == "confirm" and plan.data["person_key"] == c.sanne_a.key
    assert "candidates" not in plan.data and "IKC Het Palet" not in plan.shown
    assert plan.fact("Stopt") == "Groepsleerkracht, OBS De Regenboog"
    (turn,) = d.world.events("chat.turn")
    assert turn.object_key == c.sanne_a.key and d.world.open_flows() == ["offboarding"]


@scenario("names_dates")
def same_name_other_leader_sees_only_hers_in_english(d: Driver, c: Cast) -> None:
    d.as_person(c.leader_c)
    (plan,) = d.say("Sanne Jansen leaves on 4 December")
    assert plan.data["person_key"] == c.sanne_c.key
    assert plan.fact("Ends") == "Onderwijsassistent, IKC Het Palet"
    assert plan.fact("Last working day") == "Friday 4 December 2026"
    assert [e.object_key for e in d.world.events("chat.turn")] == [c.sanne_c.key]


@scenario("names_dates")
def same_name_picked_by_typed_number(d: Driver, c: Cast) -> None:
    d.as_person(c.central_office)
    (pick,) = d.say("Sanne Jansen gaat per 1 december uit dienst")
    second = pick.data["candidates"][1]
    (plan,) = d.say("2")
    assert plan.data["person_key"] == second and plan.data["last_day"] == "2026-12-01"
    none_having([plan], "refused")
    assert d.world.overrides() == [] and d.world.open_flows() == ["offboarding"]


@scenario("names_dates")
def exact_name_with_the_particle_a_goes_straight_to_the_plan(d: Driver, c: Cast) -> None:
    x = next(p for p in c.colleagues_a if " A " in p.name.display)  # Wouter Tjon A Fong
    d.as_person(c.leader_a)
    (plan,) = d.say(f"{x.name.display} gaat per 4 december uit dienst")
    assert plan.data.get("step") == "confirm", plan.text  # typed as HR writes it: no question
    assert plan.data["person_key"] == x.key and x.name.display in plan.text
    (turn,) = d.world.events("chat.turn")
    assert turn.object_key == x.key


# -- a misspelt name ---------------------------------------------------------------------------


def _found_joost(d: Driver, c: Cast, text: str) -> None:
    replies = d.say(text)
    none_having(replies, "refused")
    assert any(c.joost.name.display in m.shown or any(c.joost.name.display in b.label
                                                       for b in m.buttons) for m in replies)
    last = replies[-1]
    if last.data.get("step") != "confirm":  # "did you mean ...?": a button leads to him
        chosen = next(b for b in last.buttons if b.value == c.joost.key)
        last = d.press(chosen)[-1]
    assert last.data["person_key"] == c.joost.key and last.data["step"] == "confirm"


@scenario("names_dates")
def typo_in_name_jost_de_grot(d: Driver, c: Cast) -> None:
    d.as_person(c.leader_a)
    _found_joost(d, c, "jost de grot gaat per 1 december uit dienst")


@scenario("names_dates")
def typo_in_name_in_english(d: Driver, c: Cast) -> None:
    d.as_person(c.leader_a)
    _found_joost(d, c, "Jost de Grot leaves on 1 December")


@scenario("names_dates")
def unknown_name_is_refused_with_a_hint_and_can_be_retyped(d: Driver, c: Cast) -> None:
    d.as_person(c.leader_a)
    (refusal,) = d.say("Xavier Zwanenburg-Quist gaat per 1 december uit dienst")
    assert refusal.data == {"refused": "not_found"}
    assert "Controleer de spelling" in refusal.text
    (plan,) = d.say(c.joost.name.display)  # the bot still asks who: the name alone will do
    assert plan.data["person_key"] == c.joost.key and plan.data["last_day"] == "2026-12-01"


# -- dates ---------------------------------------------------------------------------------------


def _restated(d: Driver, c: Cast, text: str, iso: str, spoken: str, label: str) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    (plan,) = d.say(text.format(name=x.name.display))
    assert plan.data.get("step") == "confirm", plan.text
    assert plan.data["last_day"] == iso
    assert spoken in plan.text and plan.fact(label) == spoken
    d.press(plan.buttons[0])
    (override,) = d.world.overrides()
    assert override.last_day == date.fromisoformat(iso)
    (requested,) = d.world.events("offboarding.requested")
    assert change(requested)["last_day"] == iso


@scenario("names_dates")
def date_vrijdag(d: Driver, c: Cast) -> None:
    _restated(d, c, "{name} gaat vrijdag uit dienst", "2026-11-27",
              "vrijdag 27 november 2026", "Laatste werkdag")


@scenario("names_dates")
def date_eind_van_de_maand(d: Driver, c: Cast) -> None:
    _restated(d, c, "{name} gaat eind van de maand uit dienst", "2026-11-30",
              "maandag 30 november 2026", "Laatste werkdag")


@scenario("names_dates")
def date_over_twee_weken(d: Driver, c: Cast) -> None:
    _restated(d, c, "{name} gaat over twee weken uit dienst", "2026-12-06",
              "zondag 6 december 2026", "Laatste werkdag")


@scenario("names_dates")
def date_1_dec(d: Driver, c: Cast) -> None:
    _restated(d, c, "{name} gaat per 1 dec uit dienst", "2026-12-01",
              "dinsdag 1 december 2026", "Laatste werkdag")


@scenario("names_dates")
def date_31_12(d: Driver, c: Cast) -> None:
    _restated(d, c, "{name} gaat per 31-12 uit dienst", "2026-12-31",
              "donderdag 31 december 2026", "Laatste werkdag")


@scenario("names_dates")
def date_english_friday(d: Driver, c: Cast) -> None:
    _restated(d, c, "{name} leaves on Friday", "2026-11-27", "Friday 27 November 2026",
              "Last working day")


@scenario("names_dates")
def date_english_end_of_the_month(d: Driver, c: Cast) -> None:
    _restated(d, c, "{name} is leaving at the end of the month", "2026-11-30",
              "Monday 30 November 2026", "Last working day")


@scenario("names_dates")
def date_english_in_two_weeks(d: Driver, c: Cast) -> None:
    _restated(d, c, "{name} leaves in two weeks", "2026-12-06", "Sunday 6 December 2026",
              "Last working day")


@scenario("names_dates")
def date_more_than_a_year_ahead_is_asked_again(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    (question,) = d.say(f"{x.name.display} gaat per 31-12-2028 uit dienst")
    assert question.data == {"step": "day", "person_key": x.key, "problem": "too_far"}
    (plan,) = d.say("31-12")
    assert plan.data["last_day"] == "2026-12-31"
    assert d.world.overrides() == []


@scenario("names_dates")
def date_not_understood_then_given(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat uit dienst")
    (again,) = d.say("binnenkort")
    assert again.data == {"step": "day", "problem": "no_date"}
    assert again.text.startswith("Die datum begrijp ik niet.")
    (plan,) = d.say("1 dec")
    assert plan.data["last_day"] == "2026-12-01" and "dinsdag 1 december 2026" in plan.text
    assert [change(e)["step"] for e in d.world.events("chat.turn")] == [
        "start", "answer", "answer"]


@scenario("names_dates")
def date_gisteren_runs_the_offboarding_at_once(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[4]
    d.as_person(c.leader_a)
    (plan,) = d.say(f"{x.name.display} gaat gisteren uit dienst")
    assert plan.data["due_now"] is True and plan.data["last_day"] == "2026-11-21"
    assert plan.fact("Toegang stopt") == "direct na bevestiging"
    d.press("Bevestigen")
    (run,) = d.world.events("offboarding.run", key=x.key)
    assert change(run)["status"] == "applied"
    done = [m for m in d.inbox(c.leader_a) if m.text.startswith("Klaar: de toegang van")]
    assert len(done) == 1 and x.name.display in done[0].text
    disabled = [e for e in d.world.events(key=x.key) if "disable" in e.action]
    assert disabled and {e.actor for e in disabled} == {d.world.events(
        "offboarding.requested")[0].actor}


@scenario("names_dates")
def date_hr_has_an_earlier_day_which_applies(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[1]
    d.hr_change(x.employee_number, lambda row: {**row, "end_date": "2026-12-10"})
    d.as_person(c.leader_a)
    (plan,) = d.say(f"{x.name.display} gaat per 31-12 uit dienst")
    assert plan.data["last_day"] == "2026-12-10"
    assert "donderdag 10 december 2026" in plan.text
    assert plan.fact("Let op") == "HR heeft al een eerdere laatste werkdag; die geldt."
    having(d.press("Bevestigen"), "confirmed")
    assert d.world.overrides()[0].last_day == date(2026, 12, 10)
