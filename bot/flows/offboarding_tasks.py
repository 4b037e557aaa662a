"""The offboarding's manual tasks in chat: Done / Approve pressed by the central office or the
requesting location leader."""

from __future__ import annotations

from bot.conversation import FlowContext, Language, Reply, Turn
from bot.flows.offboarding_notices import finished_notices
from bot.flows.offboarding_text import task_words
from provisioner.i18n import tr
from provisioner.offboarding.policy import ORIGIN
from provisioner.tasks import ManualTasks, TaskError, TaskStatus


def close_task(ctx: FlowContext, action: str, value: str) -> Turn:
    """A Done / Approve button of an offboarding's manual task: only its assignee (or the
    central office for its tasks) may close it; it closes once, whoever presses twice."""
    lang = ctx.language
    tasks = ManualTasks(ctx.sessions)
    task = tasks.get(int(value)) if value.isdigit() else None
    if task is None or not task.origin.startswith(ORIGIN):
        return _expired(lang)
    allowed = (
        task.assignee == "central_office" and ctx.asker.is_central_office
    ) or task.assignee == ctx.asker.staff.key
    if not allowed:
        return Turn(
            (
                Reply(
                    tr(lang, "This task is not yours."),
                    data={"refused": "not_allowed", "person_key": task.person_key},
                ),
            )
        )
    closed = Turn(
        (
            Reply(
                tr(lang, "This task was already closed."),
                data={"task": task.id, "status": task.status.value, "person_key": task.person_key},
            ),
        )
    )
    if task.status is not TaskStatus.OPEN:
        return closed
    try:  # one conditional UPDATE: of two presses at once, one closes it
        tasks.complete(task.id, actor=ctx.asker.actor)
    except TaskError:
        return closed
    word = (
        tr(lang, "Deletion approved.")
        if action == "approve_deletion"
        else tr(lang, "Marked as done.")
    )

    notices = tuple(
        finished_notices(
            ctx.config, ctx.sessions, ctx.directory, int(task.origin.removeprefix(ORIGIN))
        )
    )
    return Turn(
        (
            Reply(
                f"{word} ({task_words(task, lang)[0]})",
                data={"task": task.id, "status": "done", "person_key": task.person_key},
            ),
        ),
        notices=notices,
    )


def _expired(language: Language) -> Turn:
    return Turn(
        (
            Reply(
                tr(
                    language,
                    "This button belongs to a finished conversation. Start again with /offboard.",
                ),
                data={"refused": "expired"},
            ),
        )
    )
