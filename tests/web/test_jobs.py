from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

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
from tests.conftest import login, tasks_run_on

KINDS = {
    "ensemble": "tests.web.jobfuncs:small_ensemble",
    "square": "tests.web.jobfuncs:square",
    "refuse": "tests.web.jobfuncs:refuse",
    "wait": "tests.web.jobfuncs:wait_for_file",
}


def _wait(client: TestClient, job_id: int, until: tuple[str, ...] = ("done", "failed")) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 600  # only a guard against a hang
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/jobs/{job_id}").json()
        if body["status"] in until:
            return body  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not reach {until}")


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


@pytest.mark.usefixtures("accounts")
def test_a_killed_worker_fails_its_job_and_the_next_job_runs(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    app = create_app(settings, engine=engine, job_kinds=KINDS)
    with TestClient(app) as client:
        login(client, "learner")
        with Session(engine, expire_on_commit=False) as db:
            owner = users.get_user(db, "learner")
            doomed = job_store.create_job(
                db, "wait", {"path": str(tmp_path / "never")}, owner.id, key="run"
            )
            db.commit()
        app.state.jobs.submit(doomed)
        body = _wait(client, doomed.id, until=("running",))
        while body["progress"] == 0:  # inside the job function, not just started
            body = _wait(client, doomed.id, until=("running",))
        worker = app.state.jobs.pool.busy()[doomed.id]
        os.kill(worker, signal.SIGKILL)

        failed = _wait(client, doomed.id)
        assert failed["status"] == "failed"
        assert "stopped unexpectedly" in failed["error"] and "SIGKILL" in failed["error"]
        # No restart: the same user starts the same kind of run again, and it completes.
        with Session(engine, expire_on_commit=False) as db:
            again = job_store.create_job(db, "square", {"values": [2]}, owner.id, key="run")
            db.commit()
        app.state.jobs.submit(again)
        done = _wait(client, again.id)
        assert done["status"] == "done" and done["result"] == {"squares": [4]}
        assert worker not in app.state.jobs.pool.busy().values()


def test_a_failed_job_stays_failed(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        job = job_store.create_job(db, "square", {}, None)
        assert job_store.fail_by_id(db, job.id, "the worker stopped")
        assert not job_store.finish(db, job, {"late": True})
        assert not job_store.start(db, job)
        db.commit()
    with Session(engine) as db:
        stored = db.get(Job, job.id)
        assert stored is not None
        assert (stored.status, stored.error, stored.result) == (
            "failed",
            "the worker stopped",
            None,
        )


_SERVER = """
import sys, time
from sqlalchemy.orm import Session
from crisis.store import jobs as job_store
from crisis.store.db import make_engine
from crisis.web.jobs import JobRunner

if __name__ == "__main__":  # workers are spawned: they import this file too
    url, path = sys.argv[1], sys.argv[2]
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        job = job_store.create_job(db, "wait", {"path": path}, None)
        db.commit()
    runner = JobRunner(url, 1, {"wait": "tests.web.jobfuncs:wait_for_file"})
    runner.submit(job)
    while job.id not in runner.pool.busy():
        time.sleep(0.05)
    print(runner.pool.busy()[job.id], flush=True)
    time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return True
    return state in {"Z", "X"}  # a zombie has stopped; only its exit status is left


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_workers_die_with_their_server(migrated_url: str, tmp_path: Path) -> None:
    if not migrated_url.startswith("sqlite"):
        pytest.skip("the server's database does not matter here")
    script = tmp_path / "server.py"
    script.write_text(_SERVER)
    root = Path(__file__).resolve().parents[2]
    server = subprocess.Popen(
        [sys.executable, str(script), migrated_url, str(tmp_path / "never")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    worker = 0
    try:
        assert server.stdout is not None
        worker = int(server.stdout.readline())
        assert not _gone(worker)
        server.kill()  # kill -9: the server cannot clean up
        server.wait(timeout=60)
        deadline = time.monotonic() + 120  # only a guard against a hang
        while not _gone(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(worker)
    finally:
        if worker and not _gone(worker):
            os.kill(worker, signal.SIGKILL)
        if server.poll() is None:
            server.kill()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()


@pytest.mark.usefixtures("accounts")
def test_a_simulation_job_runs_on_the_dask_scheduler_when_set(
    settings: Settings, engine: Engine, dask_cluster: Any, migrated_url: str
) -> None:
    if not migrated_url.startswith("sqlite"):
        pytest.skip("the database does not matter here")
    address = dask_cluster.scheduler_address
    assert address.startswith("tcp://")
    app = create_app(replace(settings, dask_scheduler=address), engine=engine, job_kinds=KINDS)
    with TestClient(app) as client:
        login(client, "learner")
        with Session(engine, expire_on_commit=False) as db:
            job = job_store.create_job(db, "ensemble", {}, users.get_user(db, "learner").id)
            db.commit()
        app.state.jobs.submit(job)
        done = _wait(client, job.id)
    assert done["status"] == "done", done["error"]
    assert done["result"] == {"scheduler": "Client", "scenarios": 20}
    assert tasks_run_on(dask_cluster, "run_chunk") >= 1  # the chunks ran on the cluster
