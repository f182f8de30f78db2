"""Shared fixtures: the demo city, and the optimiser's search kept small and in a temp cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.exercises import debrief
from crisis.simulation.city import City
from crisis.simulation.demo import load_city


@pytest.fixture(scope="session")
def city(cache_dir: Path) -> City:
    return load_city("demo", cache_dir=cache_dir)


@pytest.fixture(autouse=True)
def small_optimiser(monkeypatch: pytest.MonkeyPatch) -> None:
    """A short optimiser search, kept in memory for one test only."""
    monkeypatch.setattr(debrief, "OPTIMISER_SCENARIOS", 20)
    monkeypatch.setattr(debrief, "MARGINAL_SCENARIOS", 50)
    monkeypatch.setattr(debrief, "_memo", {})
