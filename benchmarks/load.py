"""Fifty people using CRISIS at once: latency percentiles, throughput and errors.

A server is started on loopback (uvicorn in its own process, SQLite in a temporary data
dir, the bundled catalogue and demo cohort). Simulated users sign in at ``--ramp`` per
second, then browse the main pages and the JSON API with a pause between clicks, for
``--duration`` seconds. Every request counts, the sign-ins included; an error is a status
of 500 or more, a refused sign-in, or a failed connection. Printed: p50, p95, p99 and the
slowest request, requests per second, errors; and the machine's load average before and
after, since the figures mean little on a machine that is busy with something else.

The target is p95 ≤ 100 ms with no error. Run from the repository root::

    python benchmarks/load.py                  # --users 50 --ramp 10 --duration 120
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx

PASSWORD = "load-test-password-1"
PAGES = (
    "/",
    "/learning",
    "/learning/profile",
    "/learning/path",
    "/competences",
    "/exercises",
    "/api/v1/me",
    "/api/v1/learning/profile",
    "/api/v1/learning/gaps",
    "/api/v1/competences/framework",
    "/api/v1/competences/curriculum",
)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    sign_ins: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def note(self, started: float, what: str, status: int | None) -> None:
        elapsed = time.perf_counter() - started
        self.latencies.append(elapsed)
        if what == "POST /login":
            self.sign_ins.append(elapsed)
        if status is None or status >= 500:
            self.errors.append(f"{what}: {status}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(root: Path, users: int) -> None:
    """A migrated database with the demo cohort and ``users`` learner accounts."""
    from sqlalchemy.orm import Session

    from crisis.accounts import hash_password
    from crisis.store import learning
    from crisis.store.db import make_engine
    from crisis.store.migrate import upgrade
    from crisis.store.tables import User

    engine = make_engine(f"sqlite:///{root / 'crisis.db'}")
    upgrade(engine)
    hashed = hash_password(PASSWORD)
    with Session(engine) as db, db.begin():
        teacher = User(username="teacher", password_hash=hashed, role="instructor")
        db.add(teacher)
        db.flush()
        learning.seed_demo_cohort(db, teacher)
        for i in range(users):
            db.add(User(username=f"user{i:03d}", password_hash=hashed, role="learner"))
    engine.dispose()


async def _user(
    name: str, url: str, start: float, stop: float, tally: Tally, rng: random.Random
) -> None:
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        try:
            t0 = time.perf_counter()
            page = await client.get("/login")
            tally.note(t0, "GET /login", page.status_code)
            form = {
                "username": name,
                "password": PASSWORD,
                "csrf_token": client.cookies["crisis_csrf"],
            }
            t0 = time.perf_counter()
            answer = await client.post("/login", data=form)
            tally.note(t0, "POST /login", answer.status_code)
            if answer.status_code != 303:
                tally.errors.append(f"{name}: sign-in answered {answer.status_code}")
                return
            while time.monotonic() < stop:
                path = rng.choice(PAGES)
                t0 = time.perf_counter()
                response = await client.get(path)
                tally.note(t0, f"GET {path}", response.status_code)
                await asyncio.sleep(rng.uniform(0.5, 1.5))  # reading the page
        except httpx.HTTPError as exc:
            tally.errors.append(f"{name}: {type(exc).__name__}: {exc}")


async def _run(url: str, users: int, ramp: float, duration: float) -> Tally:
    tally = Tally()
    now = time.monotonic()
    stop = now + duration
    rng = random.Random(1)
    await asyncio.gather(
        *(
            _user(f"user{i:03d}", url, now + i / ramp, stop, tally, random.Random(rng.random()))
            for i in range(users)
        )
    )
    return tally


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--ramp", type=float, default=10.0, help="sign-ins per second")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of browsing")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="crisis-load-"))
    _prepare(root, args.users)
    port = _free_port()
    env = {
        **os.environ,
        "CRISIS_DATA_DIR": str(root),
        "CRISIS_DATABASE_URL": f"sqlite:///{root / 'crisis.db'}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "crisis.web.main:build", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--workers", str(args.workers), "--log-level",
         "warning"],
        env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                print("the server did not start")
                return 1
            time.sleep(0.2)
        for path in PAGES:  # warm the caches of the first worker (catalogue, templates)
            httpx.get(f"{url}{path}")
        load_before = os.getloadavg()
        started = time.monotonic()
        tally = asyncio.run(_run(url, args.users, args.ramp, args.duration))
        elapsed = time.monotonic() - started
        load_after = os.getloadavg()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(root, ignore_errors=True)

    ms = sorted(x * 1000 for x in tally.latencies)
    print(
        f"{args.users} users, sign-ins at {args.ramp:g}/s, {args.duration:g} s of browsing, "
        f"{args.workers} server worker(s), SQLite; {os.cpu_count()} CPUs"
    )
    print(
        f"requests {len(ms)}, {len(ms) / elapsed:.1f}/s; errors {len(tally.errors)}; "
        f"p50 {_percentile(ms, 50):.0f} ms, p95 {_percentile(ms, 95):.0f} ms, "
        f"p99 {_percentile(ms, 99):.0f} ms, max {ms[-1]:.0f} ms"
    )
    signs = sorted(x * 1000 for x in tally.sign_ins)
    pages = sorted(x * 1000 for x in tally.latencies if x not in set(tally.sign_ins))
    if signs and pages:
        print(
            f"  sign-ins (password check included): p50 {_percentile(signs, 50):.0f} ms, "
            f"p95 {_percentile(signs, 95):.0f} ms; pages and API after sign-in: "
            f"p50 {_percentile(pages, 50):.0f} ms, p95 {_percentile(pages, 95):.0f} ms"
        )
    print(
        "load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
            *load_before, *load_after
        )
    )
    for error in tally.errors[:10]:
        print("  error:", error)
    target = _percentile(ms, 95) <= 100 and not tally.errors
    print("target (p95 ≤ 100 ms, no error):", "met" if target else "not met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
