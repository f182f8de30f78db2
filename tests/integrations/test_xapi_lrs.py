"""xAPI statements of the learner journey reach a real LRS (Ralph), survive its outage through
the outbox, and are stored exactly once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisis.competences.loader import load_bundled
from crisis.store import integrations as store
from crisis.store.db import make_sessionmaker
from crisis.store.integration_tables import OutboxMessage
from crisis.store.tables import utcnow
from crisis.web.app import create_app
from crisis.web.integrations import delivery
from tests.conftest import login
from tests.integrations.conftest import client_for
from tests.integrations.test_lti_flow import answer_quiz


def _pass(engine, settings, now=None):  # type: ignore[no-untyped-def]
    return delivery.run_once(make_sessionmaker(engine), settings, load_bundled(), now=now)


def _rows(engine):  # type: ignore[no-untyped-def]
    with Session(engine) as db:
        return {
            r.key: (r.status, r.attempts, r.last_status, r.last_error)
            for r in db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "xapi"))
        }


def _once_each(ids: list[object]) -> bool:
    return all(n == 1 for n in Counter(ids).values())


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
        rows = _rows(engine)
        assert [r[0] for r in rows.values()] == ["delivered"] * 3, first
        held = lrs.statements()
        assert sorted(s["id"] for s in held) == sorted(rows)
        verbs = Counter(s["verb"]["id"].rsplit("/", 1)[1] for s in held)
        assert verbs == {"progressed": 1, "scored": 1, "passed": 1}
        assert all(
            s["object"]["id"].startswith("http://testserver/learning/courses/M01") for s in held
        )

        # A delivery repeated (as after a lost answer) stores nothing twice.
        files = lrs.files()
        with Session(engine) as db, db.begin():
            for row in db.scalars(select(OutboxMessage)):
                row.status, row.next_at = "pending", utcnow()
        again = _pass(engine, settings)
        assert {r[0] for r in _rows(engine).values()} == {"delivered"}, again
        assert sorted(s["id"] for s in lrs.statements()) == sorted(rows)
        assert lrs.files() == files  # Ralph saw every id and wrote nothing

        # The LRS goes down; the learner keeps working; nothing is lost.
        lrs.stop()
        answer_quiz(learner, "M01-1", right=False)
        _pass(engine, settings)
        waiting = {k: r for k, r in _rows(engine).items() if r[0] == "pending"}
        assert len(waiting) == 2
        assert all(r[1] == 1 and r[2] is None and "LRS" in r[3] for r in waiting.values())
        with Session(engine) as db:
            due = min(
                r.next_at
                for r in db.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending"))
            )
        assert due > utcnow()  # back-off: not retried at once
        _pass(engine, settings)  # a pass before the back-off ends leaves them waiting
        assert all(_rows(engine)[k][1] == 1 for k in waiting)

        # It comes back: every statement is in the LRS exactly once.
        lrs.start()
        _pass(engine, settings, now=due + dt.timedelta(seconds=1))
        rows = _rows(engine)
        assert {r[0] for r in rows.values()} == {"delivered"}, rows
        assert all(rows[k][1] == 2 for k in waiting)  # the failed try, then the good one
        held = lrs.statements()
        ids = [s["id"] for s in held]
        assert sorted(ids) == sorted(rows) and len(ids) == 5 and _once_each(ids)
        written = [s["id"] for s in lrs.stored()]
        assert sorted(written) == sorted(ids) and _once_each(written)
        verbs = Counter(s["verb"]["id"].rsplit("/", 1)[1] for s in held)
        assert verbs == {"progressed": 1, "scored": 2, "passed": 1, "failed": 1}

        # A statement the LRS refuses (4xx) is kept with its error; the others still go.
        with Session(engine) as db, db.begin():
            store.enqueue(
                db, channel="xapi", key="broken", payload={"verb": {"id": "nope"}}, user_id=None
            )
        answer_quiz(learner, "M01-1", right=True)
        _pass(engine, settings)
        rows = _rows(engine)
        assert rows["broken"][0] == "refused" and rows["broken"][2] in (400, 422)
        assert rows["broken"][3]
        assert {r[0] for k, r in rows.items() if k != "broken"} == {"delivered"}, rows
        ids = [s["id"] for s in lrs.statements()]
        assert sorted(ids) == sorted(k for k in rows if k != "broken") and _once_each(ids)
        assert len(ids) == 7

        # The learner downloads their own statements.
        own = learner.get("/learning/statements.json")
        assert own.status_code == 200 and "attachment" in own.headers["content-disposition"]
        assert {s["id"] for s in own.json()} == {k for k in rows if k != "broken"}
