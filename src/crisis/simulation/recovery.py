"""Recovery over a horizon: crews repair in priority order, backups run out, service returns.

Time is counted in whole hours from the hazard (hour 0) to ``horizon`` (default 336 = 14
days), the reporting grid. Events — a repair completing, a backup running dry — take effect at
the start of the hour after they happen (times are rounded up). A compiled kernel
(:mod:`crisis.simulation.kernel`) advances each scenario from event to event, touching only
what each event changes; scenarios run in parallel.

Repairs: each sector's crews take damaged assets one at a time in a fixed priority order
(list scheduling): a free crew takes the next asset in the queue. Local crews start at hour 0;
mutual-aid crews join after their delay, shortened by the city's early-warning lead time.
When an epidemic thins the workforce, work takes longer by ``1 / mean available share``.
Damage that needs no crew (a blackout, a cyber incident) clears after its own duration.

Backups: a backup generator starts when its owner loses the power supply it bridges, and
runs for ``backup_hours`` once; after that the owner is down until power returns. A tank's
store works the same way: it starts draining when the pumps or reservoirs that refill the
tank are lost, and the tank runs dry ``backup_hours`` later unless the refill is back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse

from crisis.exceptions import SimulationError
from crisis.simulation.city import SECTORS, SERVICE_MODES, SERVICES, City
from crisis.simulation.hazards import Impact

Policy = Literal["criticality", "nearest", "sources"]
POLICIES: tuple[str, ...] = ("criticality", "nearest", "sources")
NEVER = np.float32(np.inf)


@dataclass
class Timeline:
    """What happened in ``S`` scenarios, hour by hour.

    Attributes:
        served: ``(len(SERVICES), H, S)`` population-weighted share served, Q(t).
        served_vulnerable: the same, weighted by each district's vulnerable population.
        completion: ``(N, S)`` hour from which each asset is repaired (0 = never damaged,
            ``inf`` = not repaired within the horizon).
        backup_start: ``(N, S)`` hour each backup started (``inf`` = never), when tracing.
        working: ``(H, N, S)`` state each hour, only when tracing was asked for.
        district_served: ``(len(SERVICES), H, D, S)`` per district, only when tracing.
        district_outage: ``(len(SERVICES), D, S)`` outage hours of each district (unserved
            share summed over the hours; 0 where the district takes no such service).
    """

    served: npt.NDArray[np.float32]
    served_vulnerable: npt.NDArray[np.float32]
    completion: npt.NDArray[np.float32]
    backup_start: npt.NDArray[np.float32] | None
    working: npt.NDArray[np.bool_] | None = None
    district_served: npt.NDArray[np.float32] | None = None
    district_outage: npt.NDArray[np.float32] | None = None


def priority_order(city: City, policy: str) -> npt.NDArray[np.intp]:
    """Asset indices in the order crews repair them under ``policy``.

    ``criticality``: most population served first; ``sources``: network sources, then other
    network nodes, then the rest, each by population; ``nearest``: closest to the sector's
    depot (the centre of its sources, else of its assets) first.
    """
    index = np.arange(city.n_assets)
    people = -(city.population + city.criticality)
    if policy == "criticality":
        return np.lexsort((index, people))
    if policy == "sources":
        tier = np.where(city.source, 0, np.where(city.network >= 0, 1, 2))
        return np.lexsort((index, people, tier))
    if policy == "nearest":
        dist = np.zeros(city.n_assets)
        for code in np.unique(city.sector):
            mask = city.sector == code
            depot = mask & city.source if (mask & city.source).any() else mask
            cx, cy = city.x[depot].mean(), city.y[depot].mean()
            dist[mask] = np.hypot(city.x[mask] - cx, city.y[mask] - cy)
        return np.lexsort((index, dist))
    raise SimulationError(f"field 'policy' = {policy!r}: expected one of {POLICIES}")


def repair_schedule(
    city: City, impact: Impact, policy: str = "criticality"
) -> npt.NDArray[np.float32]:
    """``(N, S)`` hour each asset is back (0 if never damaged), before rounding."""
    from crisis.simulation import flat, sweeps

    n_scen = impact.damaged.shape[1]
    done = np.zeros(impact.damaged.shape, dtype=np.float32)
    done[impact.damaged] = impact.repair_hours[impact.damaged]
    speed = np.ones(n_scen, dtype=np.float32)
    if impact.workforce is not None:
        speed = np.maximum(impact.workforce.mean(axis=0), 0.05)
    order = priority_order(city, policy)
    needs_crew = impact.crew & impact.damaged
    queued = order[needs_crew[order].any(axis=1)]
    for code in np.unique(city.sector[queued]):
        crews = city.crews_for(SECTORS[code])
        aid_at = max(0.0, crews.mutual_aid_delay_hours - city.warning_hours)
        free = np.concatenate([np.zeros(crews.local), np.full(crews.mutual_aid, aid_at)]).astype(
            np.float32
        )
        in_sector = queued[city.sector[queued] == code]
        if free.size == 0:
            done[in_sector] = np.where(needs_crew[in_sector], NEVER, done[in_sector])
            continue
        schedule: Any = sweeps.list_schedule
        with flat.LOCK:
            schedule(
                in_sector.astype(np.int64),
                needs_crew,
                impact.repair_hours,
                speed.astype(np.float64),
                free,
                done,
            )
    return done


class _Services:
    """Sparse maps from asset states to each district's served share, per service."""

    def __init__(self, city: City) -> None:
        d, n = city.n_districts, city.n_assets
        self.maps: list[sparse.csr_matrix] = []
        self.any_mode: list[bool] = []
        self.pop = np.zeros((len(SERVICES), d))
        self.vul = np.zeros((len(SERVICES), d))
        for k, name in enumerate(SERVICES):
            sel = city.link_service == k
            w = city.link_weight[sel]
            m = sparse.csr_matrix(
                (w, (city.link_district[sel], city.link_asset[sel])), shape=(d, n)
            )
            totals = np.asarray(m.sum(axis=1)).ravel()
            has = totals > 0
            scale = np.divide(1.0, totals, out=np.zeros(d), where=has)
            self.maps.append((sparse.diags(scale) @ m).tocsr())
            self.any_mode.append(SERVICE_MODES[name] == "any")
            self.pop[k] = np.where(has, city.district_population, 0.0)
            self.vul[k] = self.pop[k] * city.district_vulnerable

    def district_share(self, working: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
        """``(len(SERVICES), D, S)`` share served per district."""
        x = working.astype(np.float32)
        out = np.stack([m @ x for m in self.maps])
        for k, any_mode in enumerate(self.any_mode):
            if any_mode:
                out[k] = out[k] > 1e-9
        return np.minimum(out, 1.0).astype(np.float32)


def simulate(
    city: City,
    impact: Impact,
    horizon: int = 336,
    policy: str = "criticality",
    trace: bool = False,
) -> Timeline:
    """Run recovery for every scenario of ``impact`` (compiled, scenarios in parallel).

    The state rules are those of :mod:`crisis.simulation.kernel`: at hour 0 failures spread
    from the damage; later, backups running dry take their owners down and repaired assets
    restart together with everything their return makes possible.

    Args:
        city: The city.
        impact: Initial damage of ``S`` scenarios.
        horizon: Hours to simulate.
        policy: Repair priority (see :func:`priority_order`).
        trace: Keep the hour-by-hour asset and district states (for explanations; costs
            ``H × N × S`` booleans, so trace few scenarios).
    """
    from crisis.simulation import flat, kernel

    one_column: Any = kernel._column
    all_columns: Any = kernel.run_columns
    if horizon < 1:
        raise SimulationError(f"field 'horizon' = {horizon}: must be at least 1 hour")
    n, s = impact.damaged.shape
    done = np.ceil(repair_schedule(city, impact, policy)).astype(np.float64)
    arrays = flat.structure(city)
    k = len(SERVICES)
    served = np.empty((s, k, horizon))
    served_v = np.empty((s, k, horizon))
    gaps = np.zeros((s, k * city.n_districts))
    trace_w = np.ones((horizon, n, s), dtype=bool) if trace else None
    starts = np.full((n, s), NEVER, dtype=np.float32) if trace else None
    if trace and trace_w is not None and starts is not None:
        for col in range(s):
            start = np.empty(n)
            log = one_column(
                np.ascontiguousarray(done[:, col]),
                horizon,
                city.n_districts,
                *arrays,
                served[col],
                served_v[col],
                gaps[col],
                start,
                True,
            )
            for hour, asset, on in log:
                trace_w[hour:, asset, col] = bool(on)
            starts[:, col] = start
    else:
        with flat.LOCK:
            all_columns(done, horizon, city.n_districts, *arrays, served, served_v, gaps)
    q = np.ascontiguousarray(served.transpose(1, 2, 0), dtype=np.float32)
    q_v = np.ascontiguousarray(served_v.transpose(1, 2, 0), dtype=np.float32)
    _staff_limits(q, impact)
    _staff_limits(q_v, impact)
    district = None
    if trace_w is not None:
        services = _Services(city)
        district = np.stack([services.district_share(trace_w[t]) for t in range(horizon)], axis=1)
    done = np.where(done >= horizon, NEVER, done).astype(np.float32)
    outage = gaps.reshape(s, k, city.n_districts).transpose(1, 2, 0).astype(np.float32)
    return Timeline(q, q_v, done.astype(np.float32), starts, trace_w, district, outage)


def _staff_limits(served: npt.NDArray[np.float32], impact: Impact) -> None:
    """Health care also needs staff: Q_health ≤ workforce / demand (both per hour)."""
    h = served.shape[1]
    workforce, demand = impact.workforce, impact.health_demand
    if workforce is None and demand is None:
        return
    cap: npt.NDArray[np.float64] = np.ones(served.shape[1:])
    if workforce is not None:
        cap = cap * workforce[:h]
    if demand is not None:
        cap = cap / np.maximum(demand[:h], 1.0)
    k = SERVICES.index("health")
    served[k] *= np.minimum(cap, 1.0)
