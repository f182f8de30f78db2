"""The pool of worker processes that runs background jobs, and watches over them.

A supervisor thread in the web process hands queued jobs to idle workers (spawned when
needed, at most ``size``) and waits on every worker's pipe and process sentinel at once. When
a worker dies in the middle of a job (killed, out of memory, crashed) its job is marked
failed with the reason, the worker is replaced when the next job needs one, and every other
job carries on. Workers die with their server: the kernel kills them when it goes (Linux
``PR_SET_PDEATHSIG``) and a watchdog thread in each one exits when its parent is gone.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger("crisis.jobs")

#: What a worker is told: run ``target`` for job ``id`` (``None``: stop).
Task = tuple[int, str]
#: How a worker process runs one job: ``run(job_id, target) -> status``.
Runner = Callable[[int, str], str]

_WATCHDOG_S = 0.5


def _die_with_parent(parent: int) -> None:
    """Make this process end when ``parent`` does (at once on Linux, within 0.5 s elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent went before the line above took effect
        os._exit(70)

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(_WATCHDOG_S)
        os._exit(70)

    threading.Thread(target=watch, name="crisis-watchdog", daemon=True).start()


def worker_main(
    conn: Connection, parent: int, make_runner: Callable[..., Runner], arguments: Any
) -> None:
    """Body of a worker process: run the jobs its pipe hands it, one at a time."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops us
    run = make_runner(*arguments)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        job_id, target = task
        status = run(job_id, target)
        try:
            conn.send((job_id, status))
        except (BrokenPipeError, OSError):
            break


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        cause = f"killed by {name}"
        if exitcode == -signal.SIGKILL:
            cause += ", perhaps for lack of memory"
        return cause
    return f"exit code {exitcode}"


class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.job: int | None = None


class WorkerPool:
    """Runs tasks on up to ``size`` worker processes and reports deaths.

    Args:
        size: Most worker processes at once.
        make_runner: Called once in each worker with ``arguments``; returns the function that
            runs one job there (importable by name: workers are spawned, not forked).
        arguments: Picklable arguments for ``make_runner``.
        on_death: Called in the supervisor thread with ``(job_id, reason)`` when a worker died
            while running a job.
    """

    def __init__(
        self,
        size: int,
        make_runner: Callable[..., Runner],
        arguments: tuple[Any, ...],
        on_death: Callable[[int, str], None],
    ) -> None:
        self.size = size
        self._make_runner = make_runner
        self._arguments = arguments
        self._on_death = on_death
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._queue: deque[Task] = deque()
        self._workers: list[_Worker] = []
        self._wake_r, self._wake_w = self._context.Pipe(duplex=False)
        self._thread: threading.Thread | None = None
        self._stopping = False

    # --- called from request threads ---------------------------------------------------

    def submit(self, job_id: int, target: str) -> None:
        """Queue a job; it starts as soon as a worker is free."""
        with self._lock:
            if self._stopping:
                raise RuntimeError("the job runner is shutting down")
            self._queue.append((job_id, target))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._supervise, name="crisis-jobs", daemon=True
                )
                self._thread.start()
        self._wake()

    def busy(self) -> dict[int, int]:
        """Job id → process id of the worker running it."""
        with self._lock:
            return {
                w.job: w.process.pid
                for w in self._workers
                if w.job is not None and w.process.pid is not None
            }

    def pending(self) -> list[int]:
        """Ids of the jobs waiting for a worker."""
        with self._lock:
            return [job_id for job_id, _ in self._queue]

    def shutdown(self) -> list[int]:
        """Stop every worker; returns the ids of the jobs that were queued or running."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._wake()
        if thread is not None:
            thread.join(timeout=30)
        with self._lock:
            unfinished = [w.job for w in self._workers if w.job is not None]
            unfinished += [job_id for job_id, _ in self._queue]
            self._queue.clear()
            workers, self._workers = self._workers, []
        for worker in workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        for worker in workers:
            worker.process.join(timeout=2 if worker.job is None else 0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5)
            worker.conn.close()
        with self._lock:  # ready to start again (an app's lifespan may run more than once)
            self._thread = None
            self._stopping = False
        return unfinished

    # --- the supervisor thread ---------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._wake_w.send_bytes(b".")

    def _start_worker(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=worker_main,
            args=(theirs, os.getpid(), self._make_runner, self._arguments),
            name="crisis-job-worker",
            daemon=True,
        )
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def _dispatch(self) -> None:
        with self._lock:
            while self._queue:
                idle = next((w for w in self._workers if w.job is None), None)
                if idle is None:
                    if len(self._workers) >= self.size:
                        return
                    idle = self._start_worker()
                    self._workers.append(idle)
                job_id, target = self._queue.popleft()
                try:
                    idle.conn.send((job_id, target))
                except (BrokenPipeError, OSError):
                    # Died before it got the job: put it back and let the sentinel tell.
                    self._queue.appendleft((job_id, target))
                    return
                idle.job = job_id

    def _supervise(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
            self._dispatch()
            with self._lock:
                conns = {w.conn: w for w in self._workers}
                sentinels = {w.process.sentinel: w for w in self._workers}
            ready = wait([self._wake_r, *conns, *sentinels], timeout=5)
            if self._wake_r in ready:
                with contextlib.suppress(OSError, EOFError):
                    while self._wake_r.poll():
                        self._wake_r.recv_bytes()
            for item in ready:
                if item in conns:
                    self._finished(conns[item])
            for item in ready:
                if item in sentinels:
                    self._dead(sentinels[item])

    def _finished(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                worker.conn.recv()
                with self._lock:
                    worker.job = None
        except (EOFError, OSError):
            pass  # the sentinel reports the death

    def _dead(self, worker: _Worker) -> None:
        worker.process.join(timeout=5)
        reason = _death(worker.process.exitcode)
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
            job, worker.job = worker.job, None
        worker.conn.close()
        log.warning("job worker %s stopped (%s)", worker.process.pid, reason)
        if job is not None:
            try:
                self._on_death(job, reason)
            except Exception:  # the database may be down: the restart check will catch it
                log.exception("could not mark job %s failed", job)
