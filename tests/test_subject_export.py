"""``provisioner subject export PERSON``: the bundle of what the product holds about one person
after a real sync, without any other person's data, as JSON, HTML (escaped) and PDF; audited
without its content."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from provisioner.app.cli import app
from provisioner.audit.service import record
from provisioner.privacy.breach import BreachFacts
from provisioner.privacy.breaches import BreachRegister
from provisioner.store.tables import (
    AccountName,
    AuditEvent,
    ChatConversation,
    DirectoryPerson,
    Override,
)
from provisioner.tasks import ManualTasks
from tests.board import Board, make_board

runner = CliRunner()
SECTIONS = {
    "person", "generated_on", "directory", "username", "accounts", "groups", "consents",
    "offboardings", "tasks", "requests", "breaches", "audit_events", "outcomes",
    "other_records", "chat", "not_included",
}  # fmt: skip


@pytest.fixture
def board(tmp_path: Path) -> Board:
    board = make_board(tmp_path, staff=24, pupils=60, language="en")
    assert board.sync().status == "applied"
    return board


def export(board: Board, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["subject", "export", *args, "-c", str(board.config_path)],
        env={"PROVISIONER_LANGUAGE": "en"},
    )
    return result.exit_code, result.output


def bundle_of(board: Board, person: str, *args: str) -> dict[str, Any]:
    code, output = export(board, person, "--json", *args)
    assert code == 0, output
    data = json.loads(output)
    assert isinstance(data, dict)
    return data


def person(board: Board, key: str) -> DirectoryPerson:
    with board.sessions()() as session:
        row = session.get(DirectoryPerson, key)
        assert row is not None
        return row


def full_name(row: DirectoryPerson) -> str:
    return " ".join(p for p in (row.given, row.prefix, row.family) if p)


def everybody_else(board: Board, key: str) -> list[tuple[str, str, str | None, str | None]]:
    """(key, full name, e-mail, user name) of every other person the store knows."""
    with board.sessions()() as session:
        names = {k: u for k, u in session.execute(select(AccountName.key, AccountName.username))}
        rows = session.scalars(select(DirectoryPerson).where(DirectoryPerson.key != key)).all()
        return [(r.key, full_name(r), r.email, names.get(r.key)) for r in rows]


def assert_nobody_else(board: Board, key: str, text: str) -> None:
    own = full_name(person(board, key))
    for other, name, email, username in everybody_else(board, key):
        assert other not in text, other
        assert name == own or name not in text, name
        assert email is None or email not in text, email
        assert username is None or username not in text, username


def test_the_bundle_of_a_teacher_holds_her_own_data(board: Board) -> None:
    key = f"staff:{board.teacher_number()}"
    me = person(board, key)
    bundle = bundle_of(board, key)
    assert set(bundle) == SECTIONS
    assert bundle["person"] == key
    assert bundle["directory"]["family"] == me.family and bundle["directory"]["posts"]
    [account] = bundle["accounts"]
    assert account["target"] == "directory" and account["remote_id"]
    assert account["values"]["username"] == bundle["username"]
    assert account["values"]["family_name"].endswith(me.family)
    assert account["values"]["enabled"] is True
    assert {g["group"] for g in bundle["groups"]} >= {
        f"loc:{me.posts[0]['location']}:teachers",
        f"loc:{me.posts[0]['location']}:staff",
    }
    level = next(g for g in bundle["groups"] if g["group"].endswith(":teachers"))
    assert level["access"] == "location_level" and level["level"] == "teachers"
    assert {e["action"] for e in bundle["audit_events"]} >= {"create_account", "add_member"}
    assert all(e["actor"].startswith("sync:") for e in bundle["audit_events"])
    assert [o["outcome"] for o in bundle["outcomes"]] == ["created"]
    assert bundle["consents"] == [] and bundle["chat"] is None
    assert_nobody_else(board, key, json.dumps(bundle, ensure_ascii=False))


def test_what_mentions_another_person_is_given_without_them(board: Board) -> None:
    me, other = (f"staff:{n}" for n in board.ordinary_teachers()[:2])
    them = person(board, other)
    with board.sessions()() as session:
        their_username = session.get(AccountName, other)
    assert their_username is not None
    mention = f"{full_name(them)} ({other}, {them.email}, {their_username.username})"
    with board.sessions().begin() as session:
        record(
            session,
            actor="chat:U0OTHER",
            action="chat.turn",
            object_key=me,
            reason=f"offboarding asked by {mention}",
            change={"asked_by": other, "note": mention, other: "key as a key"},
        )
        session.add(
            Override(
                person_key=me,
                last_day=datetime(2026, 12, 31).date(),
                requested_by="chat:U0OTHER",
                reason=f"told by {mention}",
                created_at=datetime.now(UTC),
            )
        )
    ManualTasks(board.sessions()).open(
        kind="portal_access", system="mijn-vensters", title="Remove access",
        instructions=f"Ask {mention} first", assignee=other, origin="test", actor="test",
        person_key=me,
    )  # fmt: skip
    bundle = bundle_of(board, me)
    text = json.dumps(bundle, ensure_ascii=False)
    assert_nobody_else(board, me, text)
    assert "U0OTHER" not in text
    [event] = [e for e in bundle["audit_events"] if e["action"] == "chat.turn"]
    assert event["actor"] == "chat:[other person]"
    other_person = "[other person]"
    assert (
        event["reason"] == f"offboarding asked by {other_person} ({', '.join([other_person] * 3)})"
    )
    [task] = bundle["tasks"]
    assert task["title"] == "Remove access" and "[other person]" in task["instructions"]
    assert task["assigned_to"] == "staff:[other person]"
    [offboarding] = bundle["offboardings"]
    assert offboarding["last_day"] == "2026-12-31"
    assert offboarding["requested_by"] == "chat:[other person]"
    # and the other way round: the other person's bundle holds nothing of this one
    assert_nobody_else(board, other, json.dumps(bundle_of(board, other), ensure_ascii=False))


def test_a_pupil_gets_her_consents_and_her_group_but_no_classmate(board: Board) -> None:
    with board.sessions()() as session:
        pupils = select(DirectoryPerson).where(DirectoryPerson.kind == "pupil")
        pupil = session.scalars(pupils.order_by(DirectoryPerson.key)).first()
        assert pupil is not None
        key, group = pupil.key, pupil.group_id
    bundle = bundle_of(board, key)
    assert bundle["directory"]["group"] == group and bundle["directory"]["birth_date"]
    assert bundle["consents"] and {c["given_by"] for c in bundle["consents"]} <= {"parent", "pupil"}
    assert [g["group"] for g in bundle["groups"]] == [f"class:{group}"]
    assert bundle["groups"][0]["class_name"]
    assert_nobody_else(board, key, json.dumps(bundle, ensure_ascii=False))


def test_a_breach_is_listed_by_id_and_categories_only(board: Board) -> None:
    me, other = (f"staff:{n}" for n in board.ordinary_teachers()[:2])
    them = person(board, other)
    facts = BreachFacts(narrative=f"USB stick of {full_name(them)} lost with the list of {me}",
                        data_categories=("contact", "learning_results"), subjects_count=2,
                        cause="left on the train", measures="stick wiped remotely")  # fmt: skip
    breach = BreachRegister(board.sessions()).report(
        facts, reporter="chat:U0FG", now=datetime.now(UTC) - timedelta(days=1)
    )
    result = runner.invoke(app, ["subject", "breach", breach.id, "--person", me, "--person",
                                 other, "-c", str(board.config_path), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"breach": breach.id, "added": [me, other]}
    bundle = bundle_of(board, me)
    [listed] = bundle["breaches"]
    assert listed["id"] == breach.id
    assert listed["categories"] == ["contact", "learning_results"]
    assert set(listed) == {"id", "reported_at", "discovered_at", "status", "categories",
                           "included_since"}  # fmt: skip
    text = json.dumps(bundle, ensure_ascii=False)
    assert "USB" not in text and "train" not in text and "wiped" not in text
    assert_nobody_else(board, me, text)
    unknown = runner.invoke(app, ["subject", "breach", "DL-1999-0001", "--person", me, "-c",
                                  str(board.config_path)])  # fmt: skip
    assert unknown.exit_code == 3


def test_the_document_escapes_a_hostile_name(board: Board, tmp_path: Path) -> None:
    number = board.teacher_number()
    board.edit_hr(number, lambda row: {**row, "given_name": "<script>alert(1)</script>"})
    assert board.sync().status in ("applied", "partial")
    key = f"staff:{number}"
    assert person(board, key).given == "<script>alert(1)</script>"
    html = tmp_path / "bundle.html"
    code, output = export(board, key, "--html", str(html))
    assert code == 0, output
    document = html.read_text(encoding="utf-8")
    assert "<script>" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert (
        "Accounts per system" in document and "Access groups and the access they give" in document
    )
    assert "The documents of teachers and of every level below it at location" in document
    assert_nobody_else(board, key, document)


def test_out_writes_json_and_a_dutch_document_for_a_dutch_board(
    board: Board, tmp_path: Path
) -> None:
    text = board.config_path.read_text(encoding="utf-8").replace(
        'language = "en"', 'language = "nl"'
    )
    board.config_path.write_text(text, encoding="utf-8")
    key = f"staff:{board.teacher_number()}"
    code, output = export(board, key, "--out", str(tmp_path / "out"))
    assert code == 0, output
    written = json.loads((tmp_path / "out" / f"{key.replace(':', '-')}.json").read_text("utf-8"))
    assert written["person"] == key and written["accounts"]
    document = (tmp_path / "out" / f"{key.replace(':', '-')}.html").read_text("utf-8")
    assert '<html lang="nl">' in document
    assert "Toegangsgroepen en de toegang die ze geven" in document
    assert "Wat dit document niet bevat" in document


def test_the_export_is_audited_without_its_content(board: Board, tmp_path: Path) -> None:
    key = f"staff:{board.teacher_number()}"
    me = person(board, key)
    code, _ = export(board, key, "--html", str(tmp_path / "a.html"), "--json")
    assert code == 0
    with board.sessions()() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "subject.export")
        ).all()
    assert event.object_key == key and event.actor.startswith("admin:")
    assert json.loads(event.change) == {"forms": ["html", "json"], "live": False, "chat": False}
    assert me.family not in event.change + event.reason
    later = bundle_of(board, key)  # the next bundle shows that an export was made
    assert [e["action"] for e in later["audit_events"]].count("subject.export") == 1


def test_pdf_and_live_reading_of_the_target(board: Board, tmp_path: Path) -> None:
    import pypdfium2  # type: ignore[import-untyped]

    key = f"staff:{board.teacher_number()}"
    me = person(board, key)
    code, output = export(board, key, "--pdf", str(tmp_path / "b.pdf"), "--live")
    assert code == 0, output
    data = (tmp_path / "b.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(data)
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert me.family in text
    bundle = bundle_of(board, key, "--live")
    [account] = bundle["accounts"]
    [live] = account["live"]
    assert live["username"] == bundle["username"] and live["remote_id"] == account["remote_id"]


def test_chat_conversations_only_with_the_chat_user_and_without_their_state(board: Board) -> None:
    me, other = (f"staff:{n}" for n in board.ordinary_teachers()[:2])
    now = datetime.now(UTC)
    with board.sessions().begin() as session:
        session.add(
            ChatConversation(
                id="slack:U0ME:D1",
                user_id="U0ME",
                flow="offboarding",
                language="nl",
                state={"person_key": other},
                updated_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
        record(session, actor="chat:U0ME", action="chat.turn", object_key=other,
               reason="offboarding: confirm")  # fmt: skip
    assert bundle_of(board, me)["chat"] is None
    bundle = bundle_of(board, me, "--chat-user", "U0ME")
    assert bundle["chat"]["conversations"][0]["flow"] == "offboarding"
    assert bundle["chat"]["actions"][0]["action"] == "chat.turn"
    assert_nobody_else(board, me, json.dumps(bundle, ensure_ascii=False))


def test_a_person_the_store_does_not_know_is_refused(board: Board) -> None:
    code, output = export(board, "staff:999999", "--json")
    assert code == 3 and "staff:999999" in output
