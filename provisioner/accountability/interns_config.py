"""``[interns]``: interns and student teachers (*stagiair*, *LIO*; seeds 000 and 003)."""

from __future__ import annotations

from pydantic import Field

from provisioner.config_base import Strict


class InternsConfig(Strict):
    """How interns' time-boxed access is given and ended (docs/accountability.md, "Interns").

    An internship comes from the intern list (``[sources.interns]``) or from an HR post whose
    function title maps to ``intern`` in ``[roles]``. Its account exists only from its start
    day to its last day; the nightly run disables it the day after, and the school gets tasks
    to destroy the intern's reflection data and classroom recordings."""

    days_before_start: int = Field(
        default=0,
        ge=0,
        le=31,
        description="Create an intern's account this many days before the internship's first "
        "day (0: on the first day itself). Other staff follow [lifecycle] days_before_start.",
    )
    reflection_days: int = Field(
        default=28,
        ge=0,
        le=366,
        description="The task to destroy the intern's reflection data (lesson observations, "
        "intervision reports: seed 000 §1.2 and §2.4, destroyed after the internship) is due "
        "this many days after the last day.",
    )
    recordings_months: int = Field(
        default=6,
        ge=0,
        le=6,
        description="Classroom recordings are destroyed at most this many months after the "
        "last day, and never later than the study's end when the intern list gives it (seed "
        "003: at most six months, never after the study ends).",
    )
