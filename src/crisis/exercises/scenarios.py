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
from crisis.simulation.ensemble import repair_order
from crisis.simulation.hazards import Impact, Outages, parse_hazard, sample_hazards
from crisis.simulation.metrics import service_population
from crisis.simulation.recovery import simulate

FloatArray = npt.NDArray[np.float64]
#: The ensemble's own defaults, so that a sample and an ensemble agree.
_DEFAULTS = inspect.signature(run_ensemble).parameters
HORIZON: int = int(_DEFAULTS["horizon"].default)
POLICY: str = str(_DEFAULTS["policy"].default)


def take(impact: Impact, cols: npt.ArrayLike) -> Impact:
    """The scenarios ``cols`` of ``impact`` (in that order)."""
    c = np.asarray(cols, dtype=np.intp)
    lo, hi = impact.ptr[c], impact.ptr[c + 1]
    counts = (hi - lo).astype(np.int64)
    ptr = np.zeros(c.size + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    index = np.repeat(lo - ptr[:-1], counts) + np.arange(int(ptr[-1]), dtype=np.int64)

    def pick(a: Any) -> Any:
        return None if a is None else np.ascontiguousarray(a[:, c])

    return Impact(
        n_assets=impact.n_assets,
        probability=impact.probability[c],
        ptr=ptr,
        asset=impact.asset[index],
        cause_code=impact.cause_code[index],
        value=impact.value[index],
        down=impact.down[index],
        ready=impact.ready[index],
        hours=impact.hours[index],
        needs_crew=impact.needs_crew[index],
        is_damage=impact.is_damage[index],
        workforce=pick(impact.workforce),
        health_demand=pick(impact.health_demand),
        exposure=pick(impact.exposure),
    )


def _entries(impact: Impact, keep: npt.NDArray[np.bool_]) -> dict[str, Any]:
    return {
        "scenario": impact.entry_scenario[keep],
        "asset": impact.asset[keep],
        "cause": impact.cause_code[keep],
        "intensity": impact.value[keep],
        "down": impact.down[keep],
        "ready": impact.ready[keep],
        "hours": impact.hours[keep],
        "crew": impact.needs_crew[keep],
        "damaged": impact.is_damage[keep],
    }


def with_rows(impact: Impact, rows: npt.ArrayLike, source: Impact) -> Impact:
    """``impact`` with the asset rows ``rows`` taken from ``source`` (same scenarios)."""
    chosen = np.zeros(impact.n_assets, dtype=bool)
    chosen[np.asarray(rows, dtype=np.intp)] = True
    mine = _entries(impact, ~chosen[impact.asset])
    theirs = _entries(source, chosen[source.asset])
    exposure = impact.exposure
    if exposure is not None and source.exposure is not None:
        exposure = exposure.copy()
        exposure[chosen] = source.exposure[chosen]
    return _rebuilt(impact, [mine, theirs], exposure)


def patched(
    impact: Impact, patches: Sequence[tuple[int, slice, Impact, npt.NDArray[np.intp]]]
) -> Impact:
    """``impact`` with, for each ``(row, span, source, cols)``, asset ``row`` in scenarios
    ``span`` taken from ``source``'s scenarios ``cols`` (one for one)."""
    drop = np.zeros(impact.asset.size, dtype=bool)
    added: list[dict[str, Any]] = []
    scen = impact.entry_scenario
    for row, span, source, cols in patches:
        drop |= (impact.asset == row) & (scen >= span.start) & (scen < span.stop)
        where = np.full(source.n_scenarios, -1, dtype=np.int64)
        where[np.asarray(cols, dtype=np.intp)] = np.arange(span.start, span.stop)
        keep = (source.asset == row) & (where[source.entry_scenario] >= 0)
        entries = _entries(source, keep)
        entries["scenario"] = where[source.entry_scenario[keep]]
        added.append(entries)
    exposure = impact.exposure
    if exposure is not None:
        exposure = exposure.copy()
        for row, span, source, cols in patches:
            if source.exposure is not None:
                exposure[row, span] = source.exposure[row, np.asarray(cols, dtype=np.intp)]
    return _rebuilt(impact, [_entries(impact, ~drop), *added], exposure)


def _rebuilt(impact: Impact, parts: list[dict[str, Any]], exposure: Any) -> Impact:
    """An impact of ``impact``'s scenarios from outage entries gathered in ``parts``."""
    columns = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((columns["asset"], columns["scenario"]))
    outages = Outages(
        **{k: v[order] for k, v in columns.items()},
        probability=impact.probability,
        workforce=impact.workforce,
        health_demand=impact.health_demand,
        exposure=exposure,
    )
    return Impact.from_outages(impact.n_assets, outages)


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
        base: The city before any plan, whose repair order every plan keeps (as in
            :func:`run_ensemble`); ``None`` lets each city use its own.
    """

    def __init__(
        self, hazards: Sequence[dict[str, Any]], n: int, seed: int, base: City | None = None
    ) -> None:
        self.models = [parse_hazard(h, f"hazard {i + 1}") for i, h in enumerate(hazards)]
        self.n = int(n)
        self.seed = int(seed)
        #: The repair order of the city before any plan, as the ensemble keeps it.
        self.order = None if base is None else repair_order(base, POLICY, self.models)

    def impact(self, city: City) -> Impact:
        """The damage of every scenario on ``city`` (a plan's city: measures in place)."""
        # Scenario j is drawn from the seed and its number alone, so the whole sample at once
        # is the ensemble's, chunk by chunk.
        return sample_hazards(self.models, city, self.n, self.seed, HORIZON)

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
        timeline = simulate(city, impact, horizon=horizon, policy=POLICY, order=self.order)
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
