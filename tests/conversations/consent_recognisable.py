"""Photo consent with pupils who will not be recognisable, and a medium the school does not
know (issue 13 items 3 and 7), on both front ends: a hurried user leaves two pupils out, makes
a typo in a name, names someone not in the group."""

from __future__ import annotations

from provisioner.directory import PupilEntry
from provisioner.privacy.consent import ConsentRegister, GroupConsentAnswer
from tests.conversations.checks import change
from tests.conversations.drivers import Driver
from tests.conversations.runner import scenario
from tests.conversations.world import Cast


def _group_check(d: Driver, c: Cast) -> GroupConsentAnswer:
    register = ConsentRegister(d.world.sessions(), d.world.config)
    return register.check_group(c.group.group_id, "website", d.world.today)


def _typo(pupil: PupilEntry) -> str:
    """The display name with the last letter of the family name left out."""
    return pupil.name.display[:-1]


@scenario("consent_breach")
def consent_group_with_two_pupils_not_recognisable_in_dutch(d: Driver, c: Cast) -> None:
    a, b, code = c.pupil_a, c.pupil_b, c.group.name.split()[-1]
    d.as_person(c.group_teacher)
    full = _group_check(d, c)
    both = f"{a.name.display} en {b.name.display}"
    (answer,) = d.say(f"Mag de groepsfoto van groep {code} op de website, behalve {both}, "
                      "die staan er onherkenbaar op")  # fmt: skip
    still = [p for p in full.without if p.key not in (a.key, b.key)]
    assert answer.data["allowed"] is (not still)
    assert answer.data["not_recognisable"] == 2
    assert a.name.display in answer.shown and b.name.display in answer.shown
    assert "onherkenbaar" in answer.shown
    (event,) = d.world.events("consent.not_recognisable")
    assert event.object_key == f"class:{c.group.group_id}"
    assert change(event)["pupils"] == sorted([a.key, b.key])
    assert a.name.display not in event.change + event.reason  # ids only


@scenario("consent_breach")
def consent_group_except_a_pupil_typed_hastily_in_english(d: Driver, c: Cast) -> None:
    a, code = c.pupil_a, c.group.name.split()[-1]
    d.as_person(c.group_teacher)
    (answer,) = d.say(f"can the {code} class photo go on the website except {_typo(a)}, "
                      "she is not recognisable")  # fmt: skip
    assert answer.data["not_recognisable"] == 1 and "unmatched" not in answer.data
    assert a.name.display in answer.shown and "unrecognisable" in answer.shown
    (event,) = d.world.events("consent.not_recognisable")
    assert change(event)["pupils"] == [a.key]


@scenario("consent_breach")
def consent_group_behalve_someone_not_in_the_group(d: Driver, c: Cast) -> None:
    code = c.group.name.split()[-1]
    d.as_person(c.group_teacher)
    full = _group_check(d, c)
    (answer,) = d.say(f"Mag de groepsfoto van {code} op de website, behalve Zebedeus Quist?")
    assert answer.data["unmatched"] == 1 and "not_recognisable" not in answer.data
    assert answer.data["allowed"] is full.allowed  # nobody was left out
    assert "niet (als één leerling) gevonden" in answer.shown
    assert d.world.events("consent.not_recognisable") == []


@scenario("consent_breach")
def consent_single_pupil_not_recognisable_in_english(d: Driver, c: Cast) -> None:
    a = c.pupil_a
    d.as_person(c.group_teacher)
    (answer,) = d.say(f"Can the photo of {a.name.display} go on Instagram? You only see "
                      "her from behind.")  # fmt: skip
    assert (answer.data["allowed"], answer.data["reason"], answer.data["condition"]) == (
        True, "no_consent_needed", "not_recognisable",
    )  # fmt: skip
    assert "stays unrecognisable" in answer.shown
    (event,) = d.world.events("consent.not_recognisable")
    assert event.object_key == a.key


@scenario("consent_breach")
def consent_unknown_medium_is_asked_then_chosen(d: Driver, c: Cast) -> None:
    a = c.pupil_a
    d.as_person(c.group_teacher)
    (question,) = d.say(f"Mag de foto van {a.name.display} in de wervingsfolder?")
    assert question.text.startswith("'wervingsfolder' ken ik niet als medium van de school.")
    (answer,) = d.press("een folder")
    assert answer.data["medium"] == "folder" and "in een folder" in answer.text
    assert d.world.open_flows() == []
