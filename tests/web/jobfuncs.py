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
