"""Tables of the learner journey: self-ratings, adaptive-test attempts and their answers,
each learner's path settings, cohorts and their members.

An attempt keeps the whole adaptive-test state (:class:`crisis.learners.cat.CatState`) as
JSON, with a ``version`` that every save must start from. Each answer is also a row of its
own, unique per attempt and item and per attempt and sequence number, so a replayed or
concurrent submission cannot be recorded twice even if two requests race.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisis.store.tables import Base, UTCDateTime, utcnow


class LearningRating(Base):
    """A learner's self-rating of one competence (the latest answer wins)."""

    __tablename__ = "learning_rating"
    __table_args__ = (UniqueConstraint("user_id", "competence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    competence: Mapped[str] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer)
    rated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LearningAttempt(Base):
    """One adaptive test: its resumable state and, once finished, its result."""

    __tablename__ = "learning_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: ``running`` or ``finished``.
    status: Mapped[str] = mapped_column(String(16), default="running")
    #: The test state (``CatState`` as JSON).
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Bumped on every save; a save must start from the version it read.
    version: Mapped[int] = mapped_column(Integer, default=0)
    #: ``TestResult.as_dict()`` once finished.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class LearningResponse(Base):
    """One answer in an attempt; also the raw material of item calibration."""

    __tablename__ = "learning_response"
    __table_args__ = (
        UniqueConstraint("attempt_id", "item_id", name="uq_learning_response_item"),
        UniqueConstraint("attempt_id", "sequence", name="uq_learning_response_sequence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("learning_attempt.id", ondelete="CASCADE"), index=True
    )
    #: 0 for the first answer of the attempt, 1 for the next, …
    sequence: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(64))
    option: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LearningPlan(Base):
    """A learner's choices for gap analysis and the learning path."""

    __tablename__ = "learning_plan"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    profile_id: Mapped[str] = mapped_column(String(64), default="scro")
    hours_per_week: Mapped[float] = mapped_column(Float, default=4.0)
    start: Mapped[dt.date | None] = mapped_column(Date)
    objective: Mapped[str] = mapped_column(String(8), default="hours")
    #: Module ids the learner ticked as completed (no longer used: completion is computed
    #: from evidence by :mod:`crisis.courses.progress`; kept so that no stored data is lost).
    completed: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: What the path may use: a programme id of the curriculum, or ``"all"``; ``None`` = the
    #: curriculum's first programme (the open online course).
    scope: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LearningCohort(Base):
    """A group of learners run by an instructor, joined with a code."""

    __tablename__ = "learning_cohort"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    profile_id: Mapped[str] = mapped_column(String(64), default="scro")
    budget_hours: Mapped[float] = mapped_column(Float, default=40.0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LearningMember(Base):
    """A person in a cohort: a learner account, or an imported (anonymous) staff row."""

    __tablename__ = "learning_member"
    __table_args__ = (
        UniqueConstraint("cohort_id", "user_id", name="uq_learning_member_user"),
        UniqueConstraint("cohort_id", "label", name="uq_learning_member_label"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("learning_cohort.id", ondelete="CASCADE"), index=True
    )
    #: The learner's account; ``None`` for an imported person.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: How the person is shown when consented (imported people get a neutral label).
    label: Mapped[str] = mapped_column(String(128))
    #: Whether the instructor may see this person's individual results.
    consented: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Imported self-assessment (competence → level); ``None`` for learner accounts.
    levels: Mapped[dict[str, int] | None] = mapped_column(JSON)
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
