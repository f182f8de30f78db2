"""The courses as the pages and the JSON API both use them: load → check → change → save.

Each function reads what it needs from the store, calls :mod:`crisis.courses` and returns
domain objects; no rule is decided here.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from crisis.competences.models import Catalogue
from crisis.courses import (
    Course,
    Facts,
    ModuleProgress,
    References,
    RunPlan,
    Unit,
    assemble,
    bundled_course,
    check_run,
    course_progress,
    deadline_status,
    module_evidence,
    run_progress,
)
from crisis.courses.loader import known_exercises
from crisis.courses.practice import handed_in
from crisis.courses.quiz import QuizResult, draw, score
from crisis.courses.runs import DeadlineStatus, RunProgress
from crisis.courses.units import QuizActivity, WorkbenchActivity, parse_unit
from crisis.exceptions import ConflictError, ContentError, NotFoundError, PermissionDeniedError
from crisis.learners import Evidence, load_bundled_items
from crisis.learners.schedule import scope_modules
from crisis.store import courses as store
from crisis.store import exercises as exercise_store
from crisis.store import learning as learning_store
from crisis.store.course_tables import CourseQuizAttempt, CourseRun
from crisis.store.learner_tables import LearningCohort
from crisis.store.tables import Job, User

#: Scope values besides programme ids.
ALL = "all"


# --- the course in force -------------------------------------------------------------------


@dataclass(frozen=True)
class CourseView:
    """The units in force (bundled, with instructors' versions over them) and any problem."""

    course: Course
    problems: list[str] = field(default_factory=list)


def references(db: Session, cat: Catalogue) -> References:
    """What units may point at: this catalogue, the item bank, every exercise."""
    authored = [row.slug for row in exercise_store.authored(db)]
    return References(cat, load_bundled_items(), known_exercises(authored))


def course_of(db: Session, cat: Catalogue) -> CourseView:
    """The course in force for ``cat``: bundled units of its modules, overrides applied.

    An authored version that no longer checks (its exercise was removed, say) is left out,
    the bundled unit stays, and the problem is reported.
    """
    base = bundled_course()
    known = {m.id for m in cat.curriculum.modules}
    units = {uid: u for uid, u in base.units.items() if u.module in known}
    rows = store.current_overrides(db)
    if not rows:
        return CourseView(Course(units))
    refs = references(db, cat)
    problems: list[str] = []
    english = [r for r in rows if r.lang == "en"]
    for row in english:
        if row.source is None:
            bundled = base.units.get(row.unit_id)
            if bundled is not None and bundled.module in known:
                units[row.unit_id] = bundled
            else:
                units.pop(row.unit_id, None)
            continue
        try:
            unit = _authored(row.source, row.unit_id, row.number, refs)
        except ContentError as exc:
            problems.append(f"{row.unit_id} version {row.number}: {exc.errors[0]}")
            continue
        kept = units.get(unit.id)
        units[unit.id] = _replace(unit, translations=dict(kept.translations) if kept else {})
    for row in rows:
        if row.lang == "en" or row.unit_id not in units:
            continue
        owner = units[row.unit_id]
        translations = dict(owner.translations)
        if row.source is None:
            bundled = base.units.get(row.unit_id)
            if bundled is not None and row.lang in bundled.translations:
                translations[row.lang] = bundled.translations[row.lang]
            else:
                translations.pop(row.lang, None)
        else:
            try:
                course = assemble(
                    [(f"{row.unit_id}.{row.lang}.md", row.source)],
                    refs,
                    origin="authored",
                    base=Course({owner.id: owner}),
                )
            except ContentError as exc:
                problems.append(f"{row.unit_id} ({row.lang}) version {row.number}: {exc.errors[0]}")
                continue
            translations[row.lang] = course.units[owner.id].translations[row.lang]
        units[owner.id] = _replace(owner, translations=translations)
    return CourseView(Course(units), problems)


def _replace(unit: Unit, **changes: Any) -> Unit:
    from dataclasses import replace

    return replace(unit, **changes)


@functools.lru_cache(maxsize=256)
def _parse_cached(source: str, name: str) -> Unit:
    return parse_unit(source, name, origin="authored")


def _authored(source: str, unit_id: str, number: int, refs: References) -> Unit:
    name = f"{unit_id}.md"
    unit = _parse_cached(source, name)
    from crisis.courses.loader import check_references

    problems = check_references(unit, refs)
    if problems:
        raise ContentError(problems[0], errors=problems)
    return unit


# --- evidence and progress ----------------------------------------------------------------


def facts_of(db: Session, user: User) -> Facts:
    """The learner's evidence; exercise runs whose job has ended are finished first."""
    from crisis.web.exercises_common import find_exercise

    for run in store.finish_pending_runs(db, user.id):
        job = db.get(Job, run.job_id) if run.job_id is not None else None
        if job is None:
            continue
        try:
            competences = find_exercise(db, run.exercise).competences()
        except NotFoundError:
            competences = []
        exercise_store.finish_run(db, run, job, competences)
    return store.facts(db, user.id)


def progress_of(
    db: Session, user: User, cat: Catalogue, course: Course, modules: Sequence[str] | None = None
) -> dict[str, ModuleProgress]:
    """Progress in every module (or those in ``modules``)."""
    return course_progress(cat, course, facts_of(db, user), modules)


def completed_modules(db: Session, user: User, cat: Catalogue) -> list[str]:
    """Modules the learner completed, by evidence."""
    course = course_of(db, cat).course
    progress = course_progress(cat, course, store.facts(db, user.id))
    return sorted(mid for mid, p in progress.items() if p.complete)


def course_evidence(db: Session, user: User, cat: Catalogue) -> list[Evidence]:
    """Profile evidence from the learner's completed modules."""
    return module_evidence(cat, completed_modules(db, user, cat))


def scope_of(cat: Catalogue, scope: str | None) -> list[str] | None:
    """Module ids of a stored scope (``None``: every module); an unknown scope is the default."""
    try:
        return scope_modules(cat.curriculum, scope)
    except ContentError:
        return scope_modules(cat.curriculum, None)


def scope_choices(cat: Catalogue, lang: str) -> list[tuple[str, str, float, float]]:
    """``(value, title, hours, ects)`` of each scope a learner may choose."""
    out = []
    for programme in cat.curriculum.programmes:
        modules = [cat.module(m) for m in programme.modules]
        out.append(
            (
                programme.id,
                programme.title.get(lang),
                sum(float(m.hours) for m in modules),
                sum(float(m.ects) for m in modules),
            )
        )
    return out


def has_evidence(db: Session, user: User, cat: Catalogue) -> bool:
    """Whether anything at all is known about the learner (ratings, a test, exercises, courses)."""
    if learning_store.ratings(db, user) or learning_store.latest_finished(db, user):
        return True
    if exercise_store.evidence_rows(db, user.id):
        return True
    return bool(completed_modules(db, user, cat))


# --- units and quizzes --------------------------------------------------------------------


def unit_of(course: Course, module_id: str, unit_id: str) -> Unit:
    """A unit of a module.

    Raises:
        NotFoundError: no such unit in this module.
    """
    unit = course.unit(unit_id)
    if unit.module != module_id:
        raise NotFoundError(f"unit {unit_id} is not in module {module_id}")
    return unit


def quiz_activity(unit: Unit) -> QuizActivity:
    """The unit's quiz.

    Raises:
        ConflictError: the unit's activity is not a quiz.
    """
    if not isinstance(unit.activity, QuizActivity):
        raise ConflictError(f"unit {unit.id} has no quiz; its activity is {unit.activity.kind}")
    return unit.activity


def start_quiz(db: Session, user: User, unit: Unit) -> CourseQuizAttempt:
    """The learner's open quiz of the unit, or a new draw."""
    activity = quiz_activity(unit)
    found = store.open_quiz(db, user, unit.id)
    if found is not None and len(found.items) == activity.questions:
        bank = load_bundled_items()
        if all(i in bank for i in found.items):
            return found
    items = draw(activity, load_bundled_items(), secrets.randbits(31))
    return store.start_quiz(db, user, unit.id, items)


def submit_quiz(
    db: Session, user: User, unit: Unit, attempt_id: int, answers: Mapping[str, int]
) -> tuple[CourseQuizAttempt, QuizResult]:
    """Score and record a quiz's answers, once.

    Raises:
        NotFoundError: not the learner's quiz, or not of this unit.
        ConflictError: already submitted.
        ContentError: an answer is missing or invalid (nothing is recorded).
    """
    activity = quiz_activity(unit)
    db.rollback()
    row = store.get_quiz(db, user, attempt_id)
    if row.unit_id != unit.id:
        raise NotFoundError(f"quiz {attempt_id} is not a quiz of unit {unit.id}")
    if row.submitted_at is not None:
        raise ConflictError("this quiz was already submitted; its answers were not changed")
    result = score(activity, load_bundled_items(), row.items, answers)
    store.submit_quiz(db, row, dict(answers), result.correct, result.passed)
    return row, result


def quiz_result(unit: Unit, row: CourseQuizAttempt) -> QuizResult:
    """The result of a submitted quiz."""
    return score(quiz_activity(unit), load_bundled_items(), row.items, row.answers or {})


# --- practice workspace ----------------------------------------------------------------------


def practice(db: Session, user: User) -> str:
    """The name of the learner's practice workspace (made on first use)."""
    return store.ensure_practice(db, user).name


# --- course runs --------------------------------------------------------------------------


def plan_of(run: CourseRun) -> RunPlan:
    """A stored run as a :class:`RunPlan`."""
    return RunPlan(
        run.title,
        tuple(run.modules),
        run.start,
        tuple(run.required),
        {k: dt.date.fromisoformat(v) for k, v in (run.deadlines or {}).items()},
    )


def open_run(
    db: Session,
    user: User,
    cat: Catalogue,
    course: Course,
    *,
    cohort_id: int,
    title: str,
    modules: Sequence[str],
    start: dt.date,
    required: Sequence[str] | None,
    deadlines: Mapping[str, dt.date],
) -> CourseRun:
    """Open a course run for a cohort the instructor runs.

    Raises:
        ContentError: naming each problem of the run.
        PermissionDeniedError: the cohort is run by someone else.
    """
    cohort = learning_store.get_cohort(db, cohort_id)
    if not may_run(user, cohort):
        raise PermissionDeniedError(f"cohort {cohort_id} is run by another instructor")
    plan = check_run(
        cat,
        course,
        title=title,
        modules=modules,
        start=start,
        required=required,
        deadlines=deadlines,
    )
    return store.create_run(
        db,
        user,
        cohort.id,
        title=plan.title,
        modules=plan.modules,
        start=plan.start,
        required=plan.required,
        deadlines=plan.deadlines,
    )


def may_run(user: User, cohort: LearningCohort) -> bool:
    """Whether ``user`` runs ``cohort`` (admins run every cohort)."""
    return user.role == "admin" or cohort.owner_id == user.id


def runs_for_learner(db: Session, user: User) -> list[tuple[CourseRun, LearningCohort]]:
    """Runs of the cohorts the learner has joined."""
    cohorts = {c.id: c for c, _ in learning_store.memberships(db, user)}
    return [(r, cohorts[r.cohort_id]) for r in store.runs_of_cohorts(db, list(cohorts))]


def runs_owned(db: Session, user: User) -> list[tuple[CourseRun, LearningCohort]]:
    """Runs of the cohorts the instructor runs."""
    cohorts = {c.id: c for c in learning_store.owned_cohorts(db, user)}
    return [(r, cohorts[r.cohort_id]) for r in store.runs_of_cohorts(db, list(cohorts))]


def learner_deadlines(
    db: Session, user: User, cat: Catalogue, course: Course, today: dt.date
) -> list[tuple[CourseRun, list[DeadlineStatus]]]:
    """Each run of the learner's cohorts with their deadlines' status."""
    out: list[tuple[CourseRun, list[DeadlineStatus]]] = []
    runs = runs_for_learner(db, user)
    if not runs:
        return out
    progress = progress_of(db, user, cat, course)
    for run, _ in runs:
        out.append((run, deadline_status(plan_of(run), progress, today)))
    return out


@dataclass(frozen=True)
class RunView:
    """A run as its instructor sees it."""

    run: CourseRun
    cohort: LearningCohort
    plan: RunPlan
    progress: RunProgress


def run_for_instructor(
    db: Session, user: User, cat: Catalogue, course: Course, run_id: int, today: dt.date
) -> RunView:
    """A run's progress under the cohort's consent rules.

    Raises:
        NotFoundError: no such run.
        PermissionDeniedError: the run's cohort is run by someone else.
    """
    run = store.get_run(db, run_id)
    cohort = learning_store.get_cohort(db, run.cohort_id)
    if not may_run(user, cohort):
        raise PermissionDeniedError(f"course run {run_id} belongs to another instructor's cohort")
    plan = plan_of(run)
    members = []
    for member, learner in learning_store.members(db, cohort):
        if learner is None:
            continue
        progress = course_progress(cat, course, facts_of(db, learner), plan.modules)
        members.append((member.label, learner.id, member.consented, progress))
    return RunView(run, cohort, plan, run_progress(plan, members, today))


@dataclass(frozen=True)
class HandedIn:
    """A consenting learner's work in a run, unit by unit, with feedback."""

    learner: User
    units: list[tuple[Unit, Any, list[str], list[Any]]]


def handed_in_work(
    db: Session, user: User, cat: Catalogue, course: Course, run_id: int, learner_id: int
) -> tuple[RunView, HandedIn]:
    """What a consenting learner handed in for the run's units, and the feedback given.

    Raises:
        PermissionDeniedError: not the instructor of the run, or the learner has not
            consented to share their results.
        NotFoundError: the learner is not in the run's cohort.
    """
    view = run_for_instructor(db, user, cat, course, run_id, dt.date.today())
    learner = _consenting_member(db, view.cohort, learner_id)
    facts = facts_of(db, learner)
    progress = course_progress(cat, course, facts, view.plan.modules)
    state = store.practice_state(db, learner.id)
    feedback = store.feedback_for(db, learner.id, view.run.id)
    rows = []
    for uid in view.plan.required:
        unit = course.units.get(uid)
        if unit is None:
            continue
        status = next(u for p in progress.values() for u in p.units if u.unit == uid)
        work: list[str] = []
        if isinstance(unit.activity, WorkbenchActivity) and state is not None:
            work = handed_in(unit.activity.task, state[0], state[1])
        rows.append((unit, status, work, [f for f in feedback if f.unit_id == uid]))
    return view, HandedIn(learner, rows)


def _consenting_member(db: Session, cohort: LearningCohort, learner_id: int) -> User:
    for member, learner in learning_store.members(db, cohort):
        if learner is not None and learner.id == learner_id:
            if not member.consented:
                raise PermissionDeniedError(
                    "this learner has not agreed to share individual results with the cohort's "
                    "instructor"
                )
            return learner
    raise NotFoundError(f"learner {learner_id} is not in cohort {cohort.id}")


def leave_feedback(
    db: Session,
    user: User,
    cat: Catalogue,
    course: Course,
    run_id: int,
    learner_id: int,
    unit_id: str,
    text: str,
) -> None:
    """Record feedback on a consenting learner's unit of a run.

    Raises:
        ContentError: empty or too long, or the unit is not part of the run.
    """
    text = text.strip()
    if not text:
        raise ContentError("feedback: write something for the learner")
    if len(text) > 5000:
        raise ContentError(f"feedback: {len(text)} characters; at most 5000")
    view, _ = handed_in_work(db, user, cat, course, run_id, learner_id)
    if unit_id not in view.plan.required:
        raise ContentError(f"unit: {unit_id!r} is not a unit of this run")
    store.add_feedback(db, view.run, learner_id, unit_id, user, text)


def recognise_module(
    db: Session,
    user: User,
    cat: Catalogue,
    course: Course,
    run_id: int,
    learner_id: int,
    module: str,
) -> None:
    """Record that a consenting learner completed a run's module that has no units in CRISIS.

    Raises:
        ContentError: the module has units (their evidence completes it) or is not in the run.
    """
    view, _ = handed_in_work(db, user, cat, course, run_id, learner_id)
    if module not in view.plan.modules:
        raise ContentError(f"module: {module!r} is not a module of this run")
    if course.of_module(module):
        raise ContentError(
            f"module {module} has units in CRISIS; it is complete when their evidence exists"
        )
    store.recognise(db, learner_id, module, user)


def feedback_records(db: Session, user: User) -> list[dict[str, Any]]:
    """The learner's feedback as plain records."""
    return [
        {
            "run": f.run_id,
            "unit": f.unit_id,
            "author": f.author,
            "at": f.created_at.isoformat(),
            "text": f.text,
        }
        for f in store.feedback_for(db, user.id)
    ]


# --- authoring ------------------------------------------------------------------------------

#: What a new unit file starts from in the editor.
SKELETON = """---
id: {unit}
module: {module}
title: A title for practitioners
outcomes: [{outcome}]
minutes: 60
case: The title of a documented real event
activity:
  kind: quiz
  competences: [{competence}]
  max_level: 2
  questions: 4
  pass: 0.75
---

::: lesson
## A first heading

At least 600 words for municipal practitioners.
:::

::: case
200–450 words on a documented event; end with what it teaches for this unit.
:::

::: activity
What the learner does in CRISIS and what counts as complete.
:::

::: reflection
1. A question that connects the unit to the learner's own city.
:::
"""


def skeleton(cat: Catalogue, unit_id: str) -> str:
    """A starting text for a new unit ``unit_id`` (``<module>-<n>``)."""
    module_id = unit_id.rsplit("-", 1)[0]
    module = cat.module(module_id)
    first = module.outcomes[0]
    return SKELETON.format(
        unit=unit_id, module=module.id, outcome=first.id, competence=first.competence
    )


def file_name(unit_id: str, lang: str) -> str:
    """The file name a unit's text is checked under."""
    return f"{unit_id}.md" if lang == "en" else f"{unit_id}.{lang}.md"


def check_source(
    db: Session, cat: Catalogue, course: Course, unit_id: str, lang: str, source: str
) -> Unit:
    """Check an instructor's unit (or translation) text as it would be saved.

    Returns the unit as it would be in force.

    Raises:
        ContentError: every problem with ``file:line``, or an id that differs from ``unit_id``.
    """
    from crisis.courses.units import TRANSLATION_LANGUAGES

    if lang != "en" and lang not in TRANSLATION_LANGUAGES:
        raise ContentError(f"language: {lang!r}; translations are el, de or pt")
    name = file_name(unit_id, lang)
    refs = references(db, cat)
    if lang == "en":
        result = assemble([(name, source)], refs, origin="authored")
        unit = next(iter(result.units.values()))
        if unit.id != unit_id:
            raise ContentError(
                f"{name}:{unit.lines.get('id', 1)}: id '{unit.id}' differs from the unit being "
                f"edited, {unit_id}; add a new unit to create {unit.id}"
            )
        kept = course.units.get(unit_id)
        return _replace(unit, translations=dict(kept.translations) if kept else {})
    owner = course.units.get(unit_id)
    if owner is None:
        raise ContentError(f"{name}:1: there is no English unit {unit_id} for this translation")
    result = assemble([(name, source)], refs, origin="authored", base=Course({unit_id: owner}))
    return result.units[unit_id]


def save_source(
    db: Session,
    user: User,
    cat: Catalogue,
    course: Course,
    unit_id: str,
    lang: str,
    source: str,
    message: str,
) -> int:
    """Check and save a new version of a unit; returns its number (nothing saved on errors)."""
    check_source(db, cat, course, unit_id, lang, source)
    row = store.save_unit_version(db, unit_id, lang, source, user, message or "Edited")
    return row.number


def upload_units(
    db: Session, user: User, cat: Catalogue, course: Course, files: Sequence[tuple[str, str]]
) -> list[str]:
    """Check uploaded unit files together and save each as a new version (all or none).

    Returns the saved ``<unit>`` or ``<unit>.<lang>`` names.

    Raises:
        ContentError: every problem of every file; nothing is saved.
    """
    if not files:
        raise ContentError("choose at least one unit file (.md)")
    refs = references(db, cat)
    assemble(files, refs, origin="authored", base=course)
    saved = []
    for name, text in files:
        short = name.rsplit("/", 1)[-1].removesuffix(".md")
        unit_id, _, lang = short.partition(".")
        store.save_unit_version(db, unit_id, lang or "en", text, user, f"Uploaded {name}")
        saved.append(short)
    return saved


def withdraw(db: Session, user: User, course: Course, unit_id: str, lang: str) -> None:
    """Withdraw the instructors' version of a unit (the bundled one applies again)."""
    if not any(r.unit_id == unit_id and r.lang == lang for r in store.current_overrides(db)):
        raise NotFoundError(f"unit {unit_id} ({lang}) has no instructor's version")
    store.save_unit_version(db, unit_id, lang, None, user, "Withdrawn: back to the bundled unit")
