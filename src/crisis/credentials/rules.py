"""When a competence-level credential is due: the evidence rule.

A learner earns the achievement for level L of a competence when their competence profile
(:func:`crisis.learners.build_profile`) makes it at least
:data:`~crisis.credentials.achievements.MIN_CONFIDENCE` probable that they are at level L or
above, that is, that their true level (normal around the profile's estimate, with its standard
deviation) is above L − 0.5; and when the profile rests on more than a self-rating (the test,
an exercise or other recorded evidence). Only the highest such level is awarded, and never
twice (nor a lower level once a higher one is held).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from crisis.credentials.achievements import MIN_CONFIDENCE
from crisis.learners.profile import CompetenceProfile


@dataclass(frozen=True)
class Due:
    """A competence level the learner has reached and holds no credential for."""

    competence: str
    level: int
    confidence: float
    evidence: str


def due(
    profile: CompetenceProfile,
    held: Iterable[tuple[str, int]],
    min_confidence: float = MIN_CONFIDENCE,
) -> list[Due]:
    """The competence levels to award now, given the (competence, level) pairs already held."""
    best: dict[str, int] = {}
    for comp, level in held:
        best[comp] = max(best.get(comp, 0), level)
    out = []
    for entry in profile.levels:
        sources = sorted({record.source for record in entry.evidence})
        if not set(sources) - {"self"} or entry.sd <= 0:
            continue
        reached = [
            (level, p)
            for level in (1, 2, 3, 4)
            if (p := at_least(entry.estimate, entry.sd, level)) >= min_confidence
        ]
        if not reached:
            continue
        level, probability = reached[-1]
        if best.get(entry.competence, 0) >= level:
            continue
        out.append(
            Due(
                entry.competence,
                level,
                probability,
                f"Competence profile: estimated level {entry.estimate:.2f} (standard deviation "
                f"{entry.sd:.2f}), so level {level} or above with {probability:.0%} probability; "
                f"from {', '.join(sources)} evidence.",
            )
        )
    return out


def at_least(estimate: float, sd: float, level: int) -> float:
    """The probability that the true level is ``level`` or above (above ``level`` − 0.5)."""
    return 0.5 * (1.0 + math.erf((estimate - (level - 0.5)) / (sd * math.sqrt(2.0))))
