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
from provisioner.config import Config, M365TargetConfig, SisStaffTargetConfig
from provisioner.directory import Post, StaffEntry
from provisioner.i18n import format_day
from provisioner.offboarding.policy import (
    ORIGIN,
    SIS_NAMES,
    UNLICENSED_MAILBOX_DAYS,
    Plan,
    sis_name,
    sis_staff_target,
)
from provisioner.tasks import ManualTask


def t(language: Language, nl: str, en: str) -> str:
    return en if language == "en" else nl


def post_text(post: Post, names: Mapping[str, str]) -> str:
    """"Groepsleerkracht, OBS De Regenboog"."""
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
        return t(language,
                 f"*{name} stopt op {where(plan, names)}, laatste werkdag {day}.* "
                 "Dit gaat er gebeuren:",
                 f"*{name} leaves {where(plan, names)}, last working day {day}.* "
                 "This is what will happen:")
    return t(language,
             f"*{name} uit dienst melden, laatste werkdag {day}.* Dit gaat er gebeuren:",
             f"*Offboarding {name}, last working day {day}.* This is what will happen:")


def summary_facts(
    config: Config, plan: Plan, language: Language, names: Mapping[str, str],
    sis_assignee_label: str,
) -> tuple[tuple[str, str], ...]:
    """Every step, as label/value pairs (what the fingerprint covers)."""
    lang, partial = language, plan.scope.partial
    when = (
        t(lang, "direct na bevestiging", "immediately after confirmation") if plan.due_now
        else f"{format_day(plan.access_ends, lang)}, 00:00"
    )
    facts: list[tuple[str, str]] = [(t(lang, "Wie", "Who"), plan.person.name.display)]
    for post in plan.scope.ending:
        facts.append((t(lang, "Stopt", "Ends"), post_text(post, names)))
    for post in plan.scope.staying:
        facts.append((t(lang, "Blijft", "Stays"),
                      post_text(post, names) + t(lang, " (andere locatie: account en toegang "
                                                       "van deze aanstelling blijven)",
                                                 " (another location: the account and this "
                                                 "post's access stay)")))
    facts += [
        (t(lang, "Laatste werkdag", "Last working day"), format_day(plan.effective_day, lang)),
        (t(lang, "Toegang stopt", "Access ends"), when),
    ]
    if plan.effective_day < plan.last_day:
        facts.append((t(lang, "Let op", "Note"),
                      t(lang, "HR heeft al een eerdere laatste werkdag; die geldt.",
                        "HR already has an earlier last working day; that one applies.")))
    place = where(plan, names)
    if sis_staff_target(config) is None:  # no SIS staff connector: a task by hand
        what = (t(lang, f"rechten voor {place} intrekken", f"remove the rights for {place}")
                if partial else t(lang, "account op niet-actief", "account set to inactive"))
        facts.append((t(lang, "Leerlingadministratie", "Pupil administration (SIS)"),
                      t(lang, f"{what} ({sis_name(config)}, met de hand; taak voor "
                              f"{sis_assignee_label})",
                        f"{what} ({sis_name(config)}, by hand; task for "
                        f"{sis_assignee_label})")))
    for target in config.targets:
        facts.append(_target_fact(target, lang, partial, place))
    if partial:
        facts.append((t(lang, "Account en mailbox", "Account and mailbox"),
                      t(lang, "blijven: de andere aanstelling loopt door",
                        "stay: the other post continues")))
    else:
        assert plan.delete_on is not None
        facts += [
            ("Mailbox", mailbox_text(plan, lang)),
            (t(lang, "Verwijderen", "Deletion"),
             t(lang, f"{format_day(plan.delete_on, lang)}, na akkoord van het Stafbureau",
               f"{format_day(plan.delete_on, lang)}, after approval by the central office")),
        ]
    if config.bot.manual_portals:
        facts.append((t(lang, "Met de hand (Stafbureau)", "By hand (central office)"),
                      t(lang, "toegang intrekken: ", "remove access: ")
                      + ", ".join(config.bot.manual_portals)
                      + (t(lang, f" (voor {place})", f" (for {place})") if partial else "")))
    return tuple(facts)


