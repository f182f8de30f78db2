"""Evidence from a completed exercise toward the competences of its objectives.

A score (the plan's benefit as a percentage of the optimiser's: 100 matches it, above 100
beats it; it is kept as it is) becomes a level on the profile's 0..4 scale:
``level = 1 + 3 · min(score, 100) / 100`` (finishing an exercise shows at least awareness,
level 1; matching or beating the optimiser shows level 4). One exercise is weak evidence, so
its standard deviation is :data:`EXERCISE_SD` levels.
"""

from __future__ import annotations

from dataclasses import dataclass

from crisis.exercises.models import Exercise
from crisis.learners.profile import Evidence

#: How far one exercise result is trusted, in levels.
EXERCISE_SD = 1.2


def level_of(score: float) -> float:
    """Level on 0..4 for an exercise score of 0–100."""
    return 1.0 + 3.0 * min(max(float(score), 0.0), 100.0) / 100.0


@dataclass(frozen=True)
class ExerciseEvidence:
    """What a completed exercise tells about a learner."""

    exercise: str
    competences: tuple[str, ...]
    score: float

    def records(self, note: str = "") -> list[Evidence]:
        """Profile evidence, one record per competence."""
        level = level_of(self.score)
        text = (
            note or f"exercise {self.exercise}: score {self.score:.0f} (100 = the optimiser's plan)"
        )
        return [Evidence(c, level, EXERCISE_SD, "exercise", text) for c in self.competences]


def evidence_for_run(exercise: Exercise, score: float) -> ExerciseEvidence:
    """The evidence a run of ``exercise`` with ``score`` yields."""
    return ExerciseEvidence(exercise.id, tuple(exercise.competences()), float(score))
