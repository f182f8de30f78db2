"""Repository functions for background jobs: queued → running → done / failed."""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, NotFoundError
from crisis.store.tables import Job, utcnow

ACTIVE = ("queued", "running")
INTERRUPTED = "interrupted by a server restart before it finished"


def this_runner() -> str:
    """Who runs jobs submitted here: host and process id of the web worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


def create_job(
    db: Session,
    kind: str,
    params: dict[str, Any],
    owner_id: int | None = None,
    *,
    key: str | None = None,
) -> Job:
    """Record a queued job.

    Args:
        key: Optional de-duplication key: while a job with the same kind, owner and key is
            queued or running, a second one is refused (no duplicate runs).
    """
    if key is not None:
        clash = db.scalar(
            select(Job.id).where(
                Job.kind == kind,
                Job.owner_id == owner_id,
                Job.dedupe_key == key,
                Job.status.in_(ACTIVE),
            )
        )
        if clash is not None:
            raise ConflictError(f"a run of this is already in progress (job {clash})")
    job = Job(
        kind=kind,
        params=params,
        owner_id=owner_id,
        status="queued",
        runner=this_runner(),
        dedupe_key=key,
    )
    db.add(job)
    db.flush()
    return job


def get_job(db: Session, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"no job {job_id}")
    return job


def start(db: Session, job: Job) -> bool:
    """Mark a queued job running; ``False`` if it is no longer queued (failed meanwhile)."""
    result = db.execute(
        update(Job)
        .where(Job.id == job.id, Job.status == "queued")
        .values(status="running", started_at=utcnow(), heartbeat_at=utcnow())
    )
    db.refresh(job)
    return _changed(result)


def report_progress(db: Session, job: Job, fraction: float) -> None:
    db.execute(
        update(Job)
        .where(Job.id == job.id, Job.status == "running")
        .values(progress=max(0.0, min(1.0, float(fraction))), heartbeat_at=utcnow())
    )


def finish(db: Session, job: Job, result: dict[str, Any]) -> bool:
    """Record a job's result, unless it already ended (a job failed stays failed)."""
    changed = db.execute(
        update(Job)
        .where(Job.id == job.id, Job.status.in_(ACTIVE))
        .values(status="done", progress=1.0, result=result, finished_at=utcnow())
    )
    db.refresh(job)
    return _changed(changed)


def fail(db: Session, job: Job, error: str) -> bool:
    """Mark a job failed with ``error``, unless it already ended."""
    return fail_by_id(db, job.id, error, refresh=job)


def fail_by_id(db: Session, job_id: int, error: str, *, refresh: Job | None = None) -> bool:
    """:func:`fail` for a job known by its id; ``False`` if it had already ended."""
    changed = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(ACTIVE))
        .values(status="failed", error=error[:4000], finished_at=utcnow())
    )
    if refresh is not None:
        db.refresh(refresh)
    return _changed(changed)


def _changed(result: Any) -> bool:
    return bool(getattr(result, "rowcount", 0))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_interrupted(db: Session, stale_after: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Mark jobs whose runner is gone as failed; returns how many.

    A job is orphaned when its runner is a process on this host that no longer exists, or when
    it has shown no sign of life for ``stale_after`` (a runner on another host that died).
    """
    host = socket.gethostname()
    now = utcnow()
    count = 0
    for job in db.scalars(select(Job).where(Job.status.in_(ACTIVE))):
        runner_host, _, pid = (job.runner or ":").rpartition(":")
        gone = runner_host == host and pid.isdigit() and not _alive(int(pid))
        quiet = (job.heartbeat_at or job.created_at) < now - stale_after
        if gone or quiet:
            fail(db, job, INTERRUPTED)
            count += 1
    return count
