"""Monte Carlo ensembles: scenarios in chunks, run serially, on processes or on Dask.

Scenarios are cut into chunks of ``chunk_size``. Every random number is addressed by the
seed, the scenario's number and the asset (see :mod:`crisis.simulation.draws`), so a
scenario's result depends only on the city, the hazards, the seed and its number: the same
seed gives the same result whichever executor — and however many workers, with whatever
chunk size — runs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import numpy as np

from crisis.exceptions import SimulationError
from crisis.simulation.city import City
from crisis.simulation.hazards import HazardModel, parse_hazard, sample_hazards
from crisis.simulation.interventions import InterventionModel, apply_plan, as_plan
from crisis.simulation.metrics import scenario_metrics, service_population
from crisis.simulation.recovery import POLICIES, Timeline, priority_order, simulate
from crisis.simulation.results import EnsembleResult

Progress = Callable[[int, int], None]
HazardsLike = HazardModel | Mapping[str, Any] | Sequence[HazardModel | Mapping[str, Any]]


def as_hazards(hazards: HazardsLike) -> list[HazardModel]:
    """One hazard or several, as models (mappings are validated)."""
    items = [hazards] if isinstance(hazards, HazardModel | Mapping) else list(hazards)
    return [
        h if isinstance(h, HazardModel) else parse_hazard(h, f"hazard[{i}]")
        for i, h in enumerate(items)
    ]


def repair_order(city: City, policy: str, hazards: Sequence[HazardModel]) -> np.ndarray:
    """The repair order an ensemble of ``hazards`` on ``city`` uses (its plan aside: a plan
    never reorders the repairs, see :func:`crisis.simulation.recovery.simulate`)."""
    return np.asarray(priority_order(city, policy, _ready(city, hazards)), dtype=np.int64)


def _ready(city: City, hazards: Sequence[HazardModel]) -> np.ndarray:
    """Hour each asset can typically be worked on under the hazards (the latest)."""
    return np.max([h.expected_ready(city) for h in hazards], axis=0)


def run_chunk(
    city: City,
    hazards: list[HazardModel],
    seed: int,
    first: int,
    n: int,
    horizon: int,
    policy: str,
    order: np.ndarray | None = None,
) -> dict[str, Any]:
    """Sample and simulate scenarios ``first … first + n − 1``; arrays per scenario."""
    impact = sample_hazards(hazards, city, n, seed, horizon, first=first)
    timeline = simulate(city, impact, horizon=horizon, policy=policy, order=order)
    population, vulnerable = service_population(city)
    metrics = scenario_metrics(timeline.served, timeline.served_vulnerable, population, vulnerable)
    return {
        "served": timeline.served,
        "served_vulnerable": timeline.served_vulnerable,
        "probability": impact.probability,
        "damaged": impact.count_damaged(),
        "district_eoh": timeline.district_outage,
        "metrics": metrics,
    }


def run_ensemble(
    city: City,
    hazard: HazardsLike,
    n_scenarios: int = 1000,
    seed: int = 0,
    interventions: Sequence[InterventionModel | Mapping[str, Any]] | None = None,
    progress: Progress | None = None,
    *,
    horizon: int = 336,
    policy: str = "topology",
    chunk_size: int = 50,
    scheduler: Any = None,
    workers: int | None = None,
) -> EnsembleResult:
    """Run an ensemble of ``n_scenarios`` scenarios of ``hazard`` on ``city``.

    Args:
        city: The city (interventions are applied to a copy).
        hazard: A hazard model or mapping (``{"kind": "flood", "return_period": 100}``), or
            several to strike together.
        n_scenarios: Number of scenarios.
        seed: Seed of the whole ensemble.
        interventions: A plan to apply first (models or mappings).
        progress: Called with (scenarios done, total) after each chunk.
        horizon: Hours simulated (336 = 14 days).
        policy: Repair priority: ``topology``, ``criticality``, ``nearest`` or ``sources``
            (the order comes from the city before the plan, so a plan never reorders
            repairs).
        chunk_size: Scenarios per chunk (it does not change the result).
        scheduler: ``None``/``"serial"``, ``"processes"``, a Dask scheduler address
            (``tcp://host:8786``) or a ``dask.distributed.Client``.
        workers: Process count for ``"processes"`` (default: CPU count).

    Returns:
        An :class:`EnsembleResult`; call ``.summary()`` for the metrics table and
        :func:`crisis.simulation.explain.explain_scenario` for causal chains.
    """
    if n_scenarios < 1:
        raise SimulationError(f"field 'scenarios' = {n_scenarios}: must be at least 1")
    if chunk_size < 1:
        raise SimulationError(f"field 'chunk_size' = {chunk_size}: must be at least 1")
    if policy not in POLICIES:
        raise SimulationError(f"field 'policy' = {policy!r}: expected one of {POLICIES}")
    if horizon < 1:
        raise SimulationError(f"field 'horizon' = {horizon}: must be at least 1 hour")
    models = as_hazards(hazard)
    plan = as_plan(interventions)
    planned = apply_plan(city, plan)
    n_chunks = -(-n_scenarios // chunk_size)
    sizes = [min(chunk_size, n_scenarios - c * chunk_size) for c in range(n_chunks)]
    order = repair_order(city, policy, models)
    args = [
        (models, seed, c * chunk_size, sizes[c], horizon, policy, order) for c in range(n_chunks)
    ]
    parts = _execute(planned, args, scheduler, workers, progress, n_scenarios)
    population, vulnerable = service_population(planned)
    return EnsembleResult(
        city=city.name,
        hazards=[h.model_dump() for h in models],
        interventions=[p.model_dump(exclude_none=True) for p in plan],
        seed=seed,
        n_scenarios=n_scenarios,
        chunk_size=chunk_size,
        horizon=horizon,
        policy=policy,
        served=np.concatenate([p["served"] for p in parts], axis=2),
        served_vulnerable=np.concatenate([p["served_vulnerable"] for p in parts], axis=2),
        # A chunk spreads its event probability over its own scenarios; spread it over all.
        probability=np.concatenate([p["probability"] * len(p["probability"]) for p in parts])
        / n_scenarios,
        damaged=np.concatenate([p["damaged"] for p in parts]),
        population=population,
        vulnerable=vulnerable,
        metrics={
            k: np.concatenate([p["metrics"][k] for p in parts], axis=1) for k in parts[0]["metrics"]
        },
        districts=list(planned.district_ids),
        district_eoh=np.concatenate([p["district_eoh"] for p in parts], axis=2),
    )


def _execute(
    city: City,
    args: list[tuple[Any, ...]],
    scheduler: Any,
    workers: int | None,
    progress: Progress | None,
    total: int,
) -> list[dict[str, Any]]:
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    if scheduler in (None, "serial"):
        parts = []
        for a in args:
            parts.append(run_chunk(city, *a))
            tick(a[3])
        return parts
    if scheduler == "processes":
        count = workers or os.cpu_count() or 1
        with ProcessPoolExecutor(count, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(run_chunk, city, *a) for a in args]
            try:
                parts = []
                for future, a in zip(futures, args, strict=True):
                    parts.append(future.result())
                    tick(a[3])
                return parts
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return _on_dask(city, args, scheduler, tick)


def _on_dask(
    city: City, args: list[tuple[Any, ...]], scheduler: Any, tick: Callable[[int], None]
) -> list[dict[str, Any]]:
    from dask.distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler) if own else scheduler
    except (OSError, ValueError, TypeError) as exc:
        raise SimulationError(f"cannot reach Dask scheduler {scheduler!r}: {exc}") from None
    try:
        # A fresh key each time: the same city scattered again right after an earlier
        # ensemble released it must not race with the scheduler forgetting that copy.
        shared = client.scatter(city, broadcast=True, hash=False)
        futures = [client.submit(run_chunk, shared, *a, pure=False) for a in args]
        index = {f.key: i for i, f in enumerate(futures)}
        parts: list[dict[str, Any] | None] = [None] * len(futures)
        try:
            for future in as_completed(futures):
                i = index[future.key]
                parts[i] = future.result()
                tick(args[i][3])
        except BaseException:
            client.cancel(futures)
            raise
        return [p for p in parts if p is not None]
    finally:
        if own:
            client.close()


def replay(result: EnsembleResult, city: City, scenario: int) -> tuple[City, Any, Timeline]:
    """Re-run one scenario of ``result`` with a full trace (for explanations).

    Returns the planned city, the scenario's impact and its traced timeline.
    """
    if not 0 <= scenario < result.n_scenarios:
        raise SimulationError(
            f"field 'scenario' = {scenario}: expected 0 … {result.n_scenarios - 1}"
        )
    models = as_hazards(result.hazards)
    planned = apply_plan(city, result.interventions)
    impact = sample_hazards(models, planned, 1, result.seed, result.horizon, first=scenario)
    order = repair_order(city, result.policy, models)
    timeline = simulate(
        planned, impact, horizon=result.horizon, policy=result.policy, trace=True, order=order
    )
    return planned, impact, timeline
