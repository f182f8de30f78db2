"""The background sender: only when asked for, delivers while the server runs, stops with it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisis.integrations import xapi
from crisis.store import integrations as store
from crisis.store.integration_tables import OutboxMessage
from crisis.web.app import create_app
from tests.integrations.conftest import client_for


def _enqueue(engine) -> str:  # type: ignore[no-untyped-def]
    body = xapi.statement(
        base_url="http://testserver",
        actor=xapi.Actor(1, "Test learner"),
        verb="completed",
        event="sender-test",
        kind="self-assessment",
        path="/learning/self-assessment",
        title="Self-assessment",
        timestamp=dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC),
        result=xapi.Result(completion=True),
    )
    with Session(engine) as db, db.begin():
        store.enqueue(db, channel="xapi", key=body["id"], payload=body, user_id=None)
    return str(body["id"])


def _status(engine, key: str) -> str:  # type: ignore[no-untyped-def]
    with Session(engine) as db:
        return str(db.scalar(select(OutboxMessage.status).where(OutboxMessage.key == key)))


def test_an_app_has_no_sender_unless_asked(lti_settings, engine, accounts, lrs) -> None:  # type: ignore[no-untyped-def]
    settings = dataclasses.replace(
        lti_settings,
        outbox_seconds=1,
        lrs_url=lrs.url,
        lrs_username=lrs.user,
        lrs_password=lrs.password,
    )
    key = _enqueue(engine)
    app = create_app(settings, engine=engine)
    with client_for(app) as client:
        assert client.get("/healthz").status_code == 200
        assert not app.state.outbox_sender.running
    assert _status(engine, key) == "pending"
    assert lrs.statements() == []


def test_the_sender_delivers_while_serving_and_stops_with_the_server(  # type: ignore[no-untyped-def]
    lti_settings, engine, accounts, lrs
) -> None:
    settings = dataclasses.replace(
        lti_settings,
        outbox_seconds=1,
        lrs_url=lrs.url,
        lrs_username=lrs.user,
        lrs_password=lrs.password,
    )
    key = _enqueue(engine)
    app = create_app(settings, engine=engine, outbox_sender=True)
    sender = app.state.outbox_sender
    with client_for(app) as client:
        assert sender.running
        deadline = time.monotonic() + 60
        while _status(engine, key) != "delivered" and time.monotonic() < deadline:
            assert client.get("/healthz").status_code == 200
            time.sleep(0.2)
        assert _status(engine, key) == "delivered"
    assert not sender.running  # stopped with the server (its thread has ended)
    assert sender.passes >= 1
    assert [s["id"] for s in lrs.statements()] == [key]
