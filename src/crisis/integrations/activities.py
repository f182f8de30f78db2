"""What an LMS can link to in CRISIS: the activities of the learner journey.

An activity has a stable key (``test``, ``self-assessment``, ``unit:M01-2``,
``exercise:flood-river``, ``workbench:M09-2``), a title, the page it opens and, if it is
gradable, the maximum score sent back to the LMS gradebook.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crisis.courses.loader import Course
from crisis.courses.units import ExerciseActivity, QuizActivity, WorkbenchActivity
from crisis.exceptions import NotFoundError
from crisis.exercises.models import Exercise

KINDS = ("self-assessment", "test", "unit", "exercise", "workbench")


@dataclass(frozen=True)
class Activity:
    """One linkable activity."""

    key: str
    kind: str
    title: str
    path: str
    #: The score sent to the LMS is out of this; ``None`` = not graded.
    score_maximum: float | None = None
    module: str = ""

    @property
    def gradable(self) -> bool:
        return self.score_maximum is not None


def catalogue(course: Course, exercises: Iterable[Exercise], lang: str = "en") -> list[Activity]:
    """Every activity an instructor may link, in the order they are offered."""
    found = [
        Activity(
            "self-assessment", "self-assessment", "Self-assessment", "/learning/self-assessment"
        ),
        Activity("test", "test", "Adaptive knowledge test", "/learning/test", 100.0),
    ]
    for module in course.modules():
        for unit in course.of_module(module):
            text = unit.translations.get(lang, unit.text) if lang != "en" else unit.text
            path = f"/learning/courses/{module}/{unit.id}"
            if isinstance(unit.activity, QuizActivity):
                found.append(
                    Activity(
                        f"unit:{unit.id}",
                        "unit",
                        f"{unit.id} {text.title}",
                        path,
                        float(unit.activity.questions),
                        module,
                    )
                )
            elif isinstance(unit.activity, WorkbenchActivity):
                found.append(
                    Activity(
                        f"workbench:{unit.id}",
                        "workbench",
                        f"{unit.id} {text.title}",
                        path,
                        None,
                        module,
                    )
                )
            elif isinstance(unit.activity, ExerciseActivity):
                found.append(
                    Activity(
                        f"unit:{unit.id}", "unit", f"{unit.id} {text.title}", path, None, module
                    )
                )
    for exercise in exercises:
        title = exercise.title.get(lang) or exercise.title.get("en") or exercise.id
        found.append(
            Activity(
                f"exercise:{exercise.id}",
                "exercise",
                str(title),
                f"/exercises/{exercise.id}",
                100.0,
            )
        )
    return found


def find(activities: Iterable[Activity], key: str) -> Activity:
    """The activity with this key.

    Raises:
        NotFoundError: no such activity (the message names the key).
    """
    for activity in activities:
        if activity.key == key:
            return activity
    raise NotFoundError(f"activity {key!r}: CRISIS has no such activity")
