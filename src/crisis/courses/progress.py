"""Progress by evidence: a unit is complete when its activity's evidence exists, never by a tick.

* **quiz** — a submitted quiz of that unit reached the pass mark;
* **exercise** — a run of that exercise by the learner finished (with at least ``min_score``
  when the unit sets one) at or after the learner first opened the unit;
* **workbench** — a version of the learner's practice workspace saved at or after the learner
  first opened the unit holds the task's artefact, made or changed since then
  (:mod:`crisis.courses.practice`).

Evidence counts from the moment the learner opens the unit: several units share an exercise
or a workbench task (the river-flood exercise serves seven modules), and one run or one saved
register must not complete all of them at once. Quizzes belong to their unit already.

A module is complete when all its units are; a module without units in CRISIS (the
university programme's modules, taught elsewhere) is complete when an instructor records it.
A completed module is evidence in the competence profile: for each competence its outcomes
teach, a level equal to the highest outcome level with standard deviation :data:`MODULE_SD`
(weight ``1 / 0.8² ≈ 1.6``, about one and a half self-ratings; one exercise run weighs
``1 / 1.2² ≈ 0.7``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from crisis.competences.models import Catalogue, Module
from crisis.courses.loader import Course
from crisis.courses.practice import task_evidence
from crisis.courses.units import ExerciseActivity, QuizActivity, Unit, WorkbenchActivity
from crisis.learners.profile import Evidence
from crisis.workbench.workspace import Workspace

#: How far a completed module is trusted as evidence of its outcomes' levels, in levels.
MODULE_SD = 0.8


@dataclass(frozen=True)
class QuizFact:
    """A submitted quiz: unit, score, when."""

    unit: str
    correct: int
    total: int
    at: dt.datetime


@dataclass(frozen=True)
class RunFact:
    """A finished exercise run."""

    run: int
    exercise: str
    score: float
    at: dt.datetime


@dataclass(frozen=True)
class PracticeVersion:
    """One saved version of the practice workspace."""

    number: int
    workspace: Workspace
    plan: list[dict[str, object]] | None
    at: dt.datetime


@dataclass(frozen=True)
class Facts:
    """Everything the store knows that can count as evidence for one learner."""

    quizzes: Sequence[QuizFact] = ()
    runs: Sequence[RunFact] = ()
    practice: Sequence[PracticeVersion] = ()
    #: Unit id → when the learner last opened it (where to resume).
    visits: Mapping[str, dt.datetime] = field(default_factory=dict)
    #: Unit id → when the learner first opened it; the unit's exercise and workbench evidence
    #: counts from then on.
    opened: Mapping[str, dt.datetime] = field(default_factory=dict)
    #: Module id → (when, by whom) for modules recorded complete by an instructor.
    recognised: Mapping[str, tuple[dt.datetime, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitProgress:
    """Where a learner stands in one unit."""

    unit: str
    status: str  # "not started", "started" or "complete"
    evidence: str | None = None
    completed_at: dt.datetime | None = None
    #: The exercise run that completed it, for an exercise unit.
    run: int | None = None

    @property
    def complete(self) -> bool:
        """Whether the unit's evidence exists."""
        return self.status == "complete"

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "unit": self.unit,
            "status": self.status,
            "evidence": self.evidence,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
        }


@dataclass(frozen=True)
class ModuleProgress:
    """Where a learner stands in one module."""

    module: str
    units: list[UnitProgress]
    minutes: int
    minutes_left: int
    resume: str | None
    complete: bool
    completed_at: dt.datetime | None
    recognised_by: str | None = None

    @property
    def done(self) -> int:
        """Units complete."""
        return sum(1 for u in self.units if u.complete)

    @property
    def started(self) -> bool:
        """Whether any unit was opened or done."""
        return any(u.status != "not started" for u in self.units)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "module": self.module,
            "complete": self.complete,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "recognised_by": self.recognised_by,
            "units_done": self.done,
            "units": [u.as_dict() for u in self.units],
            "minutes": self.minutes,
            "minutes_left": self.minutes_left,
            "resume": self.resume,
        }


