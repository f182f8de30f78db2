"""Job functions used by the job tests (imported by worker processes by name)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crisis.exceptions import SimulationError


def square(params: dict[str, Any], progress: Callable[[float], None]) -> dict[str, Any]:
    values = params["values"]
    out = []
    for i, v in enumerate(values):
        out.append(v * v)
        progress((i + 1) / len(values))
    return {"squares": out}


def refuse(params: dict[str, Any], progress: Callable[[float], None]) -> dict[str, Any]:
    raise SimulationError("scenarios: must be at least 1, got 0")


def wait_for_file(params: dict[str, Any], progress: Callable[[float], None]) -> dict[str, Any]:
    """Report a little progress, then wait until the file ``params["path"]`` exists."""
    import time
    from pathlib import Path

    progress(0.1)
    path = Path(params["path"])
    deadline = time.monotonic() + 600  # a bound for a test that forgets to end it
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
        progress(0.2)
    return {"waited": True}


def small_ensemble(params: dict[str, Any], progress: Callable[[float], None]) -> dict[str, Any]:
    """A 20-scenario flood ensemble on a small generated city, wherever ``scheduler`` says."""
    from crisis.simulation import generate_city, run_ensemble

    city = generate_city(200, rng=3)
    result = run_ensemble(
        city, {"kind": "flood", "return_period": 100}, 20, seed=1, scheduler=params["scheduler"]
    )
    return {"scheduler": type(params["scheduler"]).__name__, "scenarios": result.n_scenarios}
