"""Recovery over a horizon: crews repair in priority order, stores run down, service returns.

Time is counted in whole hours from the hazard (hour 0) to ``horizon`` (default 336 = 14
days), the reporting grid. Events — an outage beginning or ending, a store running empty, a
fuel delivery — take effect at the start of the hour after they happen (times are rounded
up). A compiled kernel (:mod:`crisis.simulation.kernel`) schedules each scenario's repairs
(:mod:`crisis.simulation.schedule`) and then advances it from event to event, touching only
what each event changes; scenarios run in parallel.

Repairs: each sector's crews take damaged assets one at a time in the policy's priority
order (list scheduling): a free crew takes the next asset in the queue, travels to it on the
road network once a road from its depot is open, waits for a flooded asset to dry, works
and travels back. Local crews start at hour 0; mutual-aid crews join after their delay,
shortened by the city's early-warning lead time. When an epidemic thins the workforce, work
takes longer by ``1 / mean available share``. Outages that need no crew (a blackout, a
cyber incident, a flooded road) end by themselves.

Stores: a generator, a battery or a tank keeps its owner running while a supply it bridges
is lost, one hour of its ``backup_hours`` per hour; batteries and tanks refill while their
supply runs (in ``refill_hours`` from empty), generators when fuel is delivered (see
:class:`~crisis.simulation.city.Fuel`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from crisis.exceptions import SimulationError
from crisis.simulation.city import SERVICES, City
from crisis.simulation.hazards import Impact

POLICIES: tuple[str, ...] = ("topology", "criticality", "nearest", "sources")
NEVER = np.float32(np.inf)


@dataclass
class Timeline:
    """What happened in ``S`` scenarios, hour by hour.

    Attributes:
        served: ``(len(SERVICES), H, S)`` population-weighted share served, Q(t).
        served_vulnerable: the same, weighted by each district's vulnerable population.
        impact: The outages simulated.
        up: Hour each outage of ``impact`` ends (``inf``: not within the horizon).
        working: ``(H, N, S)`` state each hour, only when tracing was asked for.
        district_served: ``(len(SERVICES), H, D, S)`` per district, only when tracing.
        district_outage: ``(len(SERVICES), D, S)`` outage hours of each district (unserved
            share summed over the hours; 0 where the district takes no such service).
        stores: Per scenario, when tracing, the store events ``(hour, asset, kind, hours
            left)`` with kind 1 = drain starts, 2 = supply back, 3 = fuel delivered,
            4 = empty.
    """

    served: npt.NDArray[np.float32]
    served_vulnerable: npt.NDArray[np.float32]
    impact: Impact
    up: npt.NDArray[np.float64]
    horizon: int
    working: npt.NDArray[np.bool_] | None = None
    district_served: npt.NDArray[np.float32] | None = None
    district_outage: npt.NDArray[np.float32] | None = None
    stores: list[list[tuple[int, int, int, float]]] = field(default_factory=list)

    @property
    def completion(self) -> npt.NDArray[np.float32]:
        """``(N, S)`` hour each asset is back from its outage (0 = never out, ``inf`` = not
        back within the horizon)."""
        imp = self.impact
        back = np.ceil(self.up)
        back = np.where(back >= self.horizon, np.inf, back)
        out = np.zeros(imp.shape, dtype=np.float32)
        out[imp.asset, imp.entry_scenario] = back
        return out

    @property
    def backup_start(self) -> npt.NDArray[np.float32]:
        """``(N, S)`` hour each store first started to drain (``inf``: never), when traced."""
        out = np.full(self.impact.shape, np.inf, dtype=np.float32)
        for j, events in enumerate(self.stores):
            for hour, asset, kind, _ in reversed(events):
                if kind == 1:
                    out[asset, j] = hour
        return out


def priority_order(
    city: City, policy: str, ready: npt.NDArray[np.float64] | None = None
) -> npt.NDArray[np.intp]:
    """Asset indices in the order crews repair them under ``policy``.

    ``topology`` (default): assets that can be worked on soonest first (``ready``: the
    hour a hazard typically lets crews at each asset, in blocks of :data:`READY_BLOCK`
    hours — a crew waiting for a flooded substation to dry is a crew not repairing a dry
    one), then the most people-services lost per hour of repair when the asset alone
    fails — its own service and everything that depends on it downstream, through
    networks and dependency groups, backups aside (Smith's rule) — so a zero-population
    substation that feeds a pumping station and a hospital comes before a busy leaf;
    ``criticality``: most population served by the asset itself first; ``sources``:
    network sources, then other network nodes, then the rest, each by population;
    ``nearest``: closest to the sector's depot (the centre of its sources, else of its
    assets) first. Ties go to the lower index.
    """
    index = np.arange(city.n_assets)
    people = -(city.population + city.criticality)
    if policy == "topology":
        rate = downstream_loss(city) / np.maximum(city.repair_median, 1e-9)
        block = np.zeros(city.n_assets) if ready is None else np.floor(ready / READY_BLOCK)
        return np.lexsort((index, people, -rate, block))
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


#: Hours of a block of readiness in the topology policy.
READY_BLOCK = 12.0


_LOSSES: dict[int, tuple[Any, npt.NDArray[np.float64]]] = {}


def downstream_loss(city: City) -> npt.NDArray[np.float64]:
    """``(N,)`` people-services lost when each asset alone fails (backups aside).

    A district of ``p`` people losing a share ``x`` of a service counts ``p·x``; summed
    over services and districts. Computed once per city object with the compiled cascade.
    """
    import numba

    from crisis.simulation import flat, sweeps

    key = id(city)
    cached = _LOSSES.get(key)
    if cached is not None and cached[0]() is city:
        return cached[1]
    import weakref

    st = flat.structure(city)
    no_stores = st._replace(store_kind=np.zeros_like(st.store_kind))
    loss = np.zeros(city.n_assets)
    sweeps.single_losses(no_stores, city.n_districts, loss, numba.get_num_threads())
    _LOSSES[key] = (weakref.ref(city), loss)
    return loss


def ranks(order: npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
    """Position of each asset in ``order``."""
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return rank


def simulate(
    city: City,
    impact: Impact,
    horizon: int = 336,
    policy: str = "topology",
    trace: bool = False,
    *,
    order: npt.NDArray[np.intp] | None = None,
) -> Timeline:
    """Run recovery for every scenario of ``impact`` (compiled, scenarios in parallel).

    Args:
        city: The city.
        impact: Outages of ``S`` scenarios.
        horizon: Hours to simulate.
        policy: Repair priority (see :func:`priority_order`).
        trace: Keep the hour-by-hour asset and district states (for explanations; costs
            ``H × N × S`` booleans, so trace few scenarios).
        order: A repair order to use instead of the policy's (an ensemble passes the order
            of the city before its plan, so that a plan never reorders the repairs).
    """
    import numba

    from crisis.simulation import flat, kernel

    if horizon < 1:
        raise SimulationError(f"field 'horizon' = {horizon}: must be at least 1 hour")
    if policy not in POLICIES:
        raise SimulationError(f"field 'policy' = {policy!r}: expected one of {POLICIES}")
    n, s = impact.shape
    if n != city.n_assets:
        raise SimulationError(f"impact has {n} assets, the city {city.n_assets}")
    st = flat.structure(city)
    rank = ranks(priority_order(city, policy) if order is None else np.asarray(order))
    local, aid, aid_at = flat.sector_crews(city)
    speed = np.ones(s)
    if impact.workforce is not None:
        speed = np.maximum(impact.workforce.mean(axis=0), 0.05).astype(np.float64)
    fuel_first = float(city.fuel.first_hours) if city.fuel is not None else 0.0
    fuel_every = float(city.fuel.interval_hours) if city.fuel is not None else 0.0
    k = len(SERVICES)
    d = city.n_districts
    use_flow = bool(st.cap_service[0] >= 0 and np.isfinite(st.f_capacity).any())
    # (S, H): one contiguous row per scenario, so that the traced and the ensemble runs
    # pass the same array types and share one compiled hour loop.
    demand = np.ones((s, horizon))
    staff = np.ones((s, horizon))
    for name, given in (("health_demand", impact.health_demand), ("workforce", impact.workforce)):
        if given is not None and given.shape[0] < horizon:
            raise SimulationError(
                f"impact field '{name}' covers {given.shape[0]} hours; the run needs {horizon}"
            )
    if impact.health_demand is not None:
        demand = np.ascontiguousarray(impact.health_demand[:horizon].T, dtype=np.float64)
    if impact.workforce is not None:
        staff = np.ascontiguousarray(impact.workforce[:horizon].T, dtype=np.float64)
    served = np.empty((s, k, horizon))
    served_v = np.empty((s, k, horizon))
    gaps = np.zeros((s, k * d))
    up = np.empty(impact.asset.size)
    args = (
        impact.asset.astype(np.int64),
        impact.down.astype(np.float64),
        impact.ready.astype(np.float64),
        impact.hours.astype(np.float64),
        impact.needs_crew,
        rank,
        local,
        aid,
        aid_at,
    )
    trace_w = None
    district = None
    stores: list[list[tuple[int, int, int, float]]] = []
    if trace:
        trace_w = np.ones((horizon, n, s), dtype=bool)
        district = np.empty((k, horizon, d, s), dtype=np.float32)
        one: Any = kernel.run_traced
        shares = np.empty((horizon, k * d))
        for j in range(s):
            lo, hi = int(impact.ptr[j]), int(impact.ptr[j + 1])
            reach = np.zeros(n)
            with flat.LOCK:
                flips, events = one(
                    st,
                    *(a[lo:hi] for a in args[:5]),
                    *args[5:],
                    float(speed[j]),
                    fuel_first,
                    fuel_every,
                    horizon,
                    d,
                    demand[j],
                    staff[j],
                    use_flow,
                    up[lo:hi],
                    served[j],
                    served_v[j],
                    gaps[j],
                    shares,
                    reach,
                )
            district[:, :, :, j] = shares.reshape(horizon, k, d).transpose(1, 0, 2)
            for hour, asset, on in flips:
                trace_w[hour:, asset, j] = bool(on)
            stores.append(list(events))
    else:
        with flat.LOCK:  # a parallel kernel (numba's fallback threading layer)
            kernel.run_all(
                st,
                impact.ptr,
                *args,
                speed,
                fuel_first,
                fuel_every,
                horizon,
                d,
                demand,
                staff,
                use_flow,
                up,
                served,
                served_v,
                gaps,
                numba.get_num_threads(),
            )
    q = np.ascontiguousarray(served.transpose(1, 2, 0), dtype=np.float32)
    q_v = np.ascontiguousarray(served_v.transpose(1, 2, 0), dtype=np.float32)
    if not use_flow:
        _staff_limits(q, impact)
        _staff_limits(q_v, impact)
    outage = gaps.reshape(s, k, d).transpose(1, 2, 0).astype(np.float32)
    return Timeline(q, q_v, impact, up, horizon, trace_w, district, outage, stores)


def _staff_limits(served: npt.NDArray[np.float32], impact: Impact) -> None:
    """Health care also needs staff: Q_health ≤ workforce / demand (both per hour).

    For a city whose hospitals have no stated capacity; with capacities, the flow in the
    kernel already weighs demand against staffed capacity, hospital by hospital.
    """
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
