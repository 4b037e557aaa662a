"""What the offboarding conversation says: the plan shown for confirmation, the outcome of
the run, and the manual tasks, in Dutch and English (pure functions from data to text).

Names and titles come from HR and are placed in the text as they are; the front end escapes
them for its markup (Slack: ``bot/blocks.py``). Dates in sentences are written out in the
reader's language ("dinsdag 1 december 2026"), never as ISO dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.conversation import Button, Language, Reply
from provisioner.config import Config
from provisioner.directory import Post, StaffEntry
from provisioner.i18n import format_day, tr
from provisioner.offboarding.policy import (
    ORIGIN,
    SIS_NAMES,
    UNLICENSED_MAILBOX_DAYS,
    Plan,
    sis_name,
    sis_staff_target,
)
from provisioner.tasks import ManualTask


def post_text(post: Post, names: Mapping[str, str]) -> str:
    """ "Groepsleerkracht, OBS De Regenboog"."""
    return f"{post.function_title}, {names.get(post.location, post.location)}"


def describe(person: StaffEntry, names: Mapping[str, str], posts: tuple[Post, ...]) -> str:
    """A person with their posts, for pick lists and summaries."""
    if not posts:
        return person.name.display
    return f"{person.name.display} ({'; '.join(post_text(p, names) for p in posts)})"


def where(plan: Plan, names: Mapping[str, str]) -> str:
    """The locations whose posts end: "OBS De Regenboog" or "OBS A en OBS B"."""
    places = sorted({names.get(p.location, p.location) for p in plan.scope.ending})
    return " & ".join(places)


def title(plan: Plan, language: Language, names: Mapping[str, str]) -> str:
    """The question's subject: who, which posts, which last working day."""
    name, day = plan.person.name.display, format_day(plan.effective_day, language)
    if plan.scope.partial:
        return tr(
            language,
            "*{name} leaves {where}, last working day {day}.* This is what will happen:",
            name=name,
            where=where(plan, names),
            day=day,
        )
    return tr(
        language,
        "*Offboarding {name}, last working day {day}.* This is what will happen:",
        name=name,
        day=day,
    )


def summary_facts(
    config: Config,
    plan: Plan,
    language: Language,
    names: Mapping[str, str],
    sis_assignee_label: str,
) -> tuple[tuple[str, str], ...]:
    """Every step, as label/value pairs (what the fingerprint covers)."""
    lang, partial = language, plan.scope.partial
    facts = _who_and_when(plan, lang, names)
    place = where(plan, names)
    if sis_staff_target(config) is None:  # no SIS staff connector: a task by hand
        what = (
            tr(lang, "remove the rights for {place}", place=place)
            if partial
            else tr(lang, "account set to inactive")
        )
        facts.append(
            (
                tr(lang, "Pupil administration (SIS)"),
                tr(
                    lang,
                    "{what} ({sis_name}, by hand; task for {sis_assignee_label})",
                    what=what,
                    sis_name=sis_name(config),
                    sis_assignee_label=sis_assignee_label,
                ),
            )
        )
    for target in config.targets:
        facts.append(_target_fact(target, lang, partial, place))
    return tuple(facts + _after_access(config, plan, lang, place))


def _who_and_when(plan: Plan, lang: Language, names: Mapping[str, str]) -> list[tuple[str, str]]:
    """Who, which posts end and which stay, the last working day and when access ends."""
    when = (
        tr(lang, "immediately after confirmation")
        if plan.due_now
        else f"{format_day(plan.access_ends, lang)}, 00:00"
    )
    facts: list[tuple[str, str]] = [(tr(lang, "Who"), plan.person.name.display)]
    for post in plan.scope.ending:
        facts.append((tr(lang, "Ends"), post_text(post, names)))
    for post in plan.scope.staying:
        facts.append(
            (
                tr(lang, "Stays"),
                post_text(post, names)
                + tr(lang, " (another location: the account and this post's access stay)"),
            )
        )
    facts += [
        (tr(lang, "Last working day"), format_day(plan.effective_day, lang)),
        (tr(lang, "Access ends"), when),
    ]
    if plan.effective_day < plan.last_day:
        facts.append(
            (
                tr(lang, "Note"),
                tr(lang, "HR already has an earlier last working day; that one applies."),
            )
        )
    return facts


