"""The conversation corpus (issue "Chat integrity", item 9): every scripted multi-turn
conversation of ``tests/conversations/`` through both front ends, the console in-process and
Slack (signed requests to the runtime, answers read from the fake Slack Web API).

Each scenario runs on its own copy of one demo board built once per session. A scenario that
shows a product defect is marked ``xfail(strict=True)`` with the defect as its reason.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.conversations.runner import Scenario, load, run

pytestmark = pytest.mark.slow

SCENARIOS = load()
AREAS = {"defects", "interruptions", "names_dates", "unauthorised", "consent_breach"}


def _params() -> list[object]:
    params: list[object] = []
    for item in SCENARIOS.values():
        for front in item.fronts:
            marks = []
            if item.xfail is not None and front in item.xfail_fronts:
                marks.append(pytest.mark.xfail(strict=True, reason=item.xfail))
            params.append(pytest.param(item, front, id=f"{item.name}-{front}", marks=marks))
    return params


@pytest.mark.parametrize(("item", "front"), _params())
def test_conversation(item: Scenario, front: str, tmp_path: Path) -> None:
    run(item, front, tmp_path)


def test_the_corpus_covers_every_area() -> None:
    per_area = Counter(item.area for item in SCENARIOS.values())
    assert set(per_area) == AREAS, per_area
    assert len(SCENARIOS) >= 60, len(SCENARIOS)
    assert min(per_area.values()) >= 5, per_area
    defects = [name for name in SCENARIOS if name.startswith("defect")]
    for number in range(1, 8):  # each defect the testers found has its scenario
        assert any(name.startswith(f"defect{number}_") for name in defects), number
