from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, select
from sqlalchemy.orm import Session

from crisis.exceptions import FormatError
from crisis.store import backup, users
from crisis.store.db import make_engine
from crisis.store.tables import Job


def _populate(engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        alice = users.add_user(db, "alice", "alice-password-1", "instructor", display_name="Αλίκη")
        users.add_user(db, "bob", "bob-password-12", "learner")
        users.create_token(db, alice, "scripts")
        users.record_attempt(db, "bob", "127.0.0.1", success=False)
        db.add(
            Job(kind="ensemble", owner_id=alice.id, params={"scenarios": 500, "hazard": "flood"})
        )


def _plain(value: object) -> object:
    # SQLite keeps naive UTC timestamps, PostgreSQL aware ones: compare them as UTC.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        return {
            t.name: [
                tuple(_plain(v) for v in r)
                for r in conn.execute(select(t).order_by(*t.primary_key.columns))
            ]
            for t in metadata.sorted_tables
            if t.name != "alembic_version"
        }


def test_backup_then_restore_gives_back_every_row(engine: Engine, tmp_path: Path) -> None:
    _populate(engine)
    expected = _dump(engine)
    path = tmp_path / "crisis.backup"
    counts = backup.backup(engine, path)
    assert counts["user_account"] == 2

    # Change and delete data, then restore over it.
    with Session(engine) as db, db.begin():
        users.set_role(db, "bob", "admin")
        db.delete(users.get_user(db, "alice"))
    backup.restore(engine, path)
    assert _dump(engine) == expected

    # New rows after a restore get fresh ids (sequences follow the restored rows).
    with Session(engine) as db, db.begin():
        carol = users.add_user(db, "carol", "carol-password-1")
        assert carol.id > max(row[0] for row in expected["user_account"])


def test_restore_into_an_empty_database(engine: Engine, tmp_path: Path) -> None:
    _populate(engine)
    expected = _dump(engine)
    path = tmp_path / "b.gz"
    backup.backup(engine, path)
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    backup.restore(fresh, path)
    assert _dump(fresh) == expected
    fresh.dispose()


def test_a_broken_backup_file_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    _populate(engine)
    expected = _dump(engine)
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"this is not gzip")
    with pytest.raises(FormatError, match="not a CRISIS backup"):
        backup.restore(engine, bad)
    other = tmp_path / "other.gz"
    with gzip.open(other, "wb") as fh:
        fh.write(b'{"format": "something-else"}')
    with pytest.raises(FormatError, match="missing format marker"):
        backup.restore(engine, other)
    assert _dump(engine) == expected
