"""credential tables

Revision ID: 0013_credentials
Revises: 0009_exercises
Create Date: 2026-11-30 11:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crisis.store.tables

revision = "0013_credentials"
down_revision = "0009_exercises"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credential_issued",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("achievement_id", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=500), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("issued_at", crisis.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", crisis.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["issued_by"],
            ["user_account.id"],
            name=op.f("fk_credential_issued_issued_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_credential_issued_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_issued")),
        sa.UniqueConstraint("status_index", name=op.f("uq_credential_issued_status_index")),
        sa.UniqueConstraint("uuid", name=op.f("uq_credential_issued_uuid")),
    )


def downgrade() -> None:
    op.drop_table("credential_issued")
