from __future__ import annotations

import datetime as dt
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError
from crisis.settings import Settings
from crisis.store import jobs as job_store
from crisis.store import users
from crisis.store.tables import Job
from crisis.web.app import create_app
from tests.conftest import login

KINDS = {"square": "tests.web.jobfuncs:square", "refuse": "tests.web.jobfuncs:refuse"}


def _wait(client: TestClient, job_id: int, timeout: float = 240) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/jobs/{job_id}").json()
        if body["status"] in {"done", "failed"}:
            return body  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.mark.usefixtures("accounts")
def test_job_runs_in_a_worker_process_and_reports(settings: Settings, engine: Engine) -> None:
    app = create_app(settings, engine=engine, job_kinds=KINDS)
    with TestClient(app) as client:
        login(client, "learner")
        with Session(engine, expire_on_commit=False) as db:
            owner = users.get_user(db, "learner")
            good = job_store.create_job(db, "square", {"values": [1, 2, 3]}, owner.id)
            bad = job_store.create_job(db, "refuse", {}, owner.id)
            db.commit()
            app.state.jobs.submit(good)
            app.state.jobs.submit(bad)
        done = _wait(client, good.id)
        assert done["status"] == "done" and done["result"] == {"squares": [1, 4, 9]}
        assert done["progress"] == 1.0
        failed = _wait(client, bad.id)
        assert failed["status"] == "failed"
        assert failed["error"] == "scenarios: must be at least 1, got 0"


@pytest.mark.usefixtures("accounts")
def test_other_users_cannot_see_a_job(client: TestClient, engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        owner = users.get_user(db, "learner")
        job = job_store.create_job(db, "square", {"values": []}, owner.id)
        db.commit()
    login(client, "analyst")
    assert client.get(f"/api/v1/jobs/{job.id}").status_code == 404


def test_a_second_run_while_one_is_active_is_refused(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        job_store.create_job(db, "square", {}, None, key="plan-1")
        with pytest.raises(ConflictError, match="already in progress"):
            job_store.create_job(db, "square", {}, None, key="plan-1")
        job_store.create_job(db, "square", {}, None, key="plan-2")


def test_restart_marks_interrupted_jobs_failed(settings: Settings, engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        dead = job_store.create_job(db, "square", {}, None)
        dead.runner = f"{job_store.this_runner().rpartition(':')[0]}:999999999"
        dead.status = "running"
        quiet = job_store.create_job(db, "square", {}, None)
        quiet.runner = "another-host:1"
        quiet.heartbeat_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        alive = job_store.create_job(db, "square", {}, None)  # this process: still alive
        db.commit()
        ids = (dead.id, quiet.id, alive.id)
    with TestClient(create_app(settings, engine=engine, job_kinds=KINDS)):
        pass
    with Session(engine, expire_on_commit=False) as db:
        statuses = [db.get(Job, i).status for i in ids]  # type: ignore[union-attr]
        assert statuses == ["failed", "failed", "queued"]
        assert db.get(Job, ids[0]).error == job_store.INTERRUPTED  # type: ignore[union-attr]
