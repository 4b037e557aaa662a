"""Who may not: a teacher offboarding, a leader about someone at another school only, people
HR does not know, buttons that are someone else's."""

from __future__ import annotations

from tests.conversations.checks import change, having, none_having
from tests.conversations.drivers import Driver
from tests.conversations.runner import scenario
from tests.conversations.world import Cast

STRANGER = "iemand@elders.example"


def _refused(d: Driver, reason: str, actor_reason: str) -> None:
    events = [e for e in d.world.events("chat.refused") if e.reason == actor_reason]
    assert events, [e.reason for e in d.world.events("chat.refused")]
    assert d.world.overrides(cancelled=None) == [] and d.world.tasks() == []
    assert d.world.chat_actions("offboarding-confirm:") == []
    assert reason in actor_reason


@scenario("unauthorised")
def teacher_tries_to_offboard(d: Driver, c: Cast) -> None:
    d.as_person(c.teacher_a)
    (refusal,) = d.say(f"{c.colleagues_a[0].name.display} gaat per 1 december uit dienst")
    assert refusal.data == {"refused": "not_allowed"}
    assert refusal.text.startswith("Alleen de locatieleider, een directeur of het Stafbureau")
    assert refusal.buttons == ()
    _refused(d, "not_allowed", "offboarding: not_allowed")


@scenario("unauthorised")
def teacher_tries_to_offboard_in_english_by_slash_command(d: Driver, c: Cast) -> None:
    d.as_person(c.teacher_a)
    replies = d.say(f"/offboard {c.colleagues_a[0].name.display} leaves tomorrow")
    refusal = having(replies, "refused")
    assert refusal.data == {"refused": "not_allowed"}
    assert refusal.text.startswith("Only the location leader, a director or the central office")
    _refused(d, "not_allowed", "offboarding: not_allowed")


@scenario("unauthorised")
def leader_of_a_about_someone_only_at_school_c(d: Driver, c: Cast) -> None:
    other = c.colleagues_c[0]
    d.as_person(c.leader_a)
    (refusal,) = d.say(f"{other.name.display} gaat per 1 december uit dienst")
    assert refusal.data == {"refused": "other_location", "person_key": other.key}
    assert refusal.text.startswith(f"{other.name.display} werkt op een andere locatie dan jij.")
    assert refusal.buttons == ()
    _refused(d, "other_location", "offboarding: other_location")
    (refused,) = [e for e in d.world.events("chat.refused")]
    assert refused.object_key == other.key


@scenario("unauthorised")
def leader_of_a_about_someone_at_school_c_in_english(d: Driver, c: Cast) -> None:
    other = c.colleagues_c[1]
    d.as_person(c.leader_a)
    (refusal,) = d.say(f"{other.name.display} leaves on 4 December")
    assert refusal.data["refused"] == "other_location"
    assert refusal.text == (f"{other.name.display} works at another location. Only the "
                            "location leader there, a director or the central office can "
                            "report this.")
    _refused(d, "other_location", "offboarding: other_location")


@scenario("unauthorised")
def unknown_person_is_refused_politely(d: Driver, c: Cast) -> None:
    d.as_person(STRANGER)
    (refusal,) = d.say(f"{c.colleagues_a[0].name.display} gaat per 1 december uit dienst")
    assert refusal.data == {"refused": "unknown_person"}
    assert refusal.text.startswith("Sorry, ik kan je niet helpen: ik vind je niet als "
                                   "medewerker van het bestuur.")
    (event,) = d.world.events("chat.refused")
    assert event.reason.startswith("unknown person")
    assert d.world.overrides() == [] and d.world.events("chat.turn") == []


@scenario("unauthorised")
def unknown_person_slash_offboard_refused_in_english(d: Driver, c: Cast) -> None:
    d.as_person(STRANGER)
    (refusal,) = d.say(f"/offboard {c.colleagues_a[0].name.display} leaves tomorrow")
    assert refusal.data == {"refused": "unknown_person"}
    assert refusal.text.startswith("Sorry, I can't help you: I can't find you as a member of "
                                   "staff of the board.")
    assert d.world.overrides() == []


