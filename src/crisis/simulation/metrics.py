"""Resilience metrics per scenario and service, and their ensemble distributions.

From ``Q_s(t)``, the population-weighted share served of service ``s`` each hour:

- ``eoh``: resilience loss ∫(1 − Q) dt in hours — equivalent outage hours (Bruneau et al.
  2003's resilience triangle);
- ``resilience``: normalised resilience (1/T)∫Q dt over the horizon (Cimellaro et al. 2010);
- ``robustness``: min Q;
- ``t90``, ``t99``: hours until Q stays ≥ 0.9 / 0.99 (0 if it never drops; NaN if not back
  within the horizon);
- ``recovery``: recovery ratio at the horizon, (Q(T) − min Q) / (1 − min Q) (1 if no loss);
- ``people_hours``/``vulnerable_hours``: people-hours without service, all and vulnerable.

Ensembles report mean, p5, p50 and p95 of each metric (distributions of per-scenario values,
never metrics of an averaged curve), and ``annual``: the expectation weighted by each
scenario's annual probability (Ouyang et al. 2012).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from crisis.simulation.city import SERVICES, City

METRICS: tuple[str, ...] = (
    "eoh",
    "resilience",
    "robustness",
    "t90",
    "t99",
    "recovery",
    "people_hours",
    "vulnerable_hours",
)
STATISTICS: tuple[str, ...] = ("mean", "p5", "p50", "p95", "annual")


def _recovered_at(q: npt.NDArray[np.floating[Any]], level: float) -> npt.NDArray[np.float64]:
    """Hours until Q stays at or above ``level``; NaN where it is below at the horizon."""
    below = q < level - 1e-9  # (H, S)
    h = q.shape[0]
    last = h - 1 - np.argmax(below[::-1], axis=0)
    out = np.where(below.any(axis=0), last + 1, 0).astype(np.float64)
    return np.where(below[-1], np.nan, out)


def service_population(city: City) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """People (and vulnerable people) in districts that receive each service."""
    pop = np.zeros(len(SERVICES))
    vul = np.zeros(len(SERVICES))
    for k in range(len(SERVICES)):
        districts = np.unique(city.link_district[city.link_service == k])
        pop[k] = city.district_population[districts].sum()
        vul[k] = (city.district_population * city.district_vulnerable)[districts].sum()
    return pop, vul


def scenario_metrics(
    served: npt.NDArray[np.floating[Any]],
    served_vulnerable: npt.NDArray[np.floating[Any]],
    population: npt.NDArray[np.float64],
    vulnerable: npt.NDArray[np.float64],
) -> dict[str, npt.NDArray[np.float64]]:
    """Every metric of :data:`METRICS` as a ``(len(SERVICES), S)`` array.

    Args:
        served: ``(len(SERVICES), H, S)`` Q per service, hour and scenario.
        served_vulnerable: the same weighted by vulnerable population.
        population: People served by each service (weights of people-hours).
        vulnerable: Vulnerable people served by each service.
    """
    q = served.astype(np.float64)
    loss = (1.0 - q).sum(axis=1)
    lowest = q.min(axis=1)
    final = q[:, -1]
    dropped = lowest < 1.0 - 1e-9
    recovery = np.where(dropped, (final - lowest) / np.where(dropped, 1.0 - lowest, 1.0), 1.0)
    return {
        "eoh": loss,
        "resilience": q.mean(axis=1),
        "robustness": lowest,
        "t90": np.stack([_recovered_at(q[k], 0.9) for k in range(q.shape[0])]),
        "t99": np.stack([_recovered_at(q[k], 0.99) for k in range(q.shape[0])]),
        "recovery": recovery,
        "people_hours": loss * population[:, None],
        "vulnerable_hours": (1.0 - served_vulnerable.astype(np.float64)).sum(axis=1)
        * vulnerable[:, None],
    }


def summarise(
    metrics: dict[str, npt.NDArray[np.float64]], probability: npt.NDArray[np.float64]
) -> dict[str, dict[str, dict[str, float | None]]]:
    """``{service: {metric: {mean, p5, p50, p95, annual, not_recovered}}}``.

    Recovery times that run past the horizon (NaN) are left out of the statistics and
    counted in ``not_recovered`` (share of scenarios).
    """
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for k, service in enumerate(SERVICES):
        rows: dict[str, dict[str, float | None]] = {}
        for name in METRICS:
            values = metrics[name][k]
            finite = ~np.isnan(values)
            stats: dict[str, float | None] = {s: None for s in STATISTICS}
            if finite.any():
                v = values[finite]
                p5, p50, p95 = np.percentile(v, [5, 50, 95])
                stats.update(
                    mean=float(v.mean()),
                    p5=float(p5),
                    p50=float(p50),
                    p95=float(p95),
                    annual=float(probability[finite] @ v),
                )
            stats["not_recovered"] = float(1.0 - finite.mean())
            rows[name] = stats
        out[service] = rows
    return out
