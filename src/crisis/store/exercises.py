"""Repository functions of the exercises: authored exercises, runs, evidence, tabletop sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, NotFoundError
from crisis.exercises.evidence import EXERCISE_SD, level_of
from crisis.learners.profile import Evidence
from crisis.store.exercise_tables import (
    ExerciseAuthored,
    ExerciseEvidence,
    ExerciseRun,
    ExerciseSetting,
    ExerciseTabletop,
    ExerciseTabletopDecision,
    ExerciseTabletopMember,
)
from crisis.store.learner_tables import LearningCohort, LearningMember
from crisis.store.tables import Job, User, utcnow

# --- authored exercises ------------------------------------------------------------------


def authored(db: Session) -> list[ExerciseAuthored]:
    """Every instructor-authored exercise, by slug."""
    return list(db.scalars(select(ExerciseAuthored).order_by(ExerciseAuthored.slug)))


def authored_one(db: Session, slug: str) -> ExerciseAuthored | None:
    return db.scalar(select(ExerciseAuthored).where(ExerciseAuthored.slug == slug))


def save_authored(db: Session, slug: str, source: str, author: User) -> ExerciseAuthored:
    """Create or replace the authored exercise ``slug`` (the caller validated ``source``)."""
    row = authored_one(db, slug)
    if row is None:
        row = ExerciseAuthored(slug=slug, source=source, author_id=author.id)
        db.add(row)
    else:
        row.source = source
        row.updated_at = utcnow()
    db.flush()
    return row


# --- runs and evidence ----------------------------------------------------------------------


def create_run(
    db: Session, user: User, exercise: str, plan: list[dict[str, Any]], cost: float, scenarios: int
) -> ExerciseRun:
    run = ExerciseRun(user_id=user.id, exercise=exercise, plan=plan, cost=cost, scenarios=scenarios)
    db.add(run)
    db.flush()
    return run


def get_run(db: Session, run_id: int, user: User) -> ExerciseRun:
    """The run if ``user`` may see it; 404 otherwise (whether or not it exists).

    A learner sees their own runs, an admin every run, and an instructor the runs of
    learners who consented to share their results in a cohort that instructor runs.
    """
    run = db.get(ExerciseRun, run_id)
    if run is None or not (
        run.user_id == user.id
        or user.role == "admin"
        or (user.role == "instructor" and shares_with(db, run.user_id, user))
    ):
        raise NotFoundError(f"no exercise run {run_id}")
    return run


def shares_with(db: Session, learner_id: int | None, instructor: User) -> bool:
    """Whether the learner consented to share results in a cohort ``instructor`` runs."""
    if learner_id is None:
        return False
    found = db.scalar(
        select(LearningMember.id)
        .join(LearningCohort, LearningCohort.id == LearningMember.cohort_id)
        .where(
            LearningMember.user_id == learner_id,
            LearningMember.consented.is_(True),
            LearningCohort.owner_id == instructor.id,
        )
        .limit(1)
    )
    return found is not None


def runs_of(db: Session, user: User, exercise: str | None = None) -> list[ExerciseRun]:
    query = select(ExerciseRun).where(ExerciseRun.user_id == user.id)
    if exercise is not None:
        query = query.where(ExerciseRun.exercise == exercise)
    return list(db.scalars(query.order_by(ExerciseRun.id.desc())))


def finish_run(db: Session, run: ExerciseRun, job: Job, competences: Sequence[str]) -> None:
    """Mirror a finished job on its run: the score, and the evidence once (idempotent)."""
    if run.status != "running" or job.status not in ("done", "failed"):
        return
    run.status = job.status
    run.finished_at = job.finished_at or utcnow()
    if job.status == "done" and job.result is not None:
        run.score = float(job.result["score"]["score"])
        db.add(
            ExerciseEvidence(
                user_id=run.user_id,
                exercise=run.exercise,
                run_id=run.id,
                competences=list(competences),
                score=run.score,
            )
        )
    db.flush()


def evidence_rows(db: Session, user_id: int) -> list[ExerciseEvidence]:
    return list(
        db.scalars(
            select(ExerciseEvidence)
            .where(ExerciseEvidence.user_id == user_id)
            .order_by(ExerciseEvidence.recorded_at, ExerciseEvidence.id)
        )
    )


def evidence_for(db: Session, user: User | int) -> list[Evidence]:
    """The learner's exercise evidence as competence-profile records (one per competence).

    The learner profile reads this (``crisis.learners.build_profile(..., evidence=...)``).
    """
    user_id = user if isinstance(user, int) else user.id
    out: list[Evidence] = []
    for row in evidence_rows(db, user_id):
        note = f"exercise {row.exercise}: score {row.score:.0f}/100"
        level = level_of(row.score)
        out.extend(Evidence(c, level, EXERCISE_SD, "exercise", note) for c in row.competences)
    return out


def leaderboard(db: Session, exercise: str, limit: int = 20) -> list[tuple[str, float, int]]:
    """(name, best score, runs) per learner, best first."""
    best = func.max(ExerciseRun.score)
    rows = db.execute(
        select(User.display_name, User.username, best, func.count(ExerciseRun.id))
        .join(User, User.id == ExerciseRun.user_id)
        .where(ExerciseRun.exercise == exercise, ExerciseRun.score.is_not(None))
        .group_by(User.id, User.display_name, User.username)
        .order_by(best.desc())
        .limit(limit)
    ).all()
    return [(display or name, float(score or 0.0), int(n)) for display, name, score, n in rows]


def leaderboard_on(db: Session, exercise: str) -> bool:
    row = db.get(ExerciseSetting, exercise)
    return True if row is None else row.leaderboard


def set_leaderboard(db: Session, exercise: str, on: bool, user: User) -> None:
    row = db.get(ExerciseSetting, exercise)
    if row is None:
        row = ExerciseSetting(exercise=exercise)
        db.add(row)
    row.leaderboard = on
    row.updated_by = user.id
    row.updated_at = utcnow()
    db.flush()


# --- tabletop sessions -------------------------------------------------------------------


def create_tabletop(
    db: Session, exercise: str, cohort: str, owner: User, state: dict[str, Any]
) -> ExerciseTabletop:
    row = ExerciseTabletop(exercise=exercise, cohort=cohort, owner_id=owner.id, state=state)
    db.add(row)
    db.flush()
    return row


def get_tabletop(db: Session, session_id: int) -> ExerciseTabletop:
    row = db.get(ExerciseTabletop, session_id)
    if row is None:
        raise NotFoundError(f"no tabletop session {session_id}")
    return row


def tabletops(db: Session, open_only: bool = False) -> list[ExerciseTabletop]:
    query = select(ExerciseTabletop).order_by(ExerciseTabletop.id.desc())
    if open_only:
        query = query.where(ExerciseTabletop.closed.is_(False))
    return list(db.scalars(query))


def save_tabletop_state(db: Session, row: ExerciseTabletop, state: dict[str, Any]) -> None:
    # A new dict, so that the JSON column sees the change.
    row.state = {**state, "released": dict(state["released"])}
    db.flush()


def team_of(db: Session, session_id: int, user: User) -> str | None:
    return db.scalar(
        select(ExerciseTabletopMember.team).where(
            ExerciseTabletopMember.session_id == session_id,
            ExerciseTabletopMember.user_id == user.id,
        )
    )


def join_team(db: Session, session_id: int, user: User, team: str) -> None:
    row = db.scalar(
        select(ExerciseTabletopMember).where(
            ExerciseTabletopMember.session_id == session_id,
            ExerciseTabletopMember.user_id == user.id,
        )
    )
    if row is None:
        db.add(ExerciseTabletopMember(session_id=session_id, user_id=user.id, team=team))
    else:
        row.team = team
    db.flush()


def members(db: Session, session_id: int) -> dict[str, list[str]]:
    """Team → names of its members."""
    rows = db.execute(
        select(ExerciseTabletopMember.team, User.display_name, User.username)
        .join(User, User.id == ExerciseTabletopMember.user_id)
        .where(ExerciseTabletopMember.session_id == session_id)
        .order_by(User.username)
    ).all()
    out: dict[str, list[str]] = {}
    for team, display, name in rows:
        out.setdefault(team, []).append(display or name)
    return out


def decisions(db: Session, session_id: int) -> dict[str, dict[str, str]]:
    """Team → inject → option."""
    out: dict[str, dict[str, str]] = {}
    for row in db.scalars(
        select(ExerciseTabletopDecision).where(ExerciseTabletopDecision.session_id == session_id)
    ):
        out.setdefault(row.team, {})[row.inject] = row.option
    return out


def decide(
    db: Session, session_id: int, team: str, inject: str, option: str, user: User, at: dt.datetime
) -> None:
    """Record a decision; a second one for the same team and inject is a conflict."""
    try:
        with db.begin_nested():
            db.add(
                ExerciseTabletopDecision(
                    session_id=session_id,
                    team=team,
                    inject=inject,
                    option=option,
                    user_id=user.id,
                    decided_at=at,
                )
            )
    except IntegrityError:
        raise ConflictError(f"team '{team}' has already decided on inject '{inject}'") from None
