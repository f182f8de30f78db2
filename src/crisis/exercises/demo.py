"""The public demonstration exercise: a short flood on the demo city, for visitors.

It is an ordinary exercise file, kept apart from the bundled library (``data/demo/``) so that
it does not appear among the learners' exercises. Its size is fixed by the file: few measures,
a small budget and few scenarios, so that one run takes seconds.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from crisis.exercises.debrief import run_exercise
from crisis.exercises.library import parse_exercise
from crisis.exercises.models import Exercise


@functools.lru_cache(maxsize=1)
def demo_exercise() -> Exercise:
    """The demonstration exercise (read and checked once)."""
    item = resources.files("crisis.exercises") / "data" / "demo" / "flood.yaml"
    return parse_exercise(item.read_bytes(), "demo/flood.yaml")


def run_demo(placements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Run a visitor's plan on the demonstration exercise and return the debrief.

    The number of scenarios and the seed are the exercise's own; a visitor cannot change them.

    Raises:
        PlanError: the plan breaks a rule of the exercise.
    """
    exercise = demo_exercise()
    return run_exercise(exercise, placements, n_scenarios=exercise.scenarios)
