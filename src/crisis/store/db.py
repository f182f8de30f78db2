"""Engines and sessions for SQLite (default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crisis.exceptions import StorageError

#: Execution option marking a connection whose transactions only read (deferred on SQLite).
READ_ONLY = "crisis_read_only"


def normalise_url(url: str) -> str:
    """Point ``postgresql://`` URLs at psycopg 3 and keep everything else as given."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _create_private(path: Path) -> None:
    """Create an empty database file readable by its owner only (SQLite gives its WAL and
    shared-memory files the same permissions); an existing file is left as it is."""
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and transactional DDL.

    Python's sqlite3 driver opens transactions lazily and not for DDL, so a failed
    migration could leave half a schema behind; we take over BEGIN ourselves, as the
    SQLAlchemy documentation recommends, so every migration is all-or-nothing.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        parsed = make_url(url)
        if parsed.database and parsed.database != ":memory:":
            _create_private(Path(parsed.database))
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            if conn.get_execution_options().get(READ_ONLY, False):
                # Readers share the database: a deferred transaction takes no lock and
                # never waits for a writer (WAL keeps its snapshot).
                conn.exec_driver_sql("BEGIN")
                return
            # Writers take the write lock up front (waiting up to busy_timeout). A deferred
            # transaction that read first cannot upgrade once another connection has
            # committed, and SQLite then fails at once with "database is locked" instead of
            # waiting: concurrent job submissions and progress updates hit exactly that.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``.

    Args:
        read_only: Sessions for work that only reads (or whose rare writes may fail and be
            retried later): on SQLite their transactions are deferred, so they neither take
            nor wait for the write lock. Other sessions take it when their transaction
            begins. PostgreSQL is not affected.
    """
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


def check_connection(engine: Engine) -> None:
    """Raise :class:`StorageError` with the database's own reason when it cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StorageError(
            f"database {engine.url.render_as_string(hide_password=True)} unreachable: {reason}"
        ) from None