def _target_fact(target: Any, lang: Language, partial: bool, place: str) -> tuple[str, str]:
    if isinstance(target, SisStaffTargetConfig):
        system = SIS_NAMES[target.system]
        label = t(lang, f"Leerlingadministratie ({target.name})",
                  f"Pupil administration (SIS, {target.name})")
        if partial:
            return label, t(lang, f"rol voor {place} eraf in {system}; account blijft",
                            f"the role for {place} removed in {system}; the account stays")
        if target.system == "parnassys":
            return label, t(lang, "account op niet-actief in ParnasSys: de synchronisatie "
                                  "maakt de taak voor de locatieleider",
                            "account set to inactive in ParnasSys: the sync opens the task "
                            "for the location leader")
        return label, t(lang, f"account op niet-actief in {system} met de einddatum "
                              "(automatisch)",
                        f"account set to inactive in {system} with the end date (automatic)")
    label = (f"Microsoft 365 ({target.name})" if isinstance(target, M365TargetConfig)
             else str(target.name))
    if partial:
        return label, t(lang, f"groepen en toegang van {place} verwijderd; het account blijft "
                              "actief",
                        f"groups and access of {place} removed; the account stays active")
    if isinstance(target, M365TargetConfig):
        return label, t(lang, "aanmelden geblokkeerd en sessies ingetrokken; groepen, licenties "
                              "en toegang tot gedeelde mappen en bibliotheken verwijderd",
                        "sign-in blocked and sessions revoked; groups, licences and access to "
                        "shared folders and libraries removed")
    return label, t(lang, "account uitgeschakeld; groepen, licenties en deelrechten verwijderd",
                    "account disabled; groups, licences and share access removed")


def mailbox_text(plan: Plan, lang: Language) -> str:
    assert plan.delete_on is not None and plan.mailbox_until is not None
    deleted = format_day(plan.delete_on, lang)
    if plan.mailbox_until < plan.delete_on:
        until = format_day(plan.mailbox_until, lang)
        return t(lang,
                 f"de licentie gaat eraf als de toegang stopt; Microsoft 365 bewaart de "
                 f"mailbox zonder licentie {UNLICENSED_MAILBOX_DAYS} dagen, tot {until} "
                 "(niemand kan zich aanmelden)",
                 f"the licence goes when access ends; Microsoft 365 keeps a mailbox without "
                 f"a licence for {UNLICENSED_MAILBOX_DAYS} days, until {until} (nobody can "
                 "sign in)")
    return t(lang,
             f"blijft bij het account totdat dat op {deleted} verwijderd wordt (niemand kan "
             "zich aanmelden)",
             f"kept with the account until the account is deleted on {deleted} (nobody "
             "can sign in)")


def confirm_buttons(plan: Plan, token: str, language: Language) -> tuple[Button, ...]:
    return (
        Button(t(language, "Bevestigen", "Confirm"), "confirm", token, "primary"),
        Button(t(language, "Annuleren", "Cancel"), "cancel", token, "danger"),
    )


