"""Create or migrate the database schema with Alembic, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from crisis.exceptions import StorageError
from crisis.store.db import check_connection

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(extra_version_locations: Sequence[Path] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    locations = [MIGRATIONS / "versions", *extra_version_locations]
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    return config


def head_revision() -> str:
    """The newest revision this version of CRISIS knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(
    engine: Engine, revision: str = "heads", *, extra_version_locations: Sequence[Path] = ()
) -> tuple[str | None, str | None]:
    """Upgrade the database to ``revision`` in one transaction.

    Returns:
        The revisions before and after.

    Raises:
        StorageError: the database is unreachable or a migration failed; in the latter case
            the transaction is rolled back and the database is as it was.
    """
    check_connection(engine)
    before = current_revision(engine)
    config = _config(extra_version_locations)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except Exception as exc:
        raise StorageError(
            f"migration from {before or 'an empty database'} failed and was rolled back: {exc}"
        ) from exc
    return before, current_revision(engine)
