"""Tables of the courses: quiz attempts, unit visits, practice workspaces, instructors' unit
versions, course runs, feedback and recorded completions.

Nothing here records "complete": completion is computed from the evidence (quiz attempts,
exercise runs, practice-workspace versions). Authored units are versions: each save adds a
row, the newest row of a unit and language is in force, and a row without text withdraws the
override (the bundled unit applies again); the history is never rewritten.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisis.store.tables import Base, UTCDateTime, utcnow


class CourseQuizAttempt(Base):
    """One quiz of a unit: the items drawn, and once submitted the answers and the score."""

    __tablename__ = "course_quiz_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[str] = mapped_column(String(16))
    #: Item ids in the order asked.
    items: Mapped[list[str]] = mapped_column(JSON)
    #: Item id → chosen option, once submitted.
    answers: Mapped[dict[str, int] | None] = mapped_column(JSON)
    correct: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class CourseVisit(Base):
    """When a learner last opened a unit (for "resume where you left off")."""

    __tablename__ = "course_visit"
    __table_args__ = (UniqueConstraint("user_id", "unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[str] = mapped_column(String(16))
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CoursePractice(Base):
    """A learner's private practice workspace for workbench tasks."""

    __tablename__ = "course_practice"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workbench_workspace.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CourseUnitVersion(Base):
    """One saved version of an instructor's unit (or translation) file."""

    __tablename__ = "course_unit_version"
    __table_args__ = (UniqueConstraint("unit_id", "lang", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(16), index=True)
    lang: Mapped[str] = mapped_column(String(8), default="en")
    number: Mapped[int] = mapped_column(Integer)
    #: The file's text; ``None`` withdraws the override.
    source: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    author: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500), default="")
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CourseRun(Base):
    """A module (or several) opened for a cohort, with start date, required units, deadlines."""

    __tablename__ = "course_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("learning_cohort.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    modules: Mapped[list[str]] = mapped_column(JSON)
    start: Mapped[dt.date] = mapped_column(Date)
    required: Mapped[list[str]] = mapped_column(JSON)
    #: Unit or module id → ISO date.
    deadlines: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CourseFeedback(Base):
    """An instructor's feedback on a learner's handed-in work for one unit of a run."""

    __tablename__ = "course_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("course_run.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    author: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CourseRecognition(Base):
    """A module without units in CRISIS, recorded complete for a learner by an instructor."""

    __tablename__ = "course_recognition"
    __table_args__ = (UniqueConstraint("user_id", "module"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    module: Mapped[str] = mapped_column(String(32))
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorder_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