def _after_access(config: Config, plan: Plan, lang: Language, place: str) -> list[tuple[str, str]]:
    """The account, mailbox and deletion, and the portals the central office closes."""
    facts: list[tuple[str, str]] = []
    if plan.scope.partial:
        facts.append((tr(lang, "Account and mailbox"), tr(lang, "stay: the other post continues")))
    else:
        assert plan.delete_on is not None
        facts += [
            ("Mailbox", mailbox_text(plan, lang)),
            (
                tr(lang, "Deletion"),
                tr(
                    lang,
                    "{format_day}, after approval by the central office",
                    format_day=format_day(plan.delete_on, lang),
                ),
            ),
        ]
    if config.bot.manual_portals:
        facts.append(
            (
                tr(lang, "By hand (central office)"),
                tr(lang, "remove access: ")
                + ", ".join(config.bot.manual_portals)
                + (tr(lang, " (for {place})", place=place) if plan.scope.partial else ""),
            )
        )
    return facts


def _target_fact(target: Any, lang: Language, partial: bool, place: str) -> tuple[str, str]:
    if target.kind == "sis_staff" and target.sis_system is not None:
        system = SIS_NAMES[target.sis_system]
        label = tr(lang, "Pupil administration (SIS, {name})", name=target.name)
        if partial:
            return label, tr(
                lang,
                "the role for {place} removed in {system}; the account stays",
                place=place,
                system=system,
            )
        if target.sis_system == "parnassys":
            return label, tr(
                lang,
                "account set to inactive in ParnasSys: the sync opens the task for "
                "the location leader",
            )
        return label, tr(
            lang, "account set to inactive in {system} with the end date (automatic)", system=system
        )
    label = f"Microsoft 365 ({target.name})" if target.kind == "m365" else str(target.name)
    if partial:
        return label, tr(
            lang, "groups and access of {place} removed; the account stays active", place=place
        )
    if target.kind == "m365":
        return label, tr(
            lang,
            "sign-in blocked and sessions revoked; groups, licences and access "
            "to shared folders and libraries removed",
        )
    return label, tr(lang, "account disabled; groups, licences and share access removed")


def mailbox_text(plan: Plan, lang: Language) -> str:
    assert plan.delete_on is not None and plan.mailbox_until is not None
    deleted = format_day(plan.delete_on, lang)
    if plan.mailbox_until < plan.delete_on:
        until = format_day(plan.mailbox_until, lang)
        return tr(
            lang,
            "the licence goes when access ends; Microsoft 365 keeps a mailbox "
            "without a licence for {UNLICENSED_MAILBOX_DAYS} days, until {until} "
            "(nobody can sign in)",
            UNLICENSED_MAILBOX_DAYS=UNLICENSED_MAILBOX_DAYS,
            until=until,
        )
    return tr(
        lang,
        "kept with the account until the account is deleted on {deleted} (nobody can sign in)",
        deleted=deleted,
    )


def confirm_buttons(plan: Plan, token: str, language: Language) -> tuple[Button, ...]:
    return (
        Button(tr(language, "Confirm"), "confirm", token, "primary"),
        Button(tr(language, "Cancel"), "cancel", token, "danger"),
    )


