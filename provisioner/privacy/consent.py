"""Photo and video consent (toestemming beeldmateriaal): may this pupil's image go on this medium?

- :func:`decide` (pure, :mod:`provisioner.privacy.consent_decision`): one pupil's answers,
  their age and the school's settings give a :class:`ConsentAnswer` with a stable reason code
  (docs/consent.md has the rules);
- :class:`ConsentRegister`: the same question over the state store, for a pupil or a whole
  group (two queries, however large the group), with the pupils who will not be recognisable
  left out;
- :func:`save_consent_history` (:mod:`provisioner.privacy.consent_history`): how answers
  from the SIS or a file become the stored history, per giver.

Rules (DOMAIN.md, seeds 002 §7, 003, 004): publishing a *recognisable* image needs consent per
medium; under 16 the parents decide, from 16 the pupil; consent can be withdrawn at any time,
not retroactively; an unanswered question is a no; only a free, explicit opt-in is consent
(an opt-out form, a pre-ticked box or consent as a condition of enrolment is not).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.audit.service import record
from provisioner.config import Config, ConsentConfig
from provisioner.directory import Directory, PupilEntry
from provisioner.domain.models import ConsentGiver, ConsentMechanism, ConsentStatus
from provisioner.privacy.consent_decision import (
    CONSENT_AGE,
    NOT_RECOGNISABLE,
    ConsentAnswer,
    ConsentSettings,
    Reason,
    StoredAnswer,
    decide,
    required_giver,
)
from provisioner.privacy.consent_history import save_consent_history
from provisioner.privacy.media import Catalogue, Medium, catalogue_for, normalise_medium
from provisioner.store.tables import Consent

__all__ = [
    "CONSENT_AGE", "NOT_RECOGNISABLE", "ConsentAnswer", "ConsentRegister", "ConsentSettings",
    "GroupConsentAnswer", "PupilNamed", "PupilWithout", "Reason", "StoredAnswer",
    "UnknownMedium", "UnknownPupil", "decide", "default_mechanism", "required_giver",
    "resolve_medium", "save_consent_history", "settings_for",
]  # fmt: skip


class UnknownMedium(ValueError):
    """The text names no medium of the school's catalogue (or several)."""

    def __init__(self, message: str, media: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.media = tuple(media)  # the catalogue's canonical names


class UnknownPupil(LookupError):
    """No pupil or group with this id in the directory."""


@dataclass(frozen=True)
class PupilWithout:
    """A pupil of a group whose image may not be used, with the reason. The name is for the
    asker only: never log it."""

    key: str
    name: str
    answer: ConsentAnswer


@dataclass(frozen=True)
class PupilNamed:
    """A pupil left out of a group check because they will not be recognisable in the image.
    The name is for the asker only: never log it."""

    key: str
    name: str


@dataclass(frozen=True)
class GroupConsentAnswer:
    """A whole group: allowed for all ``total`` pupils, or who is missing and why.

    ``not_recognisable`` are the pupils the asker said will not be recognisable in this
    image: left out of the decision, and the answer holds only while they stay so."""

    group_id: str
    medium: str
    on: date
    total: int
    without: tuple[PupilWithout, ...] = field(default_factory=tuple)
    reason: Reason = Reason.GRANTED  # NO_CONSENT_NEEDED when the medium needs none
    not_recognisable: tuple[PupilNamed, ...] = field(default_factory=tuple)

    @property
    def allowed(self) -> bool:
        return not self.without

    @property
    def condition(self) -> str | None:
        return NOT_RECOGNISABLE if self.not_recognisable else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason.value if self.allowed else "not_all_pupils",
            "group": self.group_id,
            "medium": self.medium,
            "on": self.on.isoformat(),
            "total": self.total,
            "without": [
                {"pupil": p.key, "name": p.name, "reason": p.answer.reason.value,
                 "since": p.answer.since.isoformat() if p.answer.since else None,
                 "given_by": p.answer.given_by.value if p.answer.given_by else None,
                 "mechanism": p.answer.mechanism.value if p.answer.mechanism else None}
                for p in self.without
            ],
            "condition": self.condition,
            "not_recognisable": [{"pupil": p.key, "name": p.name} for p in self.not_recognisable],
        }  # fmt: skip


