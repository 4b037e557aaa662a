"""Keeping other people out of a person's bundle (GDPR Art. 15(4): the copy "shall not
adversely affect the rights and freedoms of others").

:class:`OthersFilter` knows what identifies everybody else the store holds (their keys
``staff:<n>``/``pupil:<id>`` and bare numbers, names, work e-mail addresses, user names and
the remote ids of their accounts) and replaces each occurrence in any text of the bundle by
``[other person]``. A person key of anybody but the subject is replaced even when the store
does not know it. What the subject shares with somebody else (the same name) is left, so the
subject's own data stays whole. A name written only in part (a first name alone) in free text
is not recognised: such texts are the notes and outcomes the board itself typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.store.tables import AccountName, DirectoryPerson, Link

OTHER = "[other person]"
_KEY = re.compile(r"(?<![\w.@-])(?:staff|pupil):[\w.-]+")
_EDGE_BEFORE = r"(?<![\w.@-])"
_EDGE_AFTER = r"(?![\w@]|[.-]\w)"
#: Bare numbers and remote ids shorter than this are left alone (they would hit counts).
_MIN_ID = 5


def _full_names(given: str, prefix: str, family: str) -> set[str]:
    names = {" ".join(part for part in (given, prefix, family) if part)}
    if prefix:
        names.add(f"{given} {family}")
    return {name for name in names if len(name) > 3}


class OthersFilter:
    """Replace what identifies anybody but ``subject`` in every string of a value."""

    def __init__(self, subject: str, others: Iterable[str], own: Iterable[str]) -> None:
        self.subject = subject
        own_folded = {token.casefold() for token in own if token}
        tokens = sorted(
            {t for t in others if t and t.casefold() not in own_folded}, key=len, reverse=True
        )
        self._pattern = (
            re.compile(
                _EDGE_BEFORE + "(?:" + "|".join(re.escape(t) for t in tokens) + ")" + _EDGE_AFTER,
                re.IGNORECASE,
            )
            if tokens
            else None
        )

    @classmethod
    def from_store(cls, session: Session, subject: str) -> OthersFilter:
        """Everybody the store knows; ``subject``'s own identifiers are kept."""
        others: set[str] = set()
        own: set[str] = {subject, subject.partition(":")[2]}

        def add(key: str, tokens: Iterable[str]) -> None:
            (own if key == subject else others).update(tokens)

        for person in session.scalars(select(DirectoryPerson)):
            ident = person.key.partition(":")[2]
            tokens = {person.key, person.email or ""}
            tokens |= _full_names(person.given, person.prefix, person.family)
            if len(ident) >= _MIN_ID:
                tokens.add(ident)
            add(person.key, tokens)
        for key, username in session.execute(select(AccountName.key, AccountName.username)):
            add(key, {key, username})
        for key, remote_id in session.execute(
            select(Link.key, Link.remote_id).where(Link.kind == "account")
        ):
            add(key, {remote_id} if len(remote_id) >= _MIN_ID else set())
        return cls(subject, others, own)

    def text(self, value: str) -> str:
        value = _KEY.sub(lambda m: m.group(0) if m.group(0) == self.subject else OTHER, value)
        if self._pattern is not None:
            value = self._pattern.sub(OTHER, value)
        return value

    def clean(self, value: Any) -> Any:
        """A copy of ``value`` (JSON-like) with every string filtered, keys of mappings too."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.clean(k): self.clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.clean(item) for item in value]
        return value


def actor_shown(actor: str, chat_user: str | None = None) -> str:
    """Who acted, as the bundle shows it: a run or the system as it is; the subject's own chat
    id as it is; any other person by the kind of actor only (``chat``, ``admin``): the
    employees who handled the data are not the subject's data."""
    kind, _, rest = actor.partition(":")
    if kind in ("sync", "nightly", "system", "retention") or not rest:
        return actor
    if chat_user is not None and actor == f"chat:{chat_user}":
        return actor
    return f"{kind}:{OTHER}"
