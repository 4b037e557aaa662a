"""Photo-consent questions through both front ends (signed Slack requests to the app with a
fake Slack Web API, and the console), in Dutch and English, including the refusals.

The expected answer comes from the consent register itself (tested on its own in
tests/test_consent_register.py): these tests check that the front ends ask the right
question, deliver the answer privately, name only the pupils without consent, refuse whom
they must, and audit it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from connectors.emulators.slack import Call
from provisioner.directory import GroupEntry, PupilEntry, StaffEntry
from provisioner.domain.models import Role
from provisioner.privacy.consent import ConsentRegister
from provisioner.store.tables import AuditEvent
from tests.board import TODAY
from tests.slack_harness import BotBoard, bot_board

pytestmark = pytest.mark.slow

SCHOOL = "07XY00"
TEACHER, LEADER, ELSEWHERE, NOT_THEIRS = "U0TEACH", "U0LEAD", "U0ELSE", "U0NOTMINE"


@dataclass
class Cast:
    group: GroupEntry
    pupils: list[PupilEntry]
    pupil: PupilEntry  # in the group, with a name no other pupil has
    teacher: StaffEntry  # teaches the group
    leader: StaffEntry
    elsewhere: StaffEntry  # a teacher at another location
    not_theirs: StaffEntry  # a teacher at the school who does not teach the group


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BotBoard, Cast]]:
    with bot_board(tmp_path_factory.mktemp("consent-bot")) as bb:
        cast = _cast(bb)
        for user, person in (
            (TEACHER, cast.teacher),
            (LEADER, cast.leader),
            (ELSEWHERE, cast.elsewhere),
            (NOT_THEIRS, cast.not_theirs),
        ):
            bb.slack.add_user(user, str(person.email))  # fmt: skip
        yield bb, cast


def _cast(bb: BotBoard) -> Cast:
    directory = bb.directory()
    staff = {s.key: s for s in bb.staff()}

    def only_teacher(person: StaffEntry) -> bool:
        roles = {post.role for post in person.posts if post.active_on(TODAY)}
        return roles == {Role.TEACHER} and bool(person.email)

    for group in directory.find_groups("5a", [SCHOOL]) + directory.find_groups("6a", [SCHOOL]):
        teachers = [staff[k] for k in sorted(group.teacher_keys) if k in staff]
        teachers = [t for t in teachers if only_teacher(t) and t.locations_on(TODAY) == {SCHOOL}]
        pupils = [p for p in directory.pupils_in(group.group_id) if p.active]
        unique = [p for p in pupils if len(directory.find_pupils(p.name.display)) == 1]
        if teachers and unique and len(pupils) >= 10:
            break
    else:
        raise LookupError("no group with a teacher and a uniquely named pupil")
    not_theirs = next(
        s for s in staff.values()
        if only_teacher(s) and s.locations_on(TODAY) == {SCHOOL} and s.key not in group.teacher_keys
    )  # fmt: skip
    elsewhere = next(
        s for s in staff.values() if only_teacher(s) and SCHOOL not in s.locations_on(TODAY)
    )
    return Cast(group, pupils, unique[0], teachers[0], bb.staff_with_role("location_leader",
                SCHOOL), elsewhere, not_theirs)  # fmt: skip


def send(bb: BotBoard, request: tuple[bytes, dict[str, str]]) -> int:
    status, _, _ = bb.post(*request)
    assert bb.runtime.wait_idle()
    return status


def blocks_text(call: Call) -> str:
    return json.dumps(call.args.get("blocks", []), ensure_ascii=False) + str(call.args["text"])


def buttons(call: Call) -> list[dict[str, Any]]:
    return [e for b in call.args.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"]]  # fmt: skip


def refusals(bb: BotBoard, user: str) -> list[str]:
    with bb.board.sessions()() as session:
        return [e.reason for e in session.execute(
            select(AuditEvent).where(AuditEvent.action == "chat.refused",
                                     AuditEvent.actor == f"chat:{user}")
        ).scalars()]  # fmt: skip


def register(bb: BotBoard) -> ConsentRegister:
    return ConsentRegister(bb.board.sessions(), bb.config)


# -- Slack ----------------------------------------------------------------------------------------


def test_slack_dutch_slash_command_about_a_pupil(world: tuple[BotBoard, Cast]) -> None:
    bb, cast = world
    bb.slack.clear()
    name = cast.pupil.name.display
    assert send(bb, bb.requests.slash("/toestemming", f"Mag de foto van {name} op de website?",
                                      user=TEACHER)) == 200  # fmt: skip
    reply = bb.slack.calls("response_url")[-1].args
    expected = register(bb).check_pupil(cast.pupil.key, "website", TODAY)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Ja, de foto" if expected.allowed else "Nee, de foto")
    assert name in reply["text"] and "de website" in reply["text"]
    assert [c.method for c in bb.slack.calls() if c.method == "chat.postMessage"] == []


def test_slack_english_dm_about_the_group(world: tuple[BotBoard, Cast]) -> None:
    bb, cast = world
    bb.slack.clear()
    code = cast.group.name.split()[-1]
    send(bb, bb.requests.dm(f"can the {code} class photo go in the newsletter?", user=TEACHER))
    call = bb.slack.calls("chat.postMessage")[-1]
    assert call.args["channel"] == "D0TEACH"
    expected = register(bb).check_group(cast.group.group_id, "newsletter", TODAY)
    shown = blocks_text(call)
    if expected.allowed:
        assert f"consent for all {expected.total} pupils" in shown
    else:
        assert f"{len(expected.without)} of the {expected.total} pupils" in shown
    missing = {p.key for p in expected.without}
    for pupil in cast.pupils:  # only the pupils without consent are named
        assert (pupil.name.display in shown) == (pupil.key in missing), pupil.key
    with bb.board.sessions()() as session:  # the answer is evidence: who asked, what was said
        event = session.execute(
            select(AuditEvent).where(AuditEvent.actor == f"chat:{TEACHER}")
            .order_by(AuditEvent.seq.desc()).limit(1)
        ).scalar_one()  # fmt: skip
    assert (event.action, event.object_key) == ("chat.answered", f"class:{cast.group.group_id}")
    assert json.loads(event.change)["allowed"] is expected.allowed


def test_slack_asks_for_the_medium_and_takes_the_button(world: tuple[BotBoard, Cast]) -> None:
    bb, cast = world
    bb.slack.clear()
    send(bb, bb.requests.dm(f"Mag de foto van {cast.pupil.name.display}?", user=TEACHER))
    question = bb.slack.calls("chat.postMessage")[-1]
    assert f"Waar wil je de foto van {cast.pupil.name.display} voor gebruiken?" in (
        question.args["text"])
    instagram = next(b for b in buttons(question) if b["value"] == "social media")
    send(bb, bb.requests.action(instagram["action_id"], instagram["value"], user=TEACHER,
                                channel="D0TEACH"))  # fmt: skip
    answer = bb.slack.calls("chat.postMessage")[-1].args["text"]
    expected = register(bb).check_pupil(cast.pupil.key, "social media", TODAY)
    assert answer.startswith("Ja" if expected.allowed else "Nee")
    assert "sociale media" in answer


@pytest.mark.parametrize(
    ("user", "subject", "reason", "words"),
    [
        (ELSEWHERE, "pupil", "not_found", "eigen locatie"),
        (NOT_THEIRS, "pupil", "no_relation", "aan wie je zelf lesgeeft"),
        (NOT_THEIRS, "group", "no_relation", "aan wie je zelf lesgeeft"),
    ],
)
def test_slack_refusals_are_private_reveal_nothing_and_are_audited(
    world: tuple[BotBoard, Cast], user: str, subject: str, reason: str, words: str
) -> None:
    bb, cast = world
    bb.slack.clear()
    before = refusals(bb, user)
    about = cast.pupil.name.display if subject == "pupil" else cast.group.name.lower()
    send(bb, bb.requests.slash("/toestemming", f"Mag de foto van {about} op Instagram?",
                               user=user))  # fmt: skip
    call = bb.slack.calls("response_url")[-1]
    assert call.args["response_type"] == "ephemeral"
    assert words in call.args["text"]
    assert not buttons(call)
    for pupil in cast.pupils:
        assert pupil.name.display not in blocks_text(call)
    assert refusals(bb, user) == [*before, f"consent: {reason}"]


def test_slack_the_location_leader_may_ask_about_any_group_there(
    world: tuple[BotBoard, Cast],
) -> None:
    bb, cast = world
    bb.slack.clear()
    send(bb, bb.requests.slash("/consent", f"{cast.group.name} photo on the website?",
                               user=LEADER))  # fmt: skip
    text = bb.slack.calls("response_url")[-1].args["text"]
    expected = register(bb).check_group(cast.group.group_id, "website", TODAY)
    assert text.startswith("Yes" if expected.allowed else "No, not for the whole group")


# -- console --------------------------------------------------------------------------------------


def test_console_dutch_and_english(world: tuple[BotBoard, Cast]) -> None:
    bb, cast = world
    console = bb.console(str(cast.teacher.email))
    name = cast.pupil.name.display
    (reply,) = console.say(f"/toestemming Mag de foto van {name} in de schoolgids?")
    expected = register(bb).check_pupil(cast.pupil.key, "schoolgids", TODAY)
    assert (reply["data"]["allowed"], reply["data"]["reason"]) == (
        expected.allowed, expected.reason.value,
    )  # fmt: skip
    assert reply["private"] and reply["flow"] == "consent"
    (reply,) = console.say(f"Can {name}'s photo go in the parent app?")
    expected = register(bb).check_pupil(cast.pupil.key, "ouderapp", TODAY)
    assert reply["text"].startswith("Yes" if expected.allowed else "No")
    assert reply["data"]["reason"] == expected.reason.value


def test_console_group_question_in_two_steps(world: tuple[BotBoard, Cast]) -> None:
    bb, cast = world
    console = bb.console(str(cast.teacher.email))
    (question,) = console.say(f"Mag de foto van {cast.group.name.lower()}?")
    assert question["data"] == {"step": "medium"}
    (reply,) = console.say("op Facebook")
    expected = register(bb).check_group(cast.group.group_id, "social media", TODAY)
    assert (reply["data"]["allowed"], reply["data"]["without"]) == (
        expected.allowed, len(expected.without),
    )  # fmt: skip
    assert sorted(label for label, _ in reply["facts"]) == sorted(p.name for p in expected.without)


def test_console_refusals(world: tuple[BotBoard, Cast]) -> None:
    bb, cast = world
    (reply,) = bb.console(str(cast.elsewhere.email)).say(
        f"Can the photo of {cast.pupil.name.display} go on the website?"
    )
    assert reply["data"] == {"allowed": False, "refused": "not_found"}
    assert "only ask about pupils and groups of your own location" in reply["text"]
    (reply,) = bb.console(str(cast.not_theirs.email)).say(
        f"/toestemming {cast.pupil.name.display} website"
    )
    assert reply["data"] == {"allowed": False, "refused": "no_relation"}


# -- logs -----------------------------------------------------------------------------------------


def test_logs_hold_no_pupil_or_staff_names(
    world: tuple[BotBoard, Cast], caplog: pytest.LogCaptureFixture
) -> None:
    bb, cast = world
    caplog.set_level("DEBUG", logger="provisioner")  # every line the bot writes itself
    caplog.set_level("INFO")
    code = cast.group.name.split()[-1]
    without = [p for p in cast.pupils
               if not register(bb).check_pupil(p.key, "social_media", TODAY).allowed]
    send(bb, bb.requests.slash("/toestemming", f"Mag de foto van {cast.pupil.name.display} "
                               "op de website?", user=TEACHER))
    send(bb, bb.requests.dm(f"Mag de foto van groep {code} op Instagram?", user=TEACHER))
    send(bb, bb.requests.dm(f"Can the photo of {cast.pupil.name.display} go in the newsletter?",
                            user=ELSEWHERE))  # refused
    send(bb, bb.requests.slash("/consent", "photo of Xaviera Zwanenburg-Quist on the website",
                               user=NOT_THEIRS))  # not found
    assert any(r.name.startswith("provisioner.bot") for r in caplog.records)  # captured
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    names = [cast.pupil.name.family, cast.pupil.name.display, "Zwanenburg", *(
        p.name.display for p in without), cast.teacher.name.display, str(cast.teacher.email)]
    for secret in names:
        assert secret not in logged
