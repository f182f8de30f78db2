"""Journey events become xAPI statements and LMS scores in the outbox.

The journey's tables are read by a time cursor per source; each message's key derives from
its event, so reading an event twice adds nothing. The cursor stays a little behind the
newest event read, so that an event whose transaction committed late is still seen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from crisis.integrations import services, xapi
from crisis.integrations.activities import Activity
from crisis.store import integrations as store
from crisis.store.course_tables import CourseQuizAttempt, CourseVisit
from crisis.store.exercise_tables import ExerciseRun
from crisis.store.learner_tables import LearningAttempt, LearningRating, LearningResponse
from crisis.store.tables import User, utcnow

#: How far behind the newest event read each source's cursor stays (late commits).
SLACK = dt.timedelta(minutes=2)

_SOURCES = ("rating", "answer", "test", "quiz", "run", "visit")


def _since(db: Session, name: str) -> dt.datetime:
    return store.cursor(db, name) or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def collect(db: Session, *, base: str, acts: Sequence[Activity]) -> int:
    """Put statements and scores for journey events not yet seen into the outbox.

    Reading is by time cursor per source; a second pass over the same events adds nothing
    (every message has a key derived from its event).

    Returns:
        How many messages were added.
    """
    by_key = {a.key: a for a in acts}
    added = 0
    started = utcnow()

    def advance(source: str, newest: dt.datetime) -> None:
        store.set_cursor(db, source, min(newest, started - SLACK))

    names: dict[int, str] = {}

    def actor(user_id: int) -> xapi.Actor:
        if user_id not in names:
            user = db.get(User, user_id)
            names[user_id] = user.display_name if user is not None else str(user_id)
        return xapi.Actor(user_id, names[user_id])

    def say(user_id: int, verb: str, event: str, act: Activity, at: dt.datetime, **kw: Any) -> None:
        nonlocal added
        body = xapi.statement(
            base_url=base,
            actor=actor(user_id),
            verb=verb,
            event=event,
            kind=act.kind,
            path=act.path,
            title=act.title,
            timestamp=at,
            **kw,
        )
        added += store.enqueue(db, channel="xapi", key=body["id"], payload=body, user_id=user_id)

    def grade(
        user_id: int, act: Activity, event: str, given: float, maximum: float, at: dt.datetime
    ) -> None:
        nonlocal added
        for link, granted in store.graded_links(db, user_id, act.key):
            added += store.enqueue(
                db,
                channel="ags",
                key=f"ags:{link.id}:{event}",
                payload=services.score(
                    user_sub=granted.sub, given=given, maximum=maximum, timestamp=at
                ),
                user_id=user_id,
                platform_id=link.platform_id,
                target=link.lineitem_url or "",
            )

    # Self-assessment: one "completed" per save (the newest rating time of the learner).
    since = _since(db, "rating")
    newest = since
    rows = db.execute(
        select(LearningRating.user_id, func.max(LearningRating.rated_at))
        .group_by(LearningRating.user_id)
        .having(func.max(LearningRating.rated_at) >= since)
    )
    act = by_key.get("self-assessment")
    for user_id, at in rows:
        if act is not None:
            say(
                user_id,
                "completed",
                f"self:{at.isoformat()}",
                act,
                at,
                result=xapi.Result(completion=True),
            )
        newest = max(newest, at)
    advance("rating", newest)

    test = by_key.get("test")
    # Each answer of the adaptive test.
    since = _since(db, "answer")
    newest = since
    for row, attempt in db.execute(
        select(LearningResponse, LearningAttempt)
        .join(LearningAttempt, LearningAttempt.id == LearningResponse.attempt_id)
        .where(LearningResponse.answered_at >= since)
        .order_by(LearningResponse.id)
    ):
        if test is not None:
            question = Activity(
                f"item:{row.item_id}",
                "question",
                f"Question {row.item_id}",
                f"/learning/test/items/{row.item_id}",
            )
            say(
                attempt.user_id,
                "answered",
                f"answer:{row.id}",
                question,
                row.answered_at,
                result=xapi.Result(success=bool(row.correct)),
                parent=(test.path, test.title),
            )
        newest = max(newest, row.answered_at)
    advance("answer", newest)

    # Finished tests: completed and scored (share of correct answers, out of 100).
    since = _since(db, "test")
    newest = since
    for attempt in db.scalars(
        select(LearningAttempt).where(
            LearningAttempt.status == "finished", LearningAttempt.finished_at >= since
        )
    ):
        at = attempt.finished_at or utcnow()
        asked, right = db.execute(
            select(
                func.count(LearningResponse.id), func.sum(LearningResponse.correct.cast(Integer))
            ).where(LearningResponse.attempt_id == attempt.id)
        ).one()
        if test is not None and asked:
            given = 100.0 * float(right or 0) / float(asked)
            say(
                attempt.user_id,
                "completed",
                f"test:{attempt.id}",
                test,
                at,
                result=xapi.Result(completion=True),
            )
            say(
                attempt.user_id,
                "scored",
                f"test:{attempt.id}",
                test,
                at,
                result=xapi.Result(given, 100.0),
            )
            grade(attempt.user_id, test, f"test:{attempt.id}", given, 100.0, at)
        newest = max(newest, at)
    advance("test", newest)

    # Unit quizzes: scored, passed or failed, and the score to the LMS.
    since = _since(db, "quiz")
    newest = since
    for quiz in db.scalars(
        select(CourseQuizAttempt).where(
            CourseQuizAttempt.submitted_at.is_not(None), CourseQuizAttempt.submitted_at >= since
        )
    ):
        at = quiz.submitted_at or utcnow()
        act = by_key.get(f"unit:{quiz.unit_id}")
        if act is not None:
            result = xapi.Result(float(quiz.correct or 0), float(quiz.total), quiz.passed, True)
            say(quiz.user_id, "scored", f"quiz:{quiz.id}", act, at, result=result)
            say(
                quiz.user_id,
                "passed" if quiz.passed else "failed",
                f"quiz:{quiz.id}",
                act,
                at,
                result=result,
            )
            grade(
                quiz.user_id,
                act,
                f"quiz:{quiz.id}",
                float(quiz.correct or 0),
                float(quiz.total),
                at,
            )
        newest = max(newest, at)
    advance("quiz", newest)

    # Exercise runs: completed and scored (the debrief score, 0–100).
    since = _since(db, "run")
    newest = since
    for run in db.scalars(
        select(ExerciseRun).where(ExerciseRun.status == "done", ExerciseRun.finished_at >= since)
    ):
        at = run.finished_at or utcnow()
        act = by_key.get(f"exercise:{run.exercise}")
        if act is not None:
            say(
                run.user_id,
                "completed",
                f"run:{run.id}",
                act,
                at,
                result=xapi.Result(completion=True),
            )
            if run.score is not None:
                say(
                    run.user_id,
                    "scored",
                    f"run:{run.id}",
                    act,
                    at,
                    result=xapi.Result(run.score, 100.0),
                )
                grade(run.user_id, act, f"run:{run.id}", float(run.score), 100.0, at)
        newest = max(newest, at)
    advance("run", newest)

    # A unit opened for the first time: the learner progressed in the module.
    since = _since(db, "visit")
    newest = since
    for visit in db.scalars(select(CourseVisit).where(CourseVisit.first_at >= since)):
        act = by_key.get(f"unit:{visit.unit_id}") or by_key.get(f"workbench:{visit.unit_id}")
        if act is not None:
            say(
                visit.user_id,
                "progressed",
                f"visit:{visit.id}",
                act,
                visit.first_at,
                parent=(f"/learning/courses/{act.module}", act.module),
            )
        newest = max(newest, visit.first_at)
    advance("visit", newest)
    return added
