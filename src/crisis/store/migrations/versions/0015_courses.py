"""course tables

Revision ID: 0015_courses
Revises: 0013_credentials
Create Date: 2026-11-30 10:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisis.store.tables

revision = "0015_courses"
down_revision = "0013_credentials"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_quiz_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=16), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("correct", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("started_at", crisis.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", crisis.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_course_quiz_attempt_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_quiz_attempt")),
    )
    with op.batch_alter_table("course_quiz_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_quiz_attempt_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "course_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=16), nullable=False),
        sa.Column("first_at", crisis.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", crisis.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_course_visit_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_visit")),
        sa.UniqueConstraint("user_id", "unit_id", name=op.f("uq_course_visit_user_id")),
    )
    with op.batch_alter_table("course_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_visit_user_id"), ["user_id"], unique=False)

    op.create_table(
        "course_practice",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", crisis.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_course_practice_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workbench_workspace.id"],
            name=op.f("fk_course_practice_workspace_id_workbench_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_course_practice")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_course_practice_workspace_id")),
    )

    op.create_table(
        "course_unit_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("saved_at", crisis.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_course_unit_version_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_unit_version")),
        sa.UniqueConstraint(
            "unit_id", "lang", "number", name=op.f("uq_course_unit_version_unit_id")
        ),
    )
    with op.batch_alter_table("course_unit_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_unit_version_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "course_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("required", sa.JSON(), nullable=False),
        sa.Column("deadlines", sa.JSON(), nullable=False),
        sa.Column("created_at", crisis.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["learning_cohort.id"],
            name=op.f("fk_course_run_cohort_id_learning_cohort"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user_account.id"],
            name=op.f("fk_course_run_owner_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_run")),
    )
    with op.batch_alter_table("course_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_run_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_run_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "course_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", crisis.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["course_run.id"],
            name=op.f("fk_course_feedback_run_id_course_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["user_account.id"],
            name=op.f("fk_course_feedback_learner_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_course_feedback_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_feedback")),
    )
    with op.batch_alter_table("course_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_feedback_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_course_feedback_learner_id"), ["learner_id"], unique=False
        )

    op.create_table(
        "course_recognition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorder_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("recorded_at", crisis.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_course_recognition_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorder_id"],
            ["user_account.id"],
            name=op.f("fk_course_recognition_recorder_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_recognition")),
        sa.UniqueConstraint("user_id", "module", name=op.f("uq_course_recognition_user_id")),
    )
    with op.batch_alter_table("course_recognition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_recognition_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("learning_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("learning_plan", schema=None) as batch_op:
        batch_op.drop_column("scope")
    for table, indexes in (
        ("course_recognition", ["ix_course_recognition_user_id"]),
        ("course_feedback", ["ix_course_feedback_learner_id", "ix_course_feedback_run_id"]),
        ("course_run", ["ix_course_run_owner_id", "ix_course_run_cohort_id"]),
        ("course_unit_version", ["ix_course_unit_version_unit_id"]),
        ("course_practice", []),
        ("course_visit", ["ix_course_visit_user_id"]),
        ("course_quiz_attempt", ["ix_course_quiz_attempt_user_id"]),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(batch_op.f(index))
        op.drop_table(table)
