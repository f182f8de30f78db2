"""Logical backup and restore that work on SQLite and PostgreSQL alike.

A backup is gzip-compressed JSON: the schema revision and, per table, its column names and
rows. Tables are read by reflection, so a backup holds every table the database has, whoever
added it. Restore replaces all rows in one transaction: it succeeds completely or not at all.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, LargeBinary, MetaData, Table, delete, func, select, text
from sqlalchemy.types import Date, DateTime, TypeEngine

from crisis.exceptions import FormatError, StorageError
from crisis.store.migrate import current_revision, upgrade

FORMAT = "crisis-backup"
FORMAT_VERSION = 1
_SKIP = {"alembic_version"}


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column_type: TypeEngine[Any]) -> Any:
    if isinstance(column_type, DateTime):
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if isinstance(column_type, Date):
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    if isinstance(column_type, LargeBinary):
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: v


def _reflect(engine: Engine) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(engine)
    return [t for t in metadata.sorted_tables if t.name not in _SKIP]


def backup(engine: Engine, path: Path) -> dict[str, int]:
    """Write every row of every table to ``path``; returns the row count per table."""
    revision = current_revision(engine)
    tables = _reflect(engine)
    counts: dict[str, int] = {}
    payload: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "revision": revision,
        "dialect": engine.dialect.name,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "tables": {},
    }
    with engine.connect() as conn:
        for table in tables:
            columns = [c.name for c in table.columns]
            order = list(table.primary_key.columns) or list(table.columns)
            rows = [
                [_encode(v) for v in row]
                for row in conn.execute(select(*table.columns).order_by(*order))
            ]
            payload["tables"][table.name] = {"columns": columns, "rows": rows}
            counts[table.name] = len(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so an interrupted backup never leaves a torn file.
    fd, tmp = tempfile.mkstemp(prefix=".backup-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as gz:
            gz.write(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return counts


def read_backup(path: Path) -> dict[str, Any]:
    """Load and check a backup file."""
    try:
        with gzip.open(path, "rb") as gz:
            payload = json.loads(gz.read().decode("utf-8"))
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path}: not a CRISIS backup ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise FormatError(f"{path}: not a CRISIS backup (missing format marker)")
    if payload.get("version") != FORMAT_VERSION:
        raise FormatError(f"{path}: backup format version {payload.get('version')} not supported")
    return payload


def restore(engine: Engine, path: Path) -> dict[str, int]:
    """Replace the database's rows with those in ``path``; returns the row count per table.

    The schema is first brought to the backup's revision, the rows are loaded in one
    transaction, then the schema is upgraded to the newest revision.
    """
    payload = read_backup(path)
    revision = payload.get("revision")
    current = current_revision(engine)
    if current is None and revision:
        upgrade(engine, revision)
    elif current != revision:
        raise StorageError(
            f"{path}: backup is at schema revision {revision}, the database at {current}; "
            "restore into an empty database or one at the same revision"
        )
    tables = {t.name: t for t in _reflect(engine)}
    unknown = sorted(set(payload["tables"]) - set(tables))
    if unknown:
        raise FormatError(f"{path}: backup has tables this database lacks: {', '.join(unknown)}")
    counts: dict[str, int] = {}
    ordered = [t for t in tables.values() if t.name in payload["tables"]]
    with engine.begin() as conn:
        for table in reversed(list(tables.values())):
            conn.execute(delete(table))
        for table in ordered:
            data = payload["tables"][table.name]
            names = data["columns"]
            decoders = [_decoder(table.columns[name].type) for name in names]
            rows = [
                {n: dec(v) for n, dec, v in zip(names, decoders, row, strict=True)}
                for row in data["rows"]
            ]
            if rows:
                conn.execute(table.insert(), rows)
            counts[table.name] = len(rows)
        if engine.dialect.name == "postgresql":
            _reset_sequences(conn, ordered)
    upgrade(engine)
    return counts


def _reset_sequences(conn: Any, tables: list[Table]) -> None:
    for table in tables:
        for column in table.primary_key.columns:
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            ).scalar()
            if sequence:
                top = conn.execute(select(func.max(column))).scalar()
                conn.execute(
                    text("SELECT setval(:s, :v, :called)"),
                    {"s": sequence, "v": top or 1, "called": top is not None},
                )
