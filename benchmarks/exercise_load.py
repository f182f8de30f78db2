"""Exercise load: the optimiser's search, one learner's plan with its debrief, then ten learners.

Part 0 times the optimiser's search alone (no cache) on the flood and earthquake exercises
with ``--scenarios`` scenarios. Target: ≤ 30 s each for 500 scenarios.

Part 1 runs a three-measure plan on the flood exercise (demo city) with 500 scenarios
and its whole debrief in this process, as the background job does: first with the
optimiser's plan not yet cached (its search runs once per exercise), then warm. Target:
≤ 10 s on 2 cores.

Part 2 serves the app on loopback (a SQLite file in a temporary folder, the default two job
workers), signs in ``--learners`` learners, has each submit a plan of ``--scenarios``
scenarios at the same moment, and while the runs queue and execute keeps loading pages as
a learner would (the exercise list, the play page with its map, the job's progress) until
every debrief is back. It prints p50/p95/max page latency and when the last debrief
arrived. Every loop is bounded (``--timeout``); nothing leaves the machine.

    python benchmarks/exercise_load.py                 # --learners 10 --scenarios 500
    python benchmarks/exercise_load.py --only-optimiser
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import multiprocessing
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

PLAN = [
    {"measure": "barrier", "asset": "bus-147"},
    {"measure": "raise", "asset": "bus-140"},
    {"measure": "power-crews"},
]
PASSWORD = "benchmark-password-123"


class _Client:
    """A browser-like client on the standard library: cookies kept, redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=60) as r:
            return r.geturl(), r.read().decode("utf-8")

    def post(self, path: str, data: dict[str, str]) -> tuple[str, str]:
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(self.base + path, body, timeout=60) as r:
            return r.geturl(), r.read().decode("utf-8")

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name) or ""


def part_one(scenarios: int) -> None:
    from crisis.exercises import bundled, run_exercise
    from crisis.exercises import debrief as module
    from crisis.simulation.demo import load_city

    t0 = time.perf_counter()
    city = load_city("demo")
    print(f"demo city loaded in {time.perf_counter() - t0:.1f} s")
    flood = bundled("river-flood")
    assert flood is not None
    with tempfile.TemporaryDirectory() as cache:
        module._memo.clear()
        t0 = time.perf_counter()
        out = run_exercise(flood, PLAN, scenarios, city=city, cache_dir=Path(cache))
        cold = time.perf_counter() - t0
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = run_exercise(flood, PLAN, scenarios, city=city)
        times.append(time.perf_counter() - t0)
    warm = min(times)
    score = out["score"]
    print(
        f"one plan, {scenarios} scenarios, with debrief: {warm:.1f} s warm (best of 3), "
        f"{cold:.1f} s with the optimiser's search uncached; target 10 s "
        f"({'met' if warm <= 10 else 'missed'}); score {score['score']} (100 = the optimiser's), "
        f"beats nothing: {score['beats_nothing']}"
    )


def part_optimiser(scenarios: int) -> None:
    """The optimiser's search alone on the flood and earthquake exercises (uncached)."""
    from crisis.exercises import bundled
    from crisis.exercises.optimiser import optimise_exercise
    from crisis.simulation.demo import load_city

    city = load_city("demo")
    for exercise_id in ("river-flood", "valley-earthquake"):
        exercise = bundled(exercise_id)
        assert exercise is not None
        t0 = time.perf_counter()
        result = optimise_exercise(exercise, city, scenarios)
        took = time.perf_counter() - t0
        print(
            f"optimiser, {exercise_id}, {scenarios} scenarios: {took:.1f} s; target 30 s "
            f"({'met' if took <= 30 else 'missed'}); {len(result.placements)} placements, "
            f"EUR {result.cost:,.0f} of {exercise.budget:,.0f}; avoids "
            f"{result.benefit:,.0f} people-hours per event, {100 * result.gap:.1f} % below the "
            f"bound of every candidate at once; {result.candidates} candidates "
            f"({result.pruned} pruned by their bound), {result.evaluations} evaluations"
        )


