"""An internship (*stage*, *LIO-stage*): who, where, from when to when, and who supervises.

Plain data, read by the intern list's connector (``connectors/interns``) and by HR posts whose
function title maps to ``intern``; the policy (:mod:`provisioner.policy.interns`) and the end
of an internship (:mod:`provisioner.accountability.interns`) use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from provisioner.domain.models import PersonName, staff_key

__all__ = ["Internship", "InternshipOrigin"]


class InternshipOrigin(StrEnum):
    LIST = "interns"  # the intern list (a source of its own)
    HR = "hr"  # an HR post whose function title maps to intern


@dataclass(frozen=True, slots=True)
class Internship:
    """One internship of one intern at one school; ``end`` is the last day, inclusive.

    ``number`` is the intern's number in the board's employee-number range, so the intern's
    key is ``staff:<number>`` like everyone else's. The supervisors are employee numbers of
    the school's staff: the *werkplekbegeleider* (workplace supervisor) and the
    *schoolopleider* (school's teacher trainer), the only people at the school who may see
    the intern's progress data (seed 000 §1.2)."""

    number: str
    name: PersonName
    location: str  # BRIN6
    start: date
    end: date | None
    study_end: date | None = None
    institute: str = ""
    workplace_supervisor: str | None = None
    school_trainer: str | None = None
    origin: InternshipOrigin = InternshipOrigin.LIST

    @property
    def key(self) -> str:
        return staff_key(self.number)

    @property
    def subject(self) -> str:
        """What names this internship among the intern's others: ``internship:<BRIN6>:<start>``."""
        return f"internship:{self.location}:{self.start.isoformat()}"

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)
