"""Courses: the modules' units, their activities, progress by evidence and course runs."""

from crisis.courses.loader import (
    Course,
    References,
    assemble,
    bundled_course,
    bundled_references,
    load_units,
)
from crisis.courses.practice import practice_name, task_evidence
from crisis.courses.progress import (
    MODULE_SD,
    Facts,
    ModuleProgress,
    UnitProgress,
    course_progress,
    module_evidence,
    module_progress,
)
from crisis.courses.render import render_markdown
from crisis.courses.runs import RunPlan, check_run, deadline_status, run_progress
from crisis.courses.units import BLOCKS, TASKS, Unit, UnitText, parse_translation, parse_unit

__all__ = [
    "BLOCKS",
    "MODULE_SD",
    "TASKS",
    "Course",
    "Facts",
    "ModuleProgress",
    "References",
    "RunPlan",
    "Unit",
    "UnitProgress",
    "UnitText",
    "assemble",
    "bundled_course",
    "bundled_references",
    "check_run",
    "course_progress",
    "deadline_status",
    "load_units",
    "module_evidence",
    "module_progress",
    "parse_translation",
    "parse_unit",
    "practice_name",
    "render_markdown",
    "run_progress",
    "task_evidence",
]