def unit_progress(unit: Unit, facts: Facts) -> UnitProgress:
    """The unit's status from the evidence in ``facts``."""
    activity = unit.activity
    opened = facts.opened.get(unit.id)
    found: tuple[dt.datetime, str] | None = None
    ref: int | None = None
    if isinstance(activity, QuizActivity):
        passed = [
            q
            for q in facts.quizzes
            if q.unit == unit.id and q.total and q.correct >= _needed(activity, q.total)
        ]
        if passed:
            quiz = min(passed, key=lambda q: q.at)
            found = (quiz.at, f"quiz passed: {quiz.correct}/{quiz.total} correct")
    elif isinstance(activity, ExerciseActivity) and opened is not None:
        runs = [
            r
            for r in facts.runs
            if r.exercise == activity.exercise
            and r.at >= opened
            and (activity.min_score is None or r.score >= activity.min_score)
        ]
        if runs:
            run = min(runs, key=lambda r: r.at)
            found = (run.at, f"exercise run {run.run}: score {run.score:.0f}/100")
            ref = run.run
    elif isinstance(activity, WorkbenchActivity) and opened is not None:
        before: PracticeVersion | None = None
        for version in sorted(facts.practice, key=lambda v: v.number):
            if version.at < opened:
                before = version
                continue
            what = task_evidence(
                activity.task,
                version.workspace,
                version.plan,
                (before.workspace, before.plan) if before is not None else None,
            )
            if what is not None:
                found = (version.at, f"practice workspace version {version.number}: {what}")
                break
    if found is not None:
        return UnitProgress(unit.id, "complete", found[1], found[0], ref)
    started = (
        unit.id in facts.visits
        or unit.id in facts.opened
        or any(q.unit == unit.id for q in facts.quizzes)
    )
    return UnitProgress(unit.id, "started" if started else "not started")


def _needed(activity: QuizActivity, total: int) -> int:
    import math

    return math.ceil(activity.pass_share * total - 1e-9)


def module_progress(module: Module, units: Sequence[Unit], facts: Facts) -> ModuleProgress:
    """Where a learner stands in ``module`` whose units are ``units`` (in reading order)."""
    recognised = facts.recognised.get(module.id)
    progress = [unit_progress(u, facts) for u in units]
    minutes = sum(u.minutes for u in units) if units else int(float(module.hours) * 60)
    left = sum(u.minutes for u, p in zip(units, progress, strict=True) if not p.complete)
    if not units:
        left = 0 if recognised else minutes
    complete = bool(units) and all(p.complete for p in progress)
    completed_at = max((p.completed_at for p in progress if p.completed_at), default=None)
    by = None
    if recognised is not None and not complete:
        complete, completed_at, by, left = True, recognised[0], recognised[1], 0
    resume = None
    open_units = [u for u, p in zip(units, progress, strict=True) if not p.complete]
    if open_units and not complete:
        visited = [u for u in open_units if u.id in facts.visits]
        resume = max(visited, key=lambda u: facts.visits[u.id]).id if visited else open_units[0].id
    return ModuleProgress(
        module=module.id,
        units=progress,
        minutes=minutes,
        minutes_left=left,
        resume=resume,
        complete=complete,
        completed_at=completed_at if complete else None,
        recognised_by=by,
    )


def course_progress(
    catalogue: Catalogue, course: Course, facts: Facts, modules: Iterable[str] | None = None
) -> dict[str, ModuleProgress]:
    """Progress in every module of the curriculum (or those in ``modules``)."""
    wanted = None if modules is None else set(modules)
    return {
        m.id: module_progress(m, course.of_module(m.id), facts)
        for m in catalogue.curriculum.modules
        if wanted is None or m.id in wanted
    }


def completed_modules(progress: Mapping[str, ModuleProgress]) -> list[str]:
    """Ids of the complete modules."""
    return sorted(mid for mid, p in progress.items() if p.complete)


def module_evidence(catalogue: Catalogue, completed: Iterable[str]) -> list[Evidence]:
    """Competence-profile evidence of completed modules (see the module docstring)."""
    out: list[Evidence] = []
    known = {c.id for c in catalogue.framework.competences}
    for mid in completed:
        module = catalogue.module(mid)
        levels: dict[str, int] = {}
        for outcome in module.outcomes:
            levels[outcome.competence] = max(levels.get(outcome.competence, 0), int(outcome.level))
        out += [
            Evidence(cid, float(level), MODULE_SD, "course", f"module {mid} completed")
            for cid, level in levels.items()
            if cid in known
        ]
    return out