def run_text(language: Language, name: str, outcome: Mapping[str, Any]) -> str:
    """What the requester hears about the run for one person."""
    status = outcome.get("status")
    run = outcome.get("run_id")
    if status == "applied":
        return tr(
            language,
            "Done: {name}'s access is blocked (run {run}). The central office "
            "does the steps that need a person.",
            name=name,
            run=run,
        )
    if status == "running":
        return tr(
            language,
            "Recorded. I am blocking {name}'s access now and will tell you when it is done.",
            name=name,
        )
    if status in ("retry", "scheduled", "claimed"):
        return tr(
            language,
            "Recorded. The sync for {name} is busy or unreachable right now; "
            "I'll try again within a minute and tell you when it's done.",
            name=name,
        )
    if status == "stopped":
        return tr(
            language,
            "Recorded, but the safety gate stopped the run for {name} (run "
            "{run}): nothing is blocked yet. The central office must approve the "
            "run (provisioner sync --approve {run}).",
            name=name,
            run=run,
        )
    if status == "failed":
        incident = outcome.get("incident")
        return tr(
            language,
            "Blocking {name}'s access failed {get} times (incident {incident}). "
            "The central office has been told; access is NOT blocked yet. I keep "
            "trying.",
            name=name,
            get=outcome.get("attempts"),
            incident=incident,
        )
    return tr(
        language,
        "Recorded, but not everything worked (run {run}: {status}). The "
        "central office will look into it.",
        run=run,
        status=status,
    )


def task_words(task: ManualTask, language: Language) -> tuple[str, str]:
    """The task's title and instructions in ``language``. The stored ones are Dutch (the
    register's language); the offboarding tasks are told again from their facts."""
    if language == "nl" or not task.origin.startswith(ORIGIN):
        return task.title, task.instructions
    name, _, rest = task.title.rpartition(": ")
    number = task.instructions.partition("(")[2].partition(")")[0]
    due = format_day(task.due_on, "en") if task.due_on else "-"
    if task.kind == "sis_account":
        system = rest.removeprefix("niet-actief in ")
        return (
            f"{name}: inactive in {system}",
            f"Set {name} ({number}) to inactive in {system} as of {due}. Basispoort "
            "follows after the nightly link.",
        )
    if task.kind == "sis_post":
        return (
            f"{name}: remove the post in the SIS",
            f"Remove the rights of {name} ({number}) for {task.location or '-'} in the "
            f"SIS as of {due}; the account stays for the other post.",
        )
    if task.kind == "portal_access":
        portal = rest.removeprefix("toegang ").removesuffix(" intrekken")
        return (
            f"{name}: remove access to {portal}",
            f"Remove the access of {name} ({number}) to {portal} as of {due}.",
        )
    if task.kind == "approve_deletion":
        return (
            f"{name}: approve the deletion",
            f"The accounts of {name} ({number}) will be deleted on {due}. Approve when "
            "nothing more needs to be kept.",
        )
    return task.title, task.instructions


def task_reply(task: ManualTask, language: Language) -> Reply:
    action = "approve_deletion" if task.kind == "approve_deletion" else "task_done"
    label = tr(language, "Approve") if action == "approve_deletion" else tr(language, "Done")
    heading, instructions = task_words(task, language)
    return Reply(
        f"*{tr(language, 'Task')} {task.id}:* {heading}",
        facts=(
            (tr(language, "What"), instructions),
            (tr(language, "Due"), format_day(task.due_on, language) if task.due_on else "-"),
        ),
        buttons=(Button(label, action, str(task.id), "primary"),),
        data={"task": task.id, "kind": task.kind, "person_key": task.person_key},
    )


def stale_reply(language: Language, reason: str, minutes: int, person_key: str) -> Reply:
    """A confirmation of a plan that no longer holds: nothing done, and why."""
    lang = language
    why = {
        "moved_on": tr(lang, "the conversation has moved on since"),
        "too_late": tr(lang, "it was shown more than {minutes} minutes ago", minutes=minutes),
        "changed": tr(lang, "something has changed since (in HR, for example)"),
    }[reason]
    return Reply(
        tr(
            lang,
            "I did nothing: this confirmation belongs to a plan that no longer "
            "holds ({why}). Below is the plan as it is now; confirm again if it "
            "is right.",
            why=why,
        ),
        data={"refused": "stale", "reason": reason, "person_key": person_key},
    )


def already_confirmed_reply(language: Language, result: Mapping[str, Any]) -> Reply:
    return Reply(
        tr(language, "This was already confirmed; I did not do it again."),
        data={"already_confirmed": True, **result},
    )