@scenario("unauthorised")
def unknown_person_presses_a_leaders_confirm_button(d: Driver, c: Cast) -> None:
    d.as_person(c.leader_a)
    d.say(f"{c.colleagues_a[0].name.display} gaat per 4 december uit dienst")
    confirm = d.button("Bevestigen")
    d.as_person(STRANGER)
    (refusal,) = d.press(confirm)
    assert refusal.data == {"refused": "unknown_person"}
    assert d.world.overrides() == [] and d.world.chat_actions("offboarding-confirm:") == []


@scenario("unauthorised")
def former_employee_is_refused(d: Driver, c: Cast) -> None:
    gone = d.world.staff("staff:100006")  # HR: left ten days ago
    assert gone.last_day is not None and gone.last_day < d.world.today
    d.as_person(gone)
    (refusal,) = d.say("Mag de foto van groep 5a op de website?")
    assert refusal.data == {"refused": "unknown_person"}
    assert d.world.events("chat.answered") == []


@scenario("unauthorised")
def leader_presses_the_central_offices_task_button(d: Driver, c: Cast) -> None:
    x = c.colleagues_a[0]
    d.as_person(c.leader_a)
    d.say(f"{x.name.display} gaat per 4 december uit dienst")
    d.press("Bevestigen")
    office_task = d.notices_for(c.central_office)[0]
    (button,) = office_task.buttons
    (refusal,) = d.press(button)  # the leader, with the central office's button
    assert refusal.data == {"refused": "not_allowed", "person_key": x.key}
    assert refusal.text == "Deze taak is niet voor jou."
    task = next(t for t in d.world.tasks(x) if t.id == office_task.data["task"])
    assert task.status.value == "open"
    d.as_person(c.central_office)
    (done,) = d.press(button)  # the central office may
    assert done.data["status"] == "done"
    assert done.text.startswith("Genoteerd als gedaan.")


@scenario("unauthorised")
def teacher_presses_a_leaders_confirm_button(d: Driver, c: Cast) -> None:
    d.as_person(c.leader_a)
    d.say(f"{c.colleagues_a[0].name.display} gaat per 4 december uit dienst")
    confirm = d.button("Bevestigen")
    d.as_person(c.teacher_a)
    replies = d.press(confirm)
    assert having(replies, "refused").data["refused"] == "not_allowed"
    none_having(replies, "confirmed")
    _refused(d, "not_allowed", "offboarding: not_allowed")


@scenario("unauthorised")
def leader_presses_the_privacy_officers_breach_button(d: Driver, c: Cast) -> None:
    d.as_person(c.teacher_a)
    d.say("/datalek laptop gestolen met zorgdossiers, net")
    breach_id = having(d.press("Meld nu"), "breach_id").data["breach_id"]
    (notice,) = d.notices_for(c.privacy_officer)
    confirm = next(b for b in notice.buttons if b.action == "confirm")
    d.as_person(c.leader_a)
    (refusal,) = d.press(confirm)
    assert refusal.data == {"refused": "not_privacy_officer"}
    assert refusal.text == "Alleen de FG kan een datalekbesluit bevestigen of corrigeren."
    from provisioner.privacy.breaches import BreachRegister

    assert BreachRegister(d.world.sessions()).get(breach_id).decision.confirmed is False


@scenario("unauthorised")
def director_of_the_board_may_offboard_at_any_school(d: Driver, c: Cast) -> None:
    other = c.colleagues_c[2]
    d.as_person(c.director)
    (plan,) = d.say(f"{other.name.display} gaat per 4 december uit dienst")
    assert plan.data["person_key"] == other.key and plan.data["scope"] == "all"
    d.press("Bevestigen")
    (override,) = d.world.overrides()
    assert (override.person_key, override.locations) == (other.key, None)
    (requested,) = d.world.events("offboarding.requested")
    assert change(requested)["requester"] == c.director.key
    sis = next(t for t in d.world.tasks(other) if t.kind == "sis_account")
    assert sis.assignee == "central_office"  # not the director's: she leads no location there