# -- configuration ---------------------------------------------------------------------------


def settings_for(config: ConsentConfig, location: str | None) -> ConsentSettings:
    """The consent settings of one location (BRIN6): its own where set, else the board's."""
    own = config.locations.get(location) if location else None
    every_year = config.asks_every_year
    if own is not None and own.asks_every_year is not None:
        every_year = own.asks_every_year
    month, day = (int(part) for part in config.school_year_start.split("-"))
    return ConsentSettings(
        asks_every_year=every_year,
        year_start=(month, day),
        default_mechanism=default_mechanism(config, location) or ConsentMechanism.UNKNOWN,
    )


def default_mechanism(config: ConsentConfig, location: str | None) -> ConsentMechanism | None:
    """How a location's answers were obtained when the source does not say: its own
    ``default_mechanism``, else the board's; None when neither is set (counts as unknown)."""
    own = config.locations.get(location) if location else None
    if own is not None and own.default_mechanism is not None:
        return ConsentMechanism(own.default_mechanism)
    if config.default_mechanism is not None:
        return ConsentMechanism(config.default_mechanism)
    return None


def resolve_medium(text: str, catalogue: Catalogue) -> Medium:
    """The catalogue's medium for ``text``; :class:`UnknownMedium` when it names none or two."""
    medium = normalise_medium(text, catalogue)
    if medium is None:
        names = [m.name for m in catalogue.media]
        raise UnknownMedium(
            f"'{text}' is not one medium of the catalogue ({', '.join(names)})", names
        )
    return medium


# -- the register over the store -------------------------------------------------------------


