"""An exercise's scenarios as a fixed sample on which plans are compared, column by column.

Scenario ``s`` is the same flood (quake, attack) under every plan: it is sampled from the
same random stream as :func:`crisis.simulation.run_ensemble` draws it, chunk by chunk, so a
result here equals the ensemble's for the same seed. Plans are judged on the same columns
(common random numbers), and a plan that changes only some columns is re-simulated on those
only — which is what makes an optimiser over hundreds of candidates affordable.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from crisis.simulation import run_ensemble
from crisis.simulation.city import SERVICES, City
from crisis.simulation.hazards import Impact, parse_hazard, sample_hazards
from crisis.simulation.metrics import service_population
from crisis.simulation.recovery import simulate

FloatArray = npt.NDArray[np.float64]
#: The ensemble's own defaults, so that a sample and an ensemble agree.
_DEFAULTS = inspect.signature(run_ensemble).parameters
HORIZON: int = int(_DEFAULTS["horizon"].default)
POLICY: str = str(_DEFAULTS["policy"].default)
CHUNK: int = int(_DEFAULTS["chunk_size"].default)


def take(impact: Impact, cols: npt.ArrayLike) -> Impact:
    """The scenarios ``cols`` of ``impact`` (in that order)."""
    c = np.asarray(cols, dtype=np.intp)

    def pick(a: Any) -> Any:
        return None if a is None else np.ascontiguousarray(a[:, c])

    return Impact(
        damaged=pick(impact.damaged),
        repair_hours=pick(impact.repair_hours),
        crew=pick(impact.crew),
        cause=pick(impact.cause),
        intensity=pick(impact.intensity),
        probability=impact.probability[c],
        workforce=pick(impact.workforce),
        health_demand=pick(impact.health_demand),
    )


def with_rows(impact: Impact, rows: npt.ArrayLike, source: Impact) -> Impact:
    """``impact`` with the asset rows ``rows`` taken from ``source`` (same scenarios)."""
    r = np.asarray(rows, dtype=np.intp)

    def swap(a: Any, b: Any) -> Any:
        out = a.copy()
        out[r] = b[r]
        return out

    return Impact(
        damaged=swap(impact.damaged, source.damaged),
        repair_hours=swap(impact.repair_hours, source.repair_hours),
        crew=swap(impact.crew, source.crew),
        cause=swap(impact.cause, source.cause),
        intensity=swap(impact.intensity, source.intensity),
        probability=impact.probability,
        workforce=impact.workforce,
        health_demand=impact.health_demand,
    )


def rows_differ(a: Impact, b: Impact) -> npt.NDArray[np.bool_]:
    """``(N, S)`` where two impacts of the same scenarios disagree on an asset."""
    return np.asarray(
        (a.damaged != b.damaged)
        | (a.crew != b.crew)
        | ((a.repair_hours != b.repair_hours) & (a.damaged | b.damaged))
    )


@dataclass
class Outcome:
    """What a plan's simulation gives for some scenarios (columns).

    Attributes:
        loss: ``(S,)`` people-hours without service (all services).
        served: ``(len(SERVICES), H, S)`` share served per service and hour.
        district_service: ``(len(SERVICES), D, S)`` people-hours without each service in
            each district.
    """

    loss: FloatArray
    served: npt.NDArray[np.float32]
    district_service: FloatArray
    completion: Any = None

    @property
    def district(self) -> FloatArray:
        """``(D, S)`` people-hours without service of each district (all services)."""
        return np.asarray(self.district_service.sum(axis=0))


class ScenarioSet:
    """``n`` scenarios of an exercise's hazards, drawn as :func:`run_ensemble` draws them.

    Args:
        hazards: The exercise's hazards (mappings).
        n: Number of scenarios.
        seed: The ensemble seed.
    """

    def __init__(self, hazards: Sequence[dict[str, Any]], n: int, seed: int) -> None:
        self.models = [parse_hazard(h, f"hazard {i + 1}") for i, h in enumerate(hazards)]
        self.n = int(n)
        self.seed = int(seed)
        n_chunks = -(-self.n // CHUNK)
        self._seeds = np.random.SeedSequence(self.seed).spawn(n_chunks)

    def impact(self, city: City) -> Impact:
        """The damage of every scenario on ``city`` (a plan's city: measures in place)."""
        parts = []
        for c, seed in enumerate(self._seeds):
            size = min(CHUNK, self.n - c * CHUNK)
            rng = np.random.default_rng(seed)
            parts.append(sample_hazards(self.models, city, size, rng, HORIZON))
        if len(parts) == 1:
            return parts[0]

        def cat(name: str) -> Any:
            values = [getattr(p, name) for p in parts]
            if any(v is None for v in values):
                if all(v is None for v in values):
                    return None
                ones = [np.ones((HORIZON, p.probability.size), np.float32) for p in parts]
                values = [o if v is None else v for v, o in zip(values, ones, strict=True)]
            return np.concatenate(values, axis=-1)

        impact = Impact(
            damaged=cat("damaged"),
            repair_hours=cat("repair_hours"),
            crew=cat("crew"),
            cause=cat("cause"),
            intensity=cat("intensity"),
            probability=np.concatenate([p.probability * p.probability.size for p in parts])
            / self.n,
            workforce=cat("workforce"),
            health_demand=cat("health_demand"),
        )
        return impact

    def run(
        self,
        city: City,
        impact: Impact,
        cols: npt.ArrayLike | None = None,
        settled: npt.ArrayLike | None = None,
    ) -> Outcome:
        """Simulate the scenarios ``cols`` (all when None) of ``impact`` on ``city``.

        Args:
            settled: ``(len(cols),)`` hour by which each scenario is expected to be over (every
                repair done, every service back, no staff shortage left), e.g. from a plan
                with less protection. The run stops at the latest of them; a scenario found
                not over by then is run again to the horizon, so the result is exact.
        """
        sub = impact if cols is None else take(impact, cols)
        width = sub.damaged.shape[1]
        k, d = len(SERVICES), city.n_districts
        if width == 0:
            return Outcome(np.zeros(0), np.ones((k, HORIZON, 0), np.float32), np.zeros((k, d, 0)))
        horizon = HORIZON
        if settled is not None:
            horizon = int(min(HORIZON, max(1, int(np.max(settled)))))
        out = self._simulate(city, sub, horizon)
        if horizon < HORIZON:
            late = ~self._over(out, sub, horizon)
            if late.any():
                again = self._simulate(city, take(sub, np.flatnonzero(late)), HORIZON)
                out = _merge(out, np.flatnonzero(late), again)
        return out

    def _simulate(self, city: City, impact: Impact, horizon: int) -> Outcome:
        timeline = simulate(city, impact, horizon=horizon, policy=POLICY)
        population, _ = service_population(city)
        served = timeline.served
        loss = ((1.0 - served.astype(np.float64)).sum(axis=1) * population[:, None]).sum(axis=0)
        if horizon < HORIZON:
            pad = np.ones((served.shape[0], HORIZON - horizon, served.shape[2]), np.float32)
            served = np.concatenate([served, pad], axis=1)
        district = _district_hours(city, timeline.district_outage)
        outcome = Outcome(np.asarray(loss, dtype=np.float64), served, district)
        outcome.completion = timeline.completion
        return outcome

    @staticmethod
    def _over(outcome: Outcome, impact: Impact, horizon: int) -> npt.NDArray[np.bool_]:
        """``(S,)`` scenarios in which nothing can change after ``horizon`` hours."""
        done = np.asarray(outcome.completion)
        repaired = ~np.any(impact.damaged & ~(done <= horizon - 1), axis=0)
        back = np.all(outcome.served[:, horizon - 1] >= 1.0 - 1e-6, axis=0)
        calm = np.ones(impact.damaged.shape[1], dtype=bool)
        for name, normal in (("workforce", 1.0), ("health_demand", 1.0)):
            values = getattr(impact, name)
            if values is not None:
                calm &= np.all(np.abs(values[horizon - 1 :] - normal) < 1e-6, axis=0)
        return np.asarray(repaired & back & calm)


def settle_hours(outcome: Outcome, impact: Impact) -> npt.NDArray[np.int64]:
    """``(S,)`` first hour from which each scenario of a run stays over (see :meth:`run`)."""
    below = np.any(outcome.served < 1.0 - 1e-6, axis=0)  # (H, S)
    h = below.shape[0]
    last = np.where(below.any(axis=0), h - np.argmax(below[::-1], axis=0), 0)
    done = np.where(impact.damaged, np.asarray(outcome.completion), 0.0)
    done = np.where(np.isfinite(done), done, h)
    hours = np.maximum(last, np.ceil(done.max(axis=0)) + 1)
    for name in ("workforce", "health_demand"):
        values = getattr(impact, name)
        if values is not None:
            odd = np.abs(values - 1.0) > 1e-6
            hours = np.maximum(
                hours, np.where(odd.any(axis=0), h - np.argmax(odd[::-1], axis=0), 0)
            )
    return np.asarray(np.minimum(hours + 1, h), dtype=np.int64)


def _merge(out: Outcome, cols: npt.NDArray[np.intp], again: Outcome) -> Outcome:
    loss, served, district = out.loss.copy(), out.served.copy(), out.district_service.copy()
    loss[cols] = again.loss
    served[:, :, cols] = again.served
    district[:, :, cols] = again.district_service
    merged = Outcome(loss, served, district)
    completion = np.asarray(out.completion).copy()
    completion[:, cols] = np.asarray(again.completion)
    merged.completion = completion
    return merged


def _district_hours(city: City, outage: Any) -> FloatArray:
    """``(K, D, S)`` people-hours without each service per district from outage hours."""
    takes = np.zeros((len(SERVICES), city.n_districts))
    takes[city.link_service, city.link_district] = 1.0
    people = takes * city.district_population[None, :]
    return np.asarray(np.asarray(outage, dtype=np.float64) * people[:, :, None])
