"""Repository of the learner journey: self-ratings, test attempts, path settings, cohorts.

Only storage here; the rules (what a rating may be, how a test moves on, who sees what in a
cohort) live in :mod:`crisis.learners`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, NotFoundError
from crisis.store.learner_tables import (
    LearningAttempt,
    LearningCohort,
    LearningMember,
    LearningPlan,
    LearningRating,
    LearningResponse,
)
from crisis.store.tables import User, utcnow

# --- self-ratings -----------------------------------------------------------------------


def ratings(db: Session, user: User) -> dict[str, int]:
    """The learner's self-ratings, competence id → level."""
    rows = db.execute(
        select(LearningRating.competence, LearningRating.level).where(
            LearningRating.user_id == user.id
        )
    )
    return {competence: level for competence, level in rows}


def ratings_of(db: Session, user_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Self-ratings of several learners at once."""
    out: dict[int, dict[str, int]] = {uid: {} for uid in user_ids}
    if not user_ids:
        return out
    rows = db.execute(
        select(LearningRating.user_id, LearningRating.competence, LearningRating.level).where(
            LearningRating.user_id.in_(list(user_ids))
        )
    )
    for uid, competence, level in rows:
        out[uid][competence] = level
    return out


def set_ratings(db: Session, user: User, values: Mapping[str, int]) -> None:
    """Store (or change) self-ratings; the values must already be checked."""
    if not values:
        return
    existing = {
        row.competence: row
        for row in db.scalars(
            select(LearningRating).where(
                LearningRating.user_id == user.id, LearningRating.competence.in_(list(values))
            )
        )
    }
    now = utcnow()
    for competence, level in values.items():
        row = existing.get(competence)
        if row is None:
            db.add(
                LearningRating(user_id=user.id, competence=competence, level=level, rated_at=now)
            )
        else:
            row.level = level
            row.rated_at = now
    db.flush()


def clear_ratings(db: Session, user: User) -> None:
    """Forget every self-rating of the learner (to start the self-assessment again)."""
    db.execute(delete(LearningRating).where(LearningRating.user_id == user.id))


# --- adaptive-test attempts -------------------------------------------------------------


def running_attempt(db: Session, user: User) -> LearningAttempt | None:
    """The learner's unfinished test, if any."""
    return db.scalar(
        select(LearningAttempt)
        .where(LearningAttempt.user_id == user.id, LearningAttempt.status == "running")
        .order_by(LearningAttempt.id.desc())
        .limit(1)
    )


def latest_finished(db: Session, user: User) -> LearningAttempt | None:
    """The learner's most recently finished test, if any."""
    return db.scalar(
        select(LearningAttempt)
        .where(LearningAttempt.user_id == user.id, LearningAttempt.status == "finished")
        .order_by(LearningAttempt.finished_at.desc(), LearningAttempt.id.desc())
        .limit(1)
    )


def latest_finished_of(db: Session, user_ids: Sequence[int]) -> dict[int, LearningAttempt]:
    """Each learner's most recently finished test (learners without one are left out)."""
    out: dict[int, LearningAttempt] = {}
    if not user_ids:
        return out
    rows = db.scalars(
        select(LearningAttempt)
        .where(LearningAttempt.user_id.in_(list(user_ids)), LearningAttempt.status == "finished")
        .order_by(LearningAttempt.id)
    )
    for row in rows:
        out[row.user_id] = row
    return out


def get_attempt(db: Session, user: User, attempt_id: int, *, lock: bool = False) -> LearningAttempt:
    """One of the learner's attempts.

    Args:
        lock: Hold the attempt's row until the transaction ends, so that concurrent
            requests on the same attempt run one after the other (SQLite: the database's
            write lock, taken before reading; call it at the start of a transaction).

    Raises:
        NotFoundError: no such attempt of this learner.
    """
    query = select(LearningAttempt).where(LearningAttempt.id == attempt_id)
    if lock:
        if db.get_bind().dialect.name == "sqlite":
            db.execute(
                update(LearningAttempt)
                .where(LearningAttempt.id == attempt_id)
                .values(version=LearningAttempt.version)
                .execution_options(synchronize_session=False)
            )
        else:
            query = query.with_for_update()
    row = db.scalar(query.execution_options(populate_existing=True))
    if row is None or row.user_id != user.id:
        raise NotFoundError(f"no test attempt {attempt_id} of yours")
    return row


def retire_attempt(db: Session, attempt: LearningAttempt) -> None:
    """Close a running test that can no longer go on (its items left the bank): status
    ``retired``, kept with its answers but never counted as a result."""
    attempt.status = "retired"
    attempt.finished_at = utcnow()
    db.flush()


def start_attempt(db: Session, user: User, state: dict[str, Any]) -> LearningAttempt:
    """Begin a test with its initial state."""
    row = LearningAttempt(user_id=user.id, status="running", state=state, version=0)
    db.add(row)
    db.flush()
    return row


def save_state(
    db: Session,
    attempt: LearningAttempt,
    state: dict[str, Any],
    *,
    expected_version: int,
    result: dict[str, Any] | None = None,
) -> None:
    """Save a test's new state, if nobody saved another one since ``expected_version``.

    With ``result`` the attempt is marked finished.

    Raises:
        ConflictError: another request saved the attempt first.
    """
    values: dict[str, Any] = {"state": state, "version": expected_version + 1}
    if result is not None:
        values.update(status="finished", result=result, finished_at=utcnow())
    done = db.execute(
        update(LearningAttempt)
        .where(LearningAttempt.id == attempt.id, LearningAttempt.version == expected_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 1) != 1:
        raise ConflictError(
            "this test was changed by another request (another tab or a repeated submission); "
            "reload the page to see the current question"
        )
    db.expire(attempt)


def record_response(
    db: Session,
    attempt: LearningAttempt,
    *,
    sequence: int,
    item_id: str,
    option: int,
    correct: bool,
) -> None:
    """Store one answer; the same item or sequence number cannot be stored twice.

    Raises:
        ConflictError: the answer is already recorded.
    """
    try:
        with db.begin_nested():
            db.add(
                LearningResponse(
                    attempt_id=attempt.id,
                    sequence=sequence,
                    item_id=item_id,
                    option=option,
                    correct=correct,
                )
            )
    except IntegrityError:
        raise ConflictError(
            f"an answer to question {sequence + 1} ({item_id}) is already recorded; "
            "it was not recorded again"
        ) from None


def responses(db: Session, attempt: LearningAttempt) -> list[LearningResponse]:
    """An attempt's answers in the order given."""
    return list(
        db.scalars(
            select(LearningResponse)
            .where(LearningResponse.attempt_id == attempt.id)
            .order_by(LearningResponse.sequence)
        )
    )


def count_responses(db: Session, attempt: LearningAttempt) -> int:
    """How many answers an attempt has."""
    return int(
        db.scalar(
            select(func.count())
            .select_from(LearningResponse)
            .where(LearningResponse.attempt_id == attempt.id)
        )
        or 0
    )


#: How many of the latest tests the exposure rates look back on.
EXPOSURE_WINDOW = 1000


def item_exposure(db: Session, window: int = EXPOSURE_WINDOW) -> dict[str, float]:
    """Item id → share of the latest ``window`` tests in which the item was answered.

    Adaptive tests pass over items at or above their exposure limit (see
    :class:`crisis.learners.cat.CatConfig`); the window keeps the query bounded and lets
    exposure follow recent use.
    """
    recent = select(LearningAttempt.id).order_by(LearningAttempt.id.desc()).limit(window)
    ids = [row for (row,) in db.execute(recent)]
    if not ids:
        return {}
    rows = db.execute(
        select(LearningResponse.item_id, func.count())
        .where(LearningResponse.attempt_id.in_(ids))
        .group_by(LearningResponse.item_id)
    )
    return {item: count / len(ids) for item, count in rows}


def calibration_rows(db: Session) -> list[tuple[int, str, bool]]:
    """Every stored answer as ``(attempt, item, correct)``, for ``crisis items calibrate``."""
    rows = db.execute(
        select(LearningResponse.attempt_id, LearningResponse.item_id, LearningResponse.correct)
        .join(LearningAttempt, LearningAttempt.id == LearningResponse.attempt_id)
        .where(LearningAttempt.status == "finished")
        .order_by(LearningResponse.attempt_id, LearningResponse.sequence)
    )
    return [(a, i, bool(c)) for a, i, c in rows]


# --- path settings ----------------------------------------------------------------------


def plan(db: Session, user: User) -> LearningPlan:
    """The learner's path settings (defaults, not yet stored, for a new learner)."""
    row = db.get(LearningPlan, user.id)
    if row is None:
        row = LearningPlan(
            user_id=user.id, profile_id="scro", hours_per_week=4.0, objective="hours", completed=[]
        )
    return row


def save_plan(
    db: Session,
    user: User,
    *,
    profile_id: str | None = None,
    hours_per_week: float | None = None,
    start: dt.date | None = None,
    objective: str | None = None,
    completed: Sequence[str] | None = None,
    scope: str | None = None,
) -> LearningPlan:
    """Change the given path settings (the values must already be checked)."""
    row = plan(db, user)
    if profile_id is not None:
        row.profile_id = profile_id
    if hours_per_week is not None:
        row.hours_per_week = hours_per_week
    if start is not None:
        row.start = start
    if objective is not None:
        row.objective = objective
    if completed is not None:
        row.completed = sorted(set(completed))
    if scope is not None:
        row.scope = scope
    row.updated_at = utcnow()
    db.merge(row)
    db.flush()
    return plan(db, user)


# --- cohorts ----------------------------------------------------------------------------


def create_cohort(
    db: Session,
    owner: User,
    name: str,
    *,
    join_code: str,
    profile_id: str = "scro",
    budget_hours: float = 40.0,
) -> LearningCohort:
    """A new cohort owned by ``owner``.

    Raises:
        ConflictError: the join code is taken (draw another).
    """
    row = LearningCohort(
        name=name,
        join_code=join_code,
        owner_id=owner.id,
        profile_id=profile_id,
        budget_hours=budget_hours,
    )
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        raise ConflictError(f"join code {join_code} is already in use") from None
    return row


def get_cohort(db: Session, cohort_id: int) -> LearningCohort:
    """The cohort with this id.

    Raises:
        NotFoundError: no such cohort.
    """
    row = db.get(LearningCohort, cohort_id)
    if row is None:
        raise NotFoundError(f"no cohort with id {cohort_id}")
    return row


def cohort_by_code(db: Session, code: str) -> LearningCohort:
    """The cohort a join code opens.

    Raises:
        NotFoundError: no cohort has this code.
    """
    row = db.scalar(select(LearningCohort).where(LearningCohort.join_code == code))
    if row is None:
        raise NotFoundError(
            f"join code {code!r}: no cohort has this code; check it with your instructor"
        )
    return row


def owned_cohorts(db: Session, user: User) -> list[LearningCohort]:
    """Cohorts ``user`` runs (every cohort for an admin), newest first."""
    query = select(LearningCohort).order_by(LearningCohort.id.desc())
    if user.role != "admin":
        query = query.where(LearningCohort.owner_id == user.id)
    return list(db.scalars(query))


def memberships(db: Session, user: User) -> list[tuple[LearningCohort, LearningMember]]:
    """The cohorts ``user`` has joined, with their membership."""
    rows = db.execute(
        select(LearningCohort, LearningMember)
        .join(LearningMember, LearningMember.cohort_id == LearningCohort.id)
        .where(LearningMember.user_id == user.id)
        .order_by(LearningCohort.name)
    )
    return [(cohort, member) for cohort, member in rows]


def join(db: Session, cohort: LearningCohort, user: User, *, consented: bool) -> LearningMember:
    """Add ``user`` to ``cohort`` (or change their consent if already a member)."""
    member = db.scalar(
        select(LearningMember).where(
            LearningMember.cohort_id == cohort.id, LearningMember.user_id == user.id
        )
    )
    if member is None:
        member = LearningMember(
            cohort_id=cohort.id,
            user_id=user.id,
            label=(user.display_name or user.username)[:100] + f" ({user.username})"[:28],
            consented=consented,
        )
        try:
            with db.begin_nested():
                db.add(member)
        except IntegrityError:
            raise ConflictError("you have already joined this cohort") from None
    else:
        member.consented = consented
    db.flush()
    return member


def membership(db: Session, cohort: LearningCohort, user: User) -> LearningMember:
    """``user``'s membership of ``cohort``.

    Raises:
        NotFoundError: ``user`` is not a member.
    """
    member = db.scalar(
        select(LearningMember).where(
            LearningMember.cohort_id == cohort.id, LearningMember.user_id == user.id
        )
    )
    if member is None:
        raise NotFoundError(f"you are not a member of cohort {cohort.id}")
    return member


def leave(db: Session, cohort: LearningCohort, user: User) -> None:
    """Remove ``user`` from ``cohort``."""
    db.delete(membership(db, cohort, user))
    db.flush()


def members(db: Session, cohort: LearningCohort) -> list[tuple[LearningMember, User | None]]:
    """Everyone in the cohort, learner accounts with their user row, imported people with None."""
    rows = db.execute(
        select(LearningMember, User)
        .outerjoin(User, User.id == LearningMember.user_id)
        .where(LearningMember.cohort_id == cohort.id)
        .order_by(LearningMember.id)
    )
    return [(member, user) for member, user in rows]


def add_imported(
    db: Session, cohort: LearningCohort, people: Sequence[tuple[dict[str, int], bool]]
) -> int:
    """Add imported people (levels, consent) as anonymous members; returns how many.

    The whole batch is added or, on any failure, none of it.
    """
    taken = db.scalar(
        select(func.count())
        .select_from(LearningMember)
        .where(LearningMember.cohort_id == cohort.id, LearningMember.user_id.is_(None))
    )
    start = int(taken or 0) + 1
    with db.begin_nested():
        for offset, (levels, consented) in enumerate(people):
            db.add(
                LearningMember(
                    cohort_id=cohort.id,
                    user_id=None,
                    label=f"Staff {start + offset:03d}",
                    consented=consented,
                    levels=dict(levels),
                )
            )
    db.flush()
    return len(people)


def remove_imported(db: Session, cohort: LearningCohort) -> int:
    """Remove every imported person from ``cohort``; returns how many."""
    done = db.execute(
        delete(LearningMember).where(
            LearningMember.cohort_id == cohort.id, LearningMember.user_id.is_(None)
        )
    )
    return int(getattr(done, "rowcount", 0) or 0)


# --- the demo cohort --------------------------------------------------------------------

DEMO_COHORT = "Demo cohort: municipal resilience team"
#: Synthetic learners of the demo cohort: username, name, self-ratings of C01…C20 in order.
DEMO_LEARNERS: tuple[tuple[str, str, str], ...] = (
    ("eleni.p", "Eleni Papadopoulou", "22121111013232111010"),
    ("jonas.w", "Jonas Weber", "12332333221101100111"),
    ("ana.s", "Ana Sousa", "21212322322112112121"),
    ("nikos.a", "Nikos Alexiou", "11121110111101213323"),
    ("lena.h", "Lena Hoffmann", "33222222123323222121"),
    ("tiago.c", "Tiago Costa", "11111101101001001000"),
)


def seed_demo_cohort(db: Session, owner: User) -> LearningCohort | None:
    """Create the demo cohort, owned by ``owner``, with six synthetic, consenting learners.

    The learners get accounts with a random password nobody is told (they are data, not
    people who sign in). Returns ``None`` when the demo cohort exists already.
    """
    from crisis import accounts
    from crisis.learners.cohorts import new_join_code
    from crisis.store import users

    if db.scalar(select(LearningCohort.id).where(LearningCohort.name == DEMO_COHORT)):
        return None
    cohort = create_cohort(db, owner, DEMO_COHORT, join_code=new_join_code(), budget_hours=40.0)
    for username, name, levels in DEMO_LEARNERS:
        learner = db.scalar(select(User).where(User.username == username))
        if learner is None:
            learner = users.add_user(
                db, username, accounts.generate_password(), "learner", display_name=name
            )
        set_ratings(db, learner, {f"C{k + 1:02d}": int(level) for k, level in enumerate(levels)})
        join(db, cohort, learner, consented=True)
    return cohort