class ConsentRegister:
    """Answers consent questions from the stored history and the directory.

    ``check_group`` reads the group's pupils and all their answers in two queries. Pupils
    the asker says will not be recognisable are left out of the decision; who said so is
    audited (``consent.not_recognisable``: ids only, never the asker's words).
    """

    def __init__(self, sessions: sessionmaker[Session], config: Config) -> None:
        self.sessions = sessions
        self.config = config
        self.directory = Directory(sessions)

    def check_pupil(
        self,
        pupil_key: str,
        medium: str,
        on: date,
        *,
        recognisable: bool = True,
        asserted_by: str | None = None,
    ) -> ConsentAnswer:
        """One pupil (``pupil:<SIS id>`` or the bare SIS id). ``recognisable=False``: an
        image in which the pupil cannot be recognised, asserted by ``asserted_by``."""
        key = _pupil_key(pupil_key)
        pupil = self.directory.pupil(key)
        if pupil is None:
            raise UnknownPupil(f"no pupil {key} in the directory")
        catalogue = catalogue_for(self.config.consent, pupil.location)
        wanted = resolve_medium(medium, catalogue)
        if not recognisable and wanted.needs_consent:
            self._audit_not_recognisable(asserted_by, key, [key], wanted, on)
        history = self._histories([pupil], catalogue).get(pupil.sis_id, []) if recognisable else []
        return self._decide(pupil, history, wanted, on, recognisable=recognisable)

    def check_group(
        self,
        group_id: str,
        medium: str,
        on: date,
        *,
        not_recognisable: Collection[str] = (),
        asserted_by: str | None = None,
    ) -> GroupConsentAnswer:
        """Every active pupil of a group; the answer names only those without consent.

        ``not_recognisable``: pupil keys (or SIS ids) of the group who will not be
        recognisable in this image, asserted by ``asserted_by``: left out of the decision
        and named in the answer. A pupil not in the group raises :class:`UnknownPupil`."""
        pupils = [p for p in self.directory.pupils_in(group_id) if p.active]
        if pupils:
            location: str | None = pupils[0].location
        else:
            group = self.directory.group(group_id)
            if group is None:
                raise UnknownPupil(f"no group {group_id} in the directory")
            location = group.location
        excluded = sorted({_pupil_key(k) for k in not_recognisable})
        in_group = {p.key: p for p in pupils}
        strangers = [k for k in excluded if k not in in_group]
        if strangers:
            raise UnknownPupil(f"{', '.join(strangers)} not in group {group_id}")
        catalogue = catalogue_for(self.config.consent, location)
        wanted = resolve_medium(medium, catalogue)
        if not wanted.needs_consent:
            return GroupConsentAnswer(
                group_id, wanted.name, on, len(pupils), reason=Reason.NO_CONSENT_NEEDED
            )
        if excluded:
            self._audit_not_recognisable(asserted_by, f"class:{group_id}", excluded, wanted, on)
        named = tuple(PupilNamed(k, in_group[k].name.display) for k in excluded)
        counted = [p for p in pupils if p.key not in excluded]
        histories = self._histories(counted, catalogue)
        without = []
        for pupil in counted:
            answer = self._decide(pupil, histories.get(pupil.sis_id, []), wanted, on)
            if not answer.allowed:
                without.append(PupilWithout(pupil.key, pupil.name.display, answer))
        return GroupConsentAnswer(
            group_id, wanted.name, on, len(pupils), tuple(without), not_recognisable=named
        )

    def _audit_not_recognisable(
        self, actor: str | None, subject: str, pupils: Sequence[str], medium: Medium, on: date
    ) -> None:
        if not actor:
            raise ValueError("who says the pupils will not be recognisable must be named")
        with self.sessions.begin() as session:
            record(
                session,
                actor=actor,
                action="consent.not_recognisable",
                target="consent",
                object_key=subject,
                reason=f"{len(pupils)} pupil(s) left out: not recognisable in the image",
                change={"medium": medium.name, "on": on.isoformat(), "pupils": list(pupils)},
            )

    def _decide(
        self,
        pupil: PupilEntry,
        history: Sequence[StoredAnswer],
        medium: Medium,
        on: date,
        *,
        recognisable: bool = True,
    ) -> ConsentAnswer:
        settings = settings_for(self.config.consent, pupil.location)
        answer = decide(
            history, medium, age=pupil.age_on(on), on=on, settings=settings,
            recognisable=recognisable,
        )  # fmt: skip
        return replace(answer, pupil_key=pupil.key)

    def _histories(
        self, pupils: Sequence[PupilEntry], catalogue: Catalogue
    ) -> dict[str, list[StoredAnswer]]:
        """SIS id -> answers, in one query; stored medium names mapped onto the catalogue."""
        if not pupils:
            return {}
        ids = [p.sis_id for p in pupils]
        with self.sessions() as session:
            rows = session.execute(
                select(
                    Consent.pupil_id, Consent.medium, Consent.status, Consent.school_year,
                    Consent.recorded_on, Consent.given_by, Consent.mechanism,
                ).where(Consent.pupil_id.in_(ids))
            ).all()  # fmt: skip
        canonical: dict[str, str] = {}
        histories: dict[str, list[StoredAnswer]] = {}
        for pupil_id, stored_medium, status, year, day, giver, mechanism in rows:
            name = canonical.get(stored_medium)
            if name is None:
                medium = normalise_medium(stored_medium, catalogue)
                name = canonical[stored_medium] = medium.name if medium else stored_medium
            histories.setdefault(pupil_id, []).append(
                StoredAnswer(
                    name,
                    ConsentStatus(status),
                    year,
                    day,
                    ConsentGiver(giver),
                    ConsentMechanism(mechanism) if mechanism else None,
                )
            )
        return histories


def _pupil_key(text: str) -> str:
    return text if text.startswith("pupil:") else f"pupil:{text}"
