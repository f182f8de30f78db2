"""Tables of the exercises: instructors' exercises, plan runs, evidence, tabletop sessions.

A run keeps the plan as submitted and the job that computes its debrief; its score and the
evidence it yields are written once, when the finished job is first read. Tabletop decisions
are rows of their own (one per team and inject, enforced by a unique key), so two teams
deciding at the same moment never overwrite each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crisis.store.tables import Base, UTCDateTime, utcnow


class ExerciseAuthored(Base):
    """An exercise written by an instructor, kept as the exercise file's text."""

    __tablename__ = "exercise_authored"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExerciseRun(Base):
    """One submitted plan and its debrief job."""

    __tablename__ = "exercise_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    exercise: Mapped[str] = mapped_column(String(64), index=True)
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    cost: Mapped[float] = mapped_column(Float)
    scenarios: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    #: running, done or failed (mirrors the job once it ends).
    status: Mapped[str] = mapped_column(String(16), default="running")
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ExerciseEvidence(Base):
    """Evidence of a completed run toward the competences of the exercise's objectives."""

    __tablename__ = "exercise_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    exercise: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int] = mapped_column(
        ForeignKey("exercise_run.id", ondelete="CASCADE"), unique=True
    )
    competences: Mapped[list[str]] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExerciseSetting(Base):
    """Per-exercise settings an instructor controls (the leaderboard switch)."""

    __tablename__ = "exercise_setting"

    exercise: Mapped[str] = mapped_column(String(64), primary_key=True)
    leaderboard: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExerciseTabletop(Base):
    """An instructor-led tabletop session (state: teams, timer, released injects)."""

    __tablename__ = "exercise_tabletop"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise: Mapped[str] = mapped_column(String(64))
    cohort: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    resolve_job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExerciseTabletopMember(Base):
    """A learner's team in a tabletop session."""

    __tablename__ = "exercise_tabletop_member"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("exercise_tabletop.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    team: Mapped[str] = mapped_column(String(64))
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExerciseTabletopDecision(Base):
    """A team's decision on one inject (one per team and inject)."""

    __tablename__ = "exercise_tabletop_decision"
    __table_args__ = (UniqueConstraint("session_id", "team", "inject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("exercise_tabletop.id", ondelete="CASCADE"), index=True
    )
    team: Mapped[str] = mapped_column(String(64))
    inject: Mapped[str] = mapped_column(String(64))
    option: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
