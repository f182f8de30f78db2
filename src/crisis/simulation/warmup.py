"""Compile the simulation engine before its first use.

numba compiles the engine's kernels the first time they run and keeps them in its cache
(next to the package, or in numba's user cache folder), so only the first run after an
install or upgrade waits for the compiler — about a minute on a small machine. This runs
every kernel once on a small synthetic city, so that the wait falls on set-up
(``crisis sim compile``, run by ``make run``) rather than on a learner's first exercise.
"""

from __future__ import annotations

import time

import numpy as np


def compile_engine() -> float:
    """Run each kernel once on a small city (compiling what the cache lacks); seconds taken."""
    from crisis.simulation.cascade import cascade
    from crisis.simulation.ensemble import run_ensemble
    from crisis.simulation.explain import explain_scenario
    from crisis.simulation.generate import generate_city
    from crisis.simulation.hazards import HAZARD_MODELS

    started = time.perf_counter()
    city = generate_city(300, rng=0)
    results = {
        kind: run_ensemble(city, {"kind": kind}, 2, seed=0, horizon=48)
        for kind in HAZARD_MODELS
        if kind != "outages"  # given outage sets: the same kernels, and no model to sample
    }
    explain_scenario(results["flood"], city, 0, city.district_ids[0])
    cascade(city, np.zeros((city.n_assets, 2), dtype=bool))
    return time.perf_counter() - started
