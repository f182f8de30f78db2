"""Repository of the courses: quiz attempts, visits, practice workspaces, authored unit
versions, runs, feedback and recorded completions, and the evidence facts they yield.

Only storage; the rules (what counts as complete, who sees what) live in
:mod:`crisis.courses`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisis.courses.practice import practice_name
from crisis.courses.progress import Facts, PracticeVersion, QuizFact, RunFact
from crisis.exceptions import ConflictError, NotFoundError
from crisis.store import workspaces
from crisis.store.course_tables import (
    CourseFeedback,
    CoursePractice,
    CourseQuizAttempt,
    CourseRecognition,
    CourseRun,
    CourseUnitVersion,
    CourseVisit,
)
from crisis.store.exercise_tables import ExerciseRun
from crisis.store.tables import Job, User, utcnow
from crisis.store.workbench_tables import WorkbenchVersion, WorkbenchWorkspace

#: Versions of a practice workspace read for evidence (the newest ones).
MAX_PRACTICE_VERSIONS = 200

# --- evidence facts -------------------------------------------------------------------


def facts(db: Session, user_id: int) -> Facts:
    """Everything that can count as course evidence for one learner."""
    quizzes = [
        QuizFact(row.unit_id, int(row.correct or 0), row.total, row.submitted_at or row.started_at)
        for row in db.scalars(
            select(CourseQuizAttempt).where(
                CourseQuizAttempt.user_id == user_id, CourseQuizAttempt.submitted_at.is_not(None)
            )
        )
    ]
    runs = [
        RunFact(row.id, row.exercise, float(row.score or 0.0), row.finished_at or row.created_at)
        for row in db.scalars(
            select(ExerciseRun).where(ExerciseRun.user_id == user_id, ExerciseRun.status == "done")
        )
    ]
    visited = list(db.scalars(select(CourseVisit).where(CourseVisit.user_id == user_id)))
    visits = {v.unit_id: v.last_at for v in visited}
    opened = {v.unit_id: v.first_at for v in visited}
    practice: list[PracticeVersion] = []
    row = db.get(CoursePractice, user_id)
    if row is not None:
        rows = list(
            db.scalars(
                select(WorkbenchVersion)
                .where(WorkbenchVersion.workspace_id == row.workspace_id)
                .order_by(WorkbenchVersion.number.desc())
                .limit(MAX_PRACTICE_VERSIONS)
            )
        )
        if len(rows) == MAX_PRACTICE_VERSIONS:
            rows += _states_before(db, row.workspace_id, rows[-1], opened.values())
        practice = [
            PracticeVersion(
                version.number, workspaces.workspace_of(version), version.plan, version.saved_at
            )
            for version in rows
        ]
    recognised = {
        r.module: (r.recorded_at, r.recorded_by)
        for r in db.scalars(select(CourseRecognition).where(CourseRecognition.user_id == user_id))
    }
    return Facts(quizzes, runs, practice, visits, opened, recognised)


def _states_before(
    db: Session, workspace_id: int, oldest: WorkbenchVersion, times: Iterable[dt.datetime]
) -> list[WorkbenchVersion]:
    """The version in force when each unit was opened, for openings older than ``oldest``
    (what a unit's workbench evidence is compared with when the history is long)."""
    out: list[WorkbenchVersion] = []
    for at in sorted({t for t in times if t <= oldest.saved_at}):
        found = db.scalar(
            select(WorkbenchVersion)
            .where(
                WorkbenchVersion.workspace_id == workspace_id,
                WorkbenchVersion.number < oldest.number,
                WorkbenchVersion.saved_at < at,
            )
            .order_by(WorkbenchVersion.number.desc())
            .limit(1)
        )
        if found is not None and all(v.number != found.number for v in out):
            out.append(found)
    return out


def finish_pending_runs(db: Session, user_id: int) -> list[ExerciseRun]:
    """The learner's runs still marked running whose job has ended (to be finished)."""
    rows = db.execute(
        select(ExerciseRun, Job)
        .join(Job, Job.id == ExerciseRun.job_id)
        .where(
            ExerciseRun.user_id == user_id,
            ExerciseRun.status == "running",
            Job.status.in_(("done", "failed")),
        )
    ).all()
    return [run for run, _ in rows]


# --- visits ---------------------------------------------------------------------------


def visit(db: Session, user: User, unit_id: str) -> dt.datetime:
    """Note that the learner opened a unit now; returns when they first opened it."""
    query = select(CourseVisit).where(
        CourseVisit.user_id == user.id, CourseVisit.unit_id == unit_id
    )
    row = db.scalar(query)
    now = utcnow()
    if row is None:
        try:
            with db.begin_nested():
                db.add(CourseVisit(user_id=user.id, unit_id=unit_id, first_at=now, last_at=now))
        except IntegrityError:  # pragma: no cover - two tabs opening the unit at once
            row = db.scalar(query)
    if row is not None:
        row.last_at = now
    db.flush()
    return row.first_at if row is not None else now


# --- quizzes --------------------------------------------------------------------------


def open_quiz(db: Session, user: User, unit_id: str) -> CourseQuizAttempt | None:
    """The learner's unsubmitted quiz of a unit, if any."""
    return db.scalar(
        select(CourseQuizAttempt)
        .where(
            CourseQuizAttempt.user_id == user.id,
            CourseQuizAttempt.unit_id == unit_id,
            CourseQuizAttempt.submitted_at.is_(None),
        )
        .order_by(CourseQuizAttempt.id.desc())
        .limit(1)
    )


def start_quiz(db: Session, user: User, unit_id: str, items: list[str]) -> CourseQuizAttempt:
    row = CourseQuizAttempt(
        user_id=user.id, unit_id=unit_id, items=items, total=len(items), passed=False
    )
    db.add(row)
    db.flush()
    return row


def get_quiz(db: Session, user: User, attempt_id: int) -> CourseQuizAttempt:
    """One of the learner's quiz attempts.

    Raises:
        NotFoundError: not an attempt of this learner.
    """
    row = db.get(CourseQuizAttempt, attempt_id)
    if row is None or row.user_id != user.id:
        raise NotFoundError(f"no quiz {attempt_id} of yours")
    return row


def submit_quiz(
    db: Session, row: CourseQuizAttempt, answers: dict[str, int], correct: int, passed: bool
) -> None:
    """Record the answers, once.

    Raises:
        ConflictError: the quiz was submitted already (a repeated submission).
    """
    from sqlalchemy import update

    done = db.execute(
        update(CourseQuizAttempt)
        .where(CourseQuizAttempt.id == row.id, CourseQuizAttempt.submitted_at.is_(None))
        .values(answers=answers, correct=correct, passed=passed, submitted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 1) != 1:
        raise ConflictError("this quiz was already submitted; its answers were not changed")
    db.expire(row)


def quizzes_of(db: Session, user: User, unit_id: str) -> list[CourseQuizAttempt]:
    """The learner's submitted quizzes of a unit, newest first."""
    return list(
        db.scalars(
            select(CourseQuizAttempt)
            .where(
                CourseQuizAttempt.user_id == user.id,
                CourseQuizAttempt.unit_id == unit_id,
                CourseQuizAttempt.submitted_at.is_not(None),
            )
            .order_by(CourseQuizAttempt.id.desc())
        )
    )


# --- practice workspaces -----------------------------------------------------------------


def practice_workspace(db: Session, user: User) -> WorkbenchWorkspace | None:
    """The learner's practice workspace, if made."""
    row = db.get(CoursePractice, user.id)
    return db.get(WorkbenchWorkspace, row.workspace_id) if row is not None else None


def ensure_practice(
    db: Session, user: User, city: str = "Portavera (practice)"
) -> WorkbenchWorkspace:
    """The learner's practice workspace, made (empty, with the learner as owner) if needed."""
    found = practice_workspace(db, user)
    if found is not None:
        return found
    row = workspaces.create_workspace(
        db, practice_name(user.id), city, user, message="Practice workspace created"
    )
    db.add(CoursePractice(user_id=user.id, workspace_id=row.id))
    db.flush()
    return row


def practice_owner(db: Session, workspace: WorkbenchWorkspace) -> int | None:
    """The learner whose practice workspace this is, or ``None`` for a city workspace."""
    return db.scalar(
        select(CoursePractice.user_id).where(CoursePractice.workspace_id == workspace.id)
    )


def practice_state(db: Session, user_id: int) -> tuple[Any, Any] | None:
    """The newest (workspace, plan) of a learner's practice workspace, if there is one."""
    row = db.get(CoursePractice, user_id)
    if row is None:
        return None
    ws = db.get(WorkbenchWorkspace, row.workspace_id)
    if ws is None:  # pragma: no cover - cascades remove the row with its workspace
        return None
    state = workspaces.current(db, ws)
    return state.workspace, state.plan


# --- authored units -------------------------------------------------------------------


def unit_versions(db: Session, unit_id: str | None = None) -> list[CourseUnitVersion]:
    """Authored versions, newest first (of one unit, or all)."""
    query = select(CourseUnitVersion).order_by(
        CourseUnitVersion.unit_id, CourseUnitVersion.lang, CourseUnitVersion.number.desc()
    )
    if unit_id is not None:
        query = query.where(CourseUnitVersion.unit_id == unit_id)
    return list(db.scalars(query))


def current_overrides(db: Session) -> list[CourseUnitVersion]:
    """The version in force of each authored unit and language (withdrawals included)."""
    newest = (
        select(
            CourseUnitVersion.unit_id,
            CourseUnitVersion.lang,
            func.max(CourseUnitVersion.number).label("number"),
        )
        .group_by(CourseUnitVersion.unit_id, CourseUnitVersion.lang)
        .subquery()
    )
    return list(
        db.scalars(
            select(CourseUnitVersion)
            .join(
                newest,
                (newest.c.unit_id == CourseUnitVersion.unit_id)
                & (newest.c.lang == CourseUnitVersion.lang)
                & (newest.c.number == CourseUnitVersion.number),
            )
            .order_by(CourseUnitVersion.unit_id, CourseUnitVersion.lang)
        )
    )


def save_unit_version(
    db: Session, unit_id: str, lang: str, source: str | None, author: User, message: str
) -> CourseUnitVersion:
    """Add the next version of an authored unit (``source=None`` withdraws the override).

    Raises:
        ConflictError: another save took the same version number (try again).
    """
    number = (
        db.scalar(
            select(func.max(CourseUnitVersion.number)).where(
                CourseUnitVersion.unit_id == unit_id, CourseUnitVersion.lang == lang
            )
        )
        or 0
    ) + 1
    row = CourseUnitVersion(
        unit_id=unit_id,
        lang=lang,
        number=number,
        source=source,
        author_id=author.id,
        author=author.username,
        message=message[:500],
    )
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        raise ConflictError(
            f"unit {unit_id} was saved by someone else at the same moment; reload and save again"
        ) from None
    return row


def unit_version(db: Session, unit_id: str, lang: str, number: int) -> CourseUnitVersion:
    """One version.

    Raises:
        NotFoundError: no such version.
    """
    row = db.scalar(
        select(CourseUnitVersion).where(
            CourseUnitVersion.unit_id == unit_id,
            CourseUnitVersion.lang == lang,
            CourseUnitVersion.number == number,
        )
    )
    if row is None:
        raise NotFoundError(f"unit {unit_id} ({lang}) has no version {number}")
    return row


# --- runs and feedback ------------------------------------------------------------------


def create_run(
    db: Session,
    owner: User,
    cohort_id: int,
    *,
    title: str,
    modules: Sequence[str],
    start: dt.date,
    required: Sequence[str],
    deadlines: dict[str, dt.date],
) -> CourseRun:
    row = CourseRun(
        cohort_id=cohort_id,
        owner_id=owner.id,
        title=title,
        modules=list(modules),
        start=start,
        required=list(required),
        deadlines={k: v.isoformat() for k, v in deadlines.items()},
    )
    db.add(row)
    db.flush()
    return row


def get_run(db: Session, run_id: int) -> CourseRun:
    """A run.

    Raises:
        NotFoundError: no such run.
    """
    row = db.get(CourseRun, run_id)
    if row is None:
        raise NotFoundError(f"no course run {run_id}")
    return row


def runs_of_cohorts(db: Session, cohort_ids: Sequence[int]) -> list[CourseRun]:
    """Runs of the given cohorts, newest first."""
    if not cohort_ids:
        return []
    return list(
        db.scalars(
            select(CourseRun)
            .where(CourseRun.cohort_id.in_(list(cohort_ids)))
            .order_by(CourseRun.id.desc())
        )
    )


def add_feedback(
    db: Session, run: CourseRun, learner_id: int, unit_id: str, author: User, text: str
) -> CourseFeedback:
    row = CourseFeedback(
        run_id=run.id,
        learner_id=learner_id,
        unit_id=unit_id,
        author_id=author.id,
        author=author.display_name or author.username,
        text=text,
    )
    db.add(row)
    db.flush()
    return row


def feedback_for(db: Session, learner_id: int, run_id: int | None = None) -> list[CourseFeedback]:
    """Feedback a learner received (in one run, or all), oldest first."""
    query = select(CourseFeedback).where(CourseFeedback.learner_id == learner_id)
    if run_id is not None:
        query = query.where(CourseFeedback.run_id == run_id)
    return list(db.scalars(query.order_by(CourseFeedback.created_at, CourseFeedback.id)))


def recognise(
    db: Session, learner_id: int, module: str, recorder: User, note: str = ""
) -> CourseRecognition:
    """Record a module completed outside CRISIS.

    Raises:
        ConflictError: already recorded.
    """
    row = CourseRecognition(
        user_id=learner_id,
        module=module,
        recorded_by=recorder.display_name or recorder.username,
        recorder_id=recorder.id,
        note=note[:500],
    )
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        raise ConflictError(f"module {module} is already recorded for this learner") from None
    return row
