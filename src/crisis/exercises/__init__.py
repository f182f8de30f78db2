"""Exercises: the resilience simulator as a learning tool (plan, face the hazard, debrief)."""

from crisis.exercises.debrief import run_exercise, run_exercise_job
from crisis.exercises.library import (
    bundled,
    check_against_city,
    dump_exercise,
    load_bundled,
    parse_exercise,
)
from crisis.exercises.models import Exercise, Inject, Measure, Objective, Option, Text
from crisis.exercises.plans import Plan, PlanError, eligible, validate_plan

__all__ = [
    "Exercise",
    "Inject",
    "Measure",
    "Objective",
    "Option",
    "Plan",
    "PlanError",
    "Text",
    "bundled",
    "check_against_city",
    "dump_exercise",
    "eligible",
    "load_bundled",
    "parse_exercise",
    "run_exercise",
    "run_exercise_job",
    "validate_plan",
]
