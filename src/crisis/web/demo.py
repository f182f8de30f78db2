"""The demonstration exercise for visitors without an account.

A visitor places measures on the map and gets a debrief, and nothing is kept: the plan goes to
a worker process, the debrief comes back into the page, and neither touches the database.
The work is bounded three ways: the exercise fixes the number of scenarios; one worker process
runs one plan at a time with a short queue (a fuller queue answers 503); and each address may
run :attr:`Settings.demo_runs_per_hour` plans per hour (more answers 429).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import multiprocessing
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from crisis.exceptions import CrisisError
from crisis.exercises import PlanError, validate_plan
from crisis.exercises.demo import demo_exercise, run_demo
from crisis.store.tables import User
from crisis.web.exercises_common import asset_kinds, catalogue, city_map, city_of, money_in
from crisis.web.i18n import gettext as _
from crisis.web.rendering import page_language, render
from crisis.web.security import client_address, csrf_protect, optional_user

log = logging.getLogger("crisis.demo")
router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

#: Plans that may wait for the demo worker besides the one it runs; more are turned away.
QUEUE = 2
#: Longest a visitor waits for a debrief before being told to try again.
WAIT_SECONDS = 120.0
#: Addresses remembered by the rate limit; the oldest are forgotten beyond this.
MAX_ADDRESSES = 10_000


class RateLimit:
    """At most ``limit`` events per ``window`` seconds per key, kept in memory only."""

    def __init__(self, limit: int, window: float = 3600.0) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """Count one event for ``key``: 0 when allowed, else seconds until the next is."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.pop(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            wait = 0.0
            if len(events) >= self.limit:
                wait = events[0] + self.window - now
            else:
                events.append(now)
            self._events[key] = events  # most recently used last
            while len(self._events) > MAX_ADDRESSES:
                self._events.pop(next(iter(self._events)))
            return wait


def address_key(address: str) -> str:
    """The rate-limit key of a client address: IPv4 as is, IPv6 by its /64 network.

    One IPv6 host usually holds a whole /64, so counting single addresses would not limit it.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class DemoRunner:
    """One worker process for demonstration runs, started on first use."""

    def __init__(self, runs_per_hour: int) -> None:
        self.limit = RateLimit(runs_per_hour)
        self.enabled = runs_per_hour > 0
        self._pool: ProcessPoolExecutor | None = None
        self._busy = 0
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the web server has threads, and a forked copy of them is unsafe.
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    async def run(self, placements: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The debrief of a checked plan, or ``None`` when the queue is full or it took too long."""
        with self._lock:
            if self._busy > QUEUE:
                return None
            self._busy += 1
            future = self._executor().submit(run_demo, placements)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), WAIT_SECONDS)
        except (TimeoutError, FutureTimeout):
            log.warning("a demonstration run took longer than %.0f s", WAIT_SECONDS)
            return None
        finally:
            with self._lock:
                self._busy -= 1

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _runner(request: Request) -> DemoRunner:
    runner: DemoRunner = request.app.state.demo
    return runner


def _play(
    request: Request,
    plan: list[dict[str, str]],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    exercise = demo_exercise()
    lang = page_language(request)
    data = {"budget": exercise.budget, "measures": catalogue(exercise, lang), "plan": plan}
    return render(
        request,
        "public/demo.html",
        {
            "exercise": exercise,
            "lang": lang,
            "map": city_map(exercise),
            "data": data,
            "error": error,
            "plan_json": json.dumps(plan),
            "scenarios": exercise.scenarios,
            "choices": [exercise.scenarios],
            "money": money_in(lang),
            "plan_action": "/demo/run",
            "enabled": _runner(request).enabled,
        },
        status_code=status_code,
    )


@router.get("/demo")
def demo_page(request: Request, user: User | None = Depends(optional_user)) -> Response:
    """The briefing and the map to plan on."""
    return _play(request, [])


@router.post("/demo/run")
async def demo_run(
    request: Request,
    plan: str = Form("[]", max_length=20_000),
    user: User | None = Depends(optional_user),
) -> Response:
    """Check the plan, run it, and answer with the debrief; nothing is stored."""
    runner = _runner(request)
    exercise = demo_exercise()
    try:
        placements = json.loads(plan)
    except ValueError:
        placements = None
    shown = _safe(placements)
    try:
        if not runner.enabled:
            raise PlanError(_("The demonstration exercise is switched off on this server."))
        if not isinstance(placements, list):
            raise PlanError(_("The plan could not be read; place your measures again."))
        checked = validate_plan(exercise, city_of(exercise), placements)
    except CrisisError as exc:
        return _play(request, shown, str(exc), 422)
    wait = runner.limit.take(address_key(client_address(request)))
    if wait > 0:
        minutes = max(1, round(wait / 60))
        message = _(
            "You have run the demonstration often in the last hour. Try again in %(n)d minutes, "
            "or create an account for the full exercises."
        ) % {"n": minutes}
        response = _play(request, shown, message, 429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    debrief = await runner.run(checked.as_list())
    if debrief is None:
        message = _("The simulator is busy with other visitors' plans. Try again in a minute.")
        response = _play(request, shown, message, 503)
        response.headers["Retry-After"] = "60"
        return response
    lang = page_language(request)
    return render(
        request,
        "public/demo_debrief.html",
        {
            "exercise": exercise,
            "lang": lang,
            "debrief": debrief,
            # The page's charts need only these; the replayed scenario stays out of the page.
            "chart_data": {k: debrief[k] for k in ("curves", "distribution", "measures")},
            "titles": {m.id: m.title.shown(lang) for m in exercise.measures},
            "assets": asset_kinds(exercise, debrief),
            "money": money_in(lang),
            "plan_json": json.dumps(checked.as_list()),
        },
    )


def _safe(placements: Any) -> list[dict[str, str]]:
    """Placements to show again after a refusal (only well-formed ones, cut to size)."""
    if not isinstance(placements, list):
        return []
    return [
        {k: str(v)[:80] for k, v in p.items() if k in ("measure", "asset")}
        for p in placements[:40]
        if isinstance(p, dict)
    ]
