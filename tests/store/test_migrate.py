from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from crisis.exceptions import StorageError
from crisis.store.db import make_engine
from crisis.store.migrate import current_revision, head_revision, upgrade

FAILING = """
import sqlalchemy as sa
from alembic import op

revision = "9999_broken"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("INSERT INTO user_account_missing VALUES (1)")


def downgrade():
    pass
"""


def test_upgrade_creates_schema_and_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    before, after = upgrade(engine)
    assert before is None and after == head_revision()
    assert "user_account" in inspect(engine).get_table_names()
    assert upgrade(engine) == (after, after)
    engine.dispose()


def test_failed_migration_leaves_database_as_it_was(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "9999_broken.py").write_text(FAILING.format(head=head_revision()))
    tables_before = set(inspect(engine).get_table_names())
    with pytest.raises(StorageError, match="rolled back"):
        upgrade(engine, extra_version_locations=[tmp_path])
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) == tables_before
    assert current_revision(engine) == head_revision()


def test_unreachable_database_is_one_clear_error() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(StorageError, match="unreachable"):
        upgrade(engine)
