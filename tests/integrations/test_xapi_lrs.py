"""xAPI statements of the learner journey reach a real LRS (Ralph), survive its outage through
the outbox, and are never stored twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisis.competences.loader import load_bundled
from crisis.store import integrations as store
from crisis.store.integration_tables import OutboxMessage
from crisis.store.tables import utcnow
from crisis.web.app import create_app
from crisis.web.integrations import service
from tests.conftest import login
from tests.integrations.conftest import client_for
from tests.integrations.test_lti_flow import answer_quiz


def _pass(engine, settings, now=None):  # type: ignore[no-untyped-def]
    with Session(engine) as db, db.begin():
        service.collect(db, base="http://testserver", acts=service.activities(db, load_bundled()))
        return service.deliver(db, settings, now=now)


def _rows(engine):  # type: ignore[no-untyped-def]
    with Session(engine) as db:
        return [
            (r.key, r.status, r.attempts, r.last_status, r.last_error)
            for r in db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "xapi"))
        ]


def test_statements_survive_an_lrs_outage(lti_settings, engine, accounts, lrs) -> None:  # type: ignore[no-untyped-def]
    settings = dataclasses.replace(
        lti_settings, lrs_url=lrs.url, lrs_username=lrs.user, lrs_password=lrs.password
    )
    app = create_app(settings, engine=engine)
    with client_for(app) as learner:
        login(learner, "learner")
        assert learner.get("/learning/courses/M01/M01-1").status_code == 200
        answer_quiz(learner, "M01-1", right=True)
        first = _pass(engine, settings)
        assert [r[1] for r in _rows(engine)] == ["delivered"] * 3, first
        held = lrs.statements()
        verbs = Counter(s["verb"]["id"].rsplit("/", 1)[1] for s in held)
        assert verbs == {"progressed": 1, "scored": 1, "passed": 1}
        assert all(
            s["object"]["id"].startswith("http://testserver/learning/courses/M01") for s in held
        )

        # A delivery repeated (as after a lost answer) stores nothing twice.
        with Session(engine) as db, db.begin():
            for row in db.scalars(select(OutboxMessage)):
                row.status, row.next_at = "pending", utcnow()
        again = _pass(engine, settings)
        assert {r[1] for r in _rows(engine)} == {"delivered"}, again
        assert len(lrs.statements()) == 3

        # The LRS goes down; the learner keeps working; nothing is lost.
        lrs.stop()
        answer_quiz(learner, "M01-1", right=False)
        down = _pass(engine, settings)
        assert down is not None
        waiting = [r for r in _rows(engine) if r[1] == "pending"]
        assert len(waiting) == 2 and all(
            r[2] == 1 and r[3] is None and "LRS" in r[4] for r in waiting
        )
        with Session(engine) as db:
            due = min(
                r.next_at
                for r in db.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending"))
            )
        assert due > utcnow()  # back-off: not retried at once

        # It comes back: everything waiting is delivered, and nothing twice.
        lrs.start("after-outage.jsonl")
        _pass(engine, settings, now=due + dt.timedelta(seconds=1))
        assert {r[1] for r in _rows(engine)} == {"delivered"}, _rows(engine)
        held = lrs.stored()
        ids = [s["id"] for s in held]
        assert len(ids) == len(set(ids)) == len(_rows(engine)) == 5
        verbs = Counter(s["verb"]["id"].rsplit("/", 1)[1] for s in held)
        assert verbs == {"progressed": 1, "scored": 2, "passed": 1, "failed": 1}

        # A statement the LRS refuses (4xx) is kept with its error, the others still go.
        with Session(engine) as db, db.begin():
            store.enqueue(
                db, channel="xapi", key="broken", payload={"verb": {"id": "nope"}}, user_id=None
            )
        answer_quiz(learner, "M01-1", right=True)
        _pass(engine, settings)
        rows = {r[0]: r for r in _rows(engine)}
        assert (
            rows["broken"][1] == "refused" and rows["broken"][3] in (400, 422) and rows["broken"][4]
        )
        assert all(r[1] != "refused" for key, r in rows.items() if key != "broken")

        # The learner downloads their own statements.
        own = learner.get("/learning/statements.json")
        assert own.status_code == 200 and "attachment" in own.headers["content-disposition"]
        assert {s["id"] for s in own.json()} == {k for k in rows if k != "broken"}
