"""Background jobs off the request path: a supervised pool of worker processes.

A job is a database row (:mod:`crisis.store.jobs`) plus a registered *kind*: the import path
of a plain function ``fn(params: dict, progress: Callable[[float], None]) -> dict`` that does
the work (a domain function, usually). Before the call the runner adds two entries to
``params`` (never stored, and taking the place of any a request put there):
``cache_dir`` (the installation's cache folder, a :class:`~pathlib.Path`) and ``scheduler``
(a ``dask.distributed.Client`` connected to ``CRISIS_DASK_SCHEDULER``, or ``None``), for the
simulator's ensembles.

Worker processes open their own database connection, so progress and results are visible to
every web worker. A worker that dies fails its job with the reason and is replaced
(:mod:`crisis.web.workers`); when the server stops or restarts, jobs it left unfinished are
marked failed; a job that ended stays ended. Nothing is lost silently.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from crisis.exceptions import CrisisError, NotFoundError, SimulationError
from crisis.store import jobs as job_store
from crisis.store.db import make_engine, make_sessionmaker
from crisis.store.tables import Job, User
from crisis.web.params import Id
from crisis.web.security import csrf_protect, current_user, get_db
from crisis.web.workers import WorkerPool

log = logging.getLogger("crisis.jobs")

#: Job kinds of the product: kind → "module:function". Features add theirs here.
JOB_KINDS: dict[str, str] = {
    "workbench.estimate_impact": "crisis.workbench.impact:estimate_impact_job",
    "exercises.run": "crisis.exercises.debrief:run_exercise_job",
    "exercises.tabletop": "crisis.exercises.tabletop:resolve_tabletop_job",
}

_PROGRESS_INTERVAL_S = 0.5
#: Reason given for jobs that a stopping server leaves unfinished.
STOPPED = "the server stopped before this job finished; start it again"


def _resolve(target: str) -> Callable[..., dict[str, Any]]:
    module, _, name = target.partition(":")
    function: Callable[..., dict[str, Any]] = getattr(importlib.import_module(module), name)
    return function


def _connect(scheduler: str | None) -> Any:
    if not scheduler:
        return None
    from dask.distributed import Client

    try:
        return Client(scheduler, timeout=30)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SimulationError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None


def execute(
    factory: sessionmaker[Session],
    job_id: int,
    target: str,
    *,
    cache_dir: Path | None = None,
    scheduler: str | None = None,
) -> str:
    """Run one job to completion in this process; returns its final status."""
    with factory() as db:
        job = job_store.get_job(db, job_id)
        if not job_store.start(db, job):
            db.commit()
            return job.status  # failed (or ended) before it could start
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
    client = None
    try:
        client = _connect(scheduler)
        params.update(cache_dir=cache_dir, scheduler=client)
        result = _resolve(target)(params, progress)
    except CrisisError as exc:
        error = str(exc)
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, target)
        error = f"internal error: {type(exc).__name__}: {exc}"
    finally:
        if client is not None:
            client.close()
    with factory() as db:
        job = job_store.get_job(db, job_id)
        if result is not None:
            job_store.finish(db, job, result)
        else:
            job_store.fail(db, job, error)
        db.commit()
        return job.status


def _worker_runner(
    database_url: str, cache_dir: str | None, scheduler: str | None
) -> Callable[[int, str], str]:
    """In a worker process: one engine for all its jobs, and the function that runs one."""
    factory = make_sessionmaker(make_engine(database_url))
    cache = Path(cache_dir) if cache_dir else None

    def run(job_id: int, target: str) -> str:
        try:
            return execute(factory, job_id, target, cache_dir=cache, scheduler=scheduler)
        except Exception:  # the database went away: the job stays for the restart check
            log.exception("job %s could not be recorded", job_id)
            return "unknown"

    return run


class JobRunner:
    """Hands queued jobs to a supervised pool of ``workers`` processes, started on first use.

    Args:
        database_url: Where the workers find the jobs.
        workers: Most jobs running at once.
        kinds: Job kind → ``"module:function"``.
        cache_dir: Folder for derived data kept between jobs.
        scheduler: Address of a Dask scheduler for the simulator's ensembles, if any.
    """

    def __init__(
        self,
        database_url: str,
        workers: int,
        kinds: Mapping[str, str],
        *,
        cache_dir: Path | None = None,
        scheduler: str | None = None,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.kinds = dict(kinds)
        self._factory: sessionmaker[Session] | None = None
        self.pool = WorkerPool(
            workers,
            _worker_runner,
            (database_url, str(cache_dir) if cache_dir else None, scheduler),
            self._worker_died,
        )

    def _sessions(self) -> sessionmaker[Session]:
        if self._factory is None:
            self._factory = make_sessionmaker(make_engine(self.database_url))
        return self._factory

    def _fail(self, job_ids: list[int], reason: str) -> None:
        with self._sessions()() as db:
            for job_id in job_ids:
                job_store.fail_by_id(db, job_id, reason)
            db.commit()

    def _worker_died(self, job_id: int, cause: str) -> None:
        self._fail(
            [job_id],
            f"the worker process running this job stopped unexpectedly ({cause}); start it again",
        )

    def submit(self, job: Job) -> None:
        """Queue ``job`` (already committed) for the next free worker."""
        target = self.kinds.get(job.kind)
        if target is None:
            raise CrisisError(f"job kind {job.kind!r} is not known")
        self.pool.submit(job.id, target)

    def shutdown(self) -> None:
        """Stop the workers; jobs still queued or running are failed, saying why."""
        unfinished = self.pool.shutdown()
        if unfinished:
            try:
                self._fail(unfinished, STOPPED)
            except Exception:  # the restart check will mark them
                log.exception("could not mark %d unfinished job(s) failed", len(unfinished))
        if self._factory is not None:
            bind = self._factory.kw.get("bind")
            if bind is not None:
                bind.dispose()


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
    job_id: Id, user: User = Depends(current_user), db: Session = Depends(get_db)
) -> JobOut:
    return JobOut.of(visible_job(db, job_id, user))