def _serve(root: str, port: int) -> None:
    import uvicorn
    from sqlalchemy.orm import Session

    from crisis.settings import Settings
    from crisis.store import users
    from crisis.store.db import make_engine
    from crisis.store.migrate import upgrade
    from crisis.web.app import create_app

    engine = make_engine(f"sqlite:///{root}/crisis.db")
    upgrade(engine)
    with Session(engine) as db, db.begin():
        for i in range(50):
            users.add_user(db, f"learner{i}", PASSWORD, "learner")
    app = create_app(Settings(data_dir=Path(root), secret_key="benchmark-secret-0123456"), engine)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_LOGIN = threading.Lock()
#: HTTP errors seen during the load (status → count).
ERRORS: dict[int, int] = {}


def _learner(
    base: str,
    i: int,
    scenarios: int,
    start: threading.Barrier,
    timeout: float,
    latencies: list[float],
    finished: list[float],
    t_start: list[float],
) -> None:
    client = _Client(base)
    try:
        with _LOGIN:  # sign-ins one at a time: they are not what is measured
            client.get("/login")
            token = client.cookie("crisis_csrf")
            client.post(
                "/login", {"username": f"learner{i}", "password": PASSWORD, "csrf_token": token}
            )
            client.get("/exercises/river-flood/play")  # warm the map cache like a real visit
    finally:
        start.wait(timeout)
    if i == 0:
        t_start.append(time.perf_counter())
    try:
        run_url, page = client.post(
            "/exercises/river-flood/runs",
            {"plan": json.dumps(PLAN), "scenarios": str(scenarios), "csrf_token": token},
        )
    except urllib.error.HTTPError as exc:
        ERRORS[exc.code] = ERRORS.get(exc.code, 0) + 1
        return
    run_path = urllib.parse.urlsplit(run_url).path
    job = page.split('data-job-id="', 1)[1].split('"', 1)[0] if "data-job-id" in page else None
    deadline = time.monotonic() + timeout
    pages = ["/exercises", "/exercises/river-flood/play", f"/api/v1/jobs/{job}"]
    k = 0
    while job and time.monotonic() < deadline:
        path = pages[k % len(pages)]
        k += 1
        t0 = time.perf_counter()
        try:
            _url, text = client.get(path)
        except urllib.error.HTTPError as exc:
            ERRORS[exc.code] = ERRORS.get(exc.code, 0) + 1
            continue
        finally:
            latencies.append(time.perf_counter() - t0)
        if path.startswith("/api/") and json.loads(text)["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    t0 = time.perf_counter()
    client.get(run_path)  # the debrief page itself
    latencies.append(time.perf_counter() - t0)
    finished.append(time.perf_counter())


def part_two(learners: int, scenarios: int, timeout: float) -> None:
    with tempfile.TemporaryDirectory() as root:
        port = _port()
        server = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(root, port), daemon=False
        )
        server.start()
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        latencies: list[float] = []
        finished: list[float] = []
        t_start: list[float] = []
        barrier = threading.Barrier(learners)
        threads = [
            threading.Thread(
                target=_learner,
                args=(base, i, scenarios, barrier, timeout, latencies, finished, t_start),
            )
            for i in range(learners)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout + 120)
        server.terminate()
        server.join(10)
    lat = sorted(latencies) or [float("nan")]
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
    last = max(finished) - t_start[0] if finished and t_start else float("nan")
    print(
        f"{learners} learners × {scenarios} scenarios at once: {len(lat)} page loads, "
        f"p50 {statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {lat[-1] * 1000:.0f} ms; last debrief after {last:.0f} s "
        f"({len(finished)}/{learners} finished); HTTP errors: {ERRORS or 'none'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10)
    parser.add_argument("--scenarios", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--only-optimiser", action="store_true")
    args = parser.parse_args(argv)
    part_optimiser(args.scenarios)
    if args.only_optimiser:
        return 0
    if not args.skip_single:
        part_one(args.scenarios)
    part_two(args.learners, args.scenarios, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