def run_text(language: Language, name: str, outcome: Mapping[str, Any]) -> str:
    """What the requester hears about the run for one person."""
    status = outcome.get("status")
    run = outcome.get("run_id")
    if status == "applied":
        return t(language,
                 f"Klaar: de toegang van {name} is geblokkeerd (run {run}). Het Stafbureau "
                 "doet de stappen die met de hand moeten.",
                 f"Done: {name}'s access is blocked (run {run}). The central office does the "
                 "steps that need a person.")
    if status == "running":
        return t(language,
                 f"Vastgelegd. Ik blokkeer de toegang van {name} nu en laat je weten wanneer "
                 "het klaar is.",
                 f"Recorded. I am blocking {name}'s access now and will tell you when it is "
                 "done.")
    if status in ("retry", "scheduled", "claimed"):
        return t(language,
                 f"Vastgelegd. De synchronisatie voor {name} is nu bezig of niet bereikbaar; "
                 "ik probeer het binnen een minuut opnieuw en meld het als het klaar is.",
                 f"Recorded. The sync for {name} is busy or unreachable right now; I'll try "
                 "again within a minute and tell you when it's done.")
    if status == "stopped":
        return t(language,
                 f"Vastgelegd, maar de veiligheidsdrempel hield de run voor {name} tegen (run "
                 f"{run}): er is nog niets geblokkeerd. Het Stafbureau moet de run goedkeuren "
                 f"(provisioner sync --approve {run}).",
                 f"Recorded, but the safety gate stopped the run for {name} (run {run}): "
                 "nothing is blocked yet. The central office must approve the run "
                 f"(provisioner sync --approve {run}).")
    if status == "failed":
        incident = outcome.get("incident")
        return t(language,
                 f"Het blokkeren van de toegang van {name} is {outcome.get('attempts')} keer "
                 f"mislukt (melding {incident}). Het Stafbureau is ingelicht; de toegang is "
                 "nog NIET geblokkeerd. Ik blijf het proberen.",
                 f"Blocking {name}'s access failed {outcome.get('attempts')} times (incident "
                 f"{incident}). The central office has been told; access is NOT blocked yet. "
                 "I keep trying.")
    return t(language,
             f"Vastgelegd, maar niet alles lukte (run {run}: {status}). Het Stafbureau "
             "kijkt ernaar.",
             f"Recorded, but not everything worked (run {run}: {status}). The central office "
             "will look into it.")


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
        return (f"{name}: inactive in {system}",
                f"Set {name} ({number}) to inactive in {system} as of {due}. Basispoort "
                "follows after the nightly link.")
    if task.kind == "sis_post":
        return (f"{name}: remove the post in the SIS",
                f"Remove the rights of {name} ({number}) for {task.location or '-'} in the "
                f"SIS as of {due}; the account stays for the other post.")
    if task.kind == "portal_access":
        portal = rest.removeprefix("toegang ").removesuffix(" intrekken")
        return (f"{name}: remove access to {portal}",
                f"Remove the access of {name} ({number}) to {portal} as of {due}.")
    if task.kind == "approve_deletion":
        return (f"{name}: approve the deletion",
                f"The accounts of {name} ({number}) will be deleted on {due}. Approve when "
                "nothing more needs to be kept.")
    return task.title, task.instructions


def task_reply(task: ManualTask, language: Language) -> Reply:
    action = "approve_deletion" if task.kind == "approve_deletion" else "task_done"
    label = (t(language, "Goedkeuren", "Approve") if action == "approve_deletion"
             else t(language, "Gedaan", "Done"))
    heading, instructions = task_words(task, language)
    return Reply(
        f"*{t(language, 'Taak', 'Task')} {task.id}:* {heading}",
        facts=((t(language, "Wat", "What"), instructions),
               (t(language, "Uiterlijk", "Due"),
                format_day(task.due_on, language) if task.due_on else "-")),
        buttons=(Button(label, action, str(task.id), "primary"),),
        data={"task": task.id, "kind": task.kind, "person_key": task.person_key},
    )


def stale_reply(language: Language, reason: str, minutes: int, person_key: str) -> Reply:
    """A confirmation of a plan that no longer holds: nothing done, and why."""
    lang = language
    why = {
        "moved_on": t(lang, "het gesprek is intussen verder gegaan",
                      "the conversation has moved on since"),
        "too_late": t(lang, f"het is meer dan {minutes} minuten geleden getoond",
                      f"it was shown more than {minutes} minutes ago"),
        "changed": t(lang, "er is intussen iets veranderd (bijvoorbeeld in HR)",
                     "something has changed since (in HR, for example)"),
    }[reason]
    return Reply(
        t(lang, f"Ik heb niets gedaan: deze bevestiging hoort bij een plan dat niet meer geldt "
                f"({why}). Hieronder het plan zoals het nu is; bevestig opnieuw als het klopt.",
          f"I did nothing: this confirmation belongs to a plan that no longer holds ({why}). "
          "Below is the plan as it is now; confirm again if it is right."),
        data={"refused": "stale", "reason": reason, "person_key": person_key},
    )


def already_confirmed_reply(language: Language, result: Mapping[str, Any]) -> Reply:
    return Reply(t(language, "Dit was al bevestigd; ik heb het niet nog eens gedaan.",
                   "This was already confirmed; I did not do it again."),
                 data={"already_confirmed": True, **result})
