"""Background jobs off the request path: an in-process pool of worker processes.

A job is a database row (:mod:`crisis.store.jobs`) plus a registered *kind*: the import path
of a plain function ``fn(params: dict, progress: Callable[[float], None]) -> dict`` that does
the work (a domain function, usually). Worker processes open their own database connection,
so progress and results are visible to every web worker. When the server restarts, jobs left
queued or running by a dead worker are marked failed at start-up; nothing is lost silently.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from crisis.exceptions import CrisisError, NotFoundError
from crisis.store import jobs as job_store
from crisis.store.db import make_engine, make_sessionmaker
from crisis.store.tables import Job, User
from crisis.web.security import csrf_protect, current_user, get_db

log = logging.getLogger("crisis.jobs")

#: Job kinds of the product: kind → "module:function". Features add theirs here.
JOB_KINDS: dict[str, str] = {
    "workbench.estimate_impact": "crisis.workbench.impact:estimate_impact_job",
    "exercises.run": "crisis.exercises.debrief:run_exercise_job",
    "exercises.tabletop": "crisis.exercises.tabletop:resolve_tabletop_job",
}

_PROGRESS_INTERVAL_S = 0.5


def _resolve(target: str) -> Callable[..., dict[str, Any]]:
    module, _, name = target.partition(":")
    function: Callable[..., dict[str, Any]] = getattr(importlib.import_module(module), name)
    return function


def execute(database_url: str, job_id: int, target: str) -> str:
    """Run one job to completion in this process; returns its final status."""
    engine = make_engine(database_url)
    factory = make_sessionmaker(engine)
    try:
        with factory() as db:
            job = job_store.get_job(db, job_id)
            job_store.start(db, job)
            params = dict(job.params)
            db.commit()
        last = 0.0

        def progress(fraction: float) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last < _PROGRESS_INTERVAL_S and fraction < 1.0:
                return
            last = now
            with factory() as db:
                job_store.report_progress(db, job_store.get_job(db, job_id), fraction)
                db.commit()

        result: dict[str, Any] | None = None
        error = ""
        try:
            result = _resolve(target)(params, progress)
        except CrisisError as exc:
            error = str(exc)
        except Exception as exc:
            log.exception("job %s (%s) failed", job_id, target)
            error = f"internal error: {type(exc).__name__}: {exc}"
        with factory() as db:
            job = job_store.get_job(db, job_id)
            if result is not None:
                job_store.finish(db, job, result)
            else:
                job_store.fail(db, job, error)
            db.commit()
        return "done" if result is not None else "failed"
    finally:
        engine.dispose()


class JobRunner:
    """Submits queued jobs to a pool of ``workers`` processes, started on first use."""

    def __init__(self, database_url: str, workers: int, kinds: Mapping[str, str]) -> None:
        self.database_url = database_url
        self.workers = workers
        self.kinds = dict(kinds)
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the web server has threads, and a forked copy of them is unsafe.
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    def submit(self, job: Job) -> Future[str]:
        target = self.kinds.get(job.kind)
        if target is None:
            raise CrisisError(f"job kind {job.kind!r} is not known")
        return self._executor().submit(execute, self.database_url, job.id, target)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def submit(
    request: Request,
    db: Session,
    kind: str,
    params: dict[str, Any],
    owner: User | None,
    *,
    key: str | None = None,
) -> Job:
    """Record a job, commit, and hand it to the app's runner."""
    runner: JobRunner = request.app.state.jobs
    if kind not in runner.kinds:
        raise CrisisError(f"job kind {kind!r} is not known")
    job = job_store.create_job(db, kind, params, owner.id if owner else None, key=key)
    db.commit()
    runner.submit(job)
    return job


# --- API -------------------------------------------------------------------------------

router = APIRouter(prefix="/api/v1/jobs", dependencies=[Depends(csrf_protect)], tags=["jobs"])


class JobOut(BaseModel):
    id: int
    kind: str
    status: str
    progress: float
    error: str | None
    result: dict[str, Any] | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            progress=job.progress,
            error=job.error,
            result=job.result if job.status == "done" else None,
        )


def visible_job(db: Session, job_id: int, user: User) -> Job:
    """The job if ``user`` may see it (its owner or an admin); 404 otherwise."""
    job = db.get(Job, job_id)
    if job is None or (job.owner_id != user.id and user.role != "admin"):
        raise NotFoundError(f"no job {job_id}")
    return job


@router.get("/{job_id}", response_model=JobOut, summary="Status, progress and result of a job")
def job_status(
    job_id: int, user: User = Depends(current_user), db: Session = Depends(get_db)
) -> JobOut:
    return JobOut.of(visible_job(db, job_id, user))
