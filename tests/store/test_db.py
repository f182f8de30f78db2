"""SQLite transactions: readers never wait for a writer; writers take the lock up front."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from crisis.store.db import make_sessionmaker
from crisis.store.tables import User


def _holding_the_write_lock(engine: Engine):  # type: ignore[no-untyped-def]
    conn = engine.connect()
    conn.begin()  # a writer: BEGIN IMMEDIATE
    conn.execute(text("UPDATE user_account SET display_name = 'busy'"))
    return conn


def _finishes_meanwhile(work) -> object:  # type: ignore[no-untyped-def]
    """Run ``work`` in a thread; its result, which must come while the lock is still held."""
    out: list[object] = []
    worker = threading.Thread(target=lambda: out.append(work()))
    worker.start()
    worker.join(timeout=120)  # a blocked reader would wait for the lock (30 s) and then fail
    assert not worker.is_alive() and out, "the reader waited for the writer"
    return out[0]


@pytest.mark.usefixtures("accounts")
def test_readers_do_not_wait_for_a_writer(engine: Engine, migrated_url: str) -> None:
    if not migrated_url.startswith("sqlite"):
        pytest.skip("PostgreSQL readers never waited")
    readers = make_sessionmaker(engine, read_only=True)
    writer = _holding_the_write_lock(engine)
    try:

        def read() -> int:
            with readers() as db:
                return int(db.scalar(select(func.count(User.id))) or 0)

        assert _finishes_meanwhile(read) == 4
    finally:
        writer.rollback()
        writer.close()
    with Session(engine) as db, db.begin():  # and writers still write
        db.execute(text("UPDATE user_account SET display_name = 'free'"))


@pytest.mark.usefixtures("accounts")
def test_pages_and_healthz_answer_while_another_process_writes(app, migrated_url: str) -> None:  # type: ignore[no-untyped-def]
    if not migrated_url.startswith("sqlite"):
        pytest.skip("PostgreSQL readers never waited")
    with TestClient(app) as client:
        writer = _holding_the_write_lock(app.state.engine)
        try:
            codes = _finishes_meanwhile(
                lambda: [client.get(p).status_code for p in ("/healthz", "/competences", "/")]
            )
        finally:
            writer.rollback()
            writer.close()
    assert codes == [200, 200, 200]
