"""Recovery over a horizon: crews repair in priority order, backups run out, service returns.

Time is counted in whole hours from the hazard (hour 0) to ``horizon`` (default 336 = 14
days), the reporting grid. Events — a repair completing, a backup running dry — take effect at
the start of the hour after they happen (times are rounded up). The cascade is recomputed only
for the scenarios with an event in that hour; the others keep their state.

Repairs: each sector's crews take damaged assets one at a time in a fixed priority order
(list scheduling): a free crew takes the next asset in the queue. Local crews start at hour 0;
mutual-aid crews join after their delay, shortened by the city's early-warning lead time.
When an epidemic thins the workforce, work takes longer by ``1 / mean available share``.
Damage that needs no crew (a blackout, a cyber incident) clears after its own duration.

Backups: a backup generator starts when its owner loses the power supply it bridges, and
runs for ``backup_hours`` once; after that the owner is down until power returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse

from crisis.exceptions import SimulationError
from crisis.simulation.cascade import SubCity, cascade, groups_satisfied
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
    """

    served: npt.NDArray[np.float32]
    served_vulnerable: npt.NDArray[np.float32]
    completion: npt.NDArray[np.float32]
    backup_start: npt.NDArray[np.float32] | None
    working: npt.NDArray[np.bool_] | None = None
    district_served: npt.NDArray[np.float32] | None = None


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
        crew_free = np.tile(free, (n_scen, 1))
        for asset in in_sector:
            cols = np.flatnonzero(needs_crew[asset])
            which = np.argmin(crew_free[cols], axis=1)
            end = crew_free[cols, which] + impact.repair_hours[asset, cols] / speed[cols]
            crew_free[cols, which] = end
            done[asset, cols] = end
    return done


class _Services:
    """Sparse maps from asset states to each district's served share, per service."""

    def __init__(self, city: City, keep: npt.NDArray[np.intp]) -> None:
        d, n = city.n_districts, city.n_assets
        fixed = np.ones(n, dtype=bool)
        fixed[keep] = False
        self.base: list[np.ndarray] = []
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
            m = (sparse.diags(scale) @ m).tocsc()
            self.base.append(np.asarray(m[:, fixed].sum(axis=1)).ravel())
            self.maps.append(m[:, keep].tocsr())
            self.any_mode.append(SERVICE_MODES[name] == "any")
            self.pop[k] = np.where(has, city.district_population, 0.0)
            self.vul[k] = self.pop[k] * city.district_vulnerable

    def district_share(self, working: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
        """``(len(SERVICES), D, S)`` share served per district."""
        x = working.astype(np.float32)
        out = np.stack([m @ x + b[:, None] for m, b in zip(self.maps, self.base, strict=True)])
        for k, any_mode in enumerate(self.any_mode):
            if any_mode:
                out[k] = out[k] > 1e-9
        return np.minimum(out, 1.0).astype(np.float32)

    def totals(self, share: npt.NDArray[np.float32]) -> tuple[np.ndarray, np.ndarray]:
        """Population- and vulnerable-weighted Q per service: two ``(len(SERVICES), S)``."""

        def weigh(weights: np.ndarray) -> np.ndarray:
            total = weights.sum(axis=1)
            num = np.einsum("kd,kds->ks", weights, share)
            safe = np.where(total > 0, total, 1.0)[:, None]
            return np.where(total[:, None] > 0, num / safe, 1.0)

        return weigh(self.pop), weigh(self.vul)


def simulate(
    city: City,
    impact: Impact,
    horizon: int = 336,
    policy: str = "criticality",
    trace: bool = False,
) -> Timeline:
    """Run recovery for every scenario of ``impact``.

    Only the assets that fail in some scenario even before any repair or backup (the worst
    state) can ever change, so the hour loop runs on that part alone (a :class:`SubCity`).

    Args:
        city: The city.
        impact: Initial damage of ``S`` scenarios.
        horizon: Hours to simulate.
        policy: Repair priority (see :func:`priority_order`).
        trace: Keep the hour-by-hour asset and district states (for explanations; costs
            ``H × N × S`` booleans, so trace few scenarios).
    """
    if horizon < 1:
        raise SimulationError(f"field 'horizon' = {horizon}: must be at least 1 hour")
    n, s = impact.damaged.shape
    done = np.ceil(repair_schedule(city, impact, policy))
    worst = np.ones((n, s), dtype=bool)
    for lo in range(0, s, 64):
        worst[:, lo : lo + 64] = cascade(city, done[:, lo : lo + 64] > 0)
    sub = SubCity.of(city, np.asarray(~worst.all(axis=1)))
    keep, m = sub.keep, sub.keep.size
    done_k = done[keep]
    backup = city.backup_hours[keep]
    start = np.full((m, s), NEVER, dtype=np.float32)
    local = np.flatnonzero(city.group_backup[sub.groups])
    owners = sub.owner[local]
    event = np.zeros((horizon + 1, s), dtype=bool)
    rows, cols = np.nonzero(done_k > 0)
    hours = done_k[rows, cols]
    inside = hours < horizon
    event[hours[inside].astype(np.intp), cols[inside]] = True
    event[0] = True
    services = _Services(city, keep)
    served = np.empty((len(SERVICES), horizon, s), dtype=np.float32)
    served_v = np.empty_like(served)
    current_q = np.zeros((len(SERVICES), s))
    current_v = np.zeros((len(SERVICES), s))
    working_all = np.ones((m, s), dtype=bool)
    share_all = np.ones((len(SERVICES), city.n_districts, s), dtype=np.float32)
    trace_w = np.ones((horizon, n, s), dtype=bool) if trace else None
    trace_d = np.empty((len(SERVICES), horizon, city.n_districts, s), np.float32) if trace else None
    pad = sub.n_assets - m
    for t in range(horizon):
        cols = np.flatnonzero(event[t])
        if cols.size:
            damaged = np.zeros((sub.n_assets, cols.size), dtype=bool)
            damaged[:m] = done_k[:, cols] > t
            bridged = np.zeros((sub.n_groups, cols.size), dtype=bool)
            bridged[local] = ~(start[owners][:, cols] + backup[owners, None] <= t)
            working = cascade(sub, damaged, bridged)
            if local.size:
                lost = ~groups_satisfied(sub, working)[local] & ~damaged[owners]
                fresh = lost & np.isinf(start[owners][:, cols])
                g_rows, g_cols = np.nonzero(fresh)
                assets, scen = owners[g_rows], cols[g_cols]
                start[assets, scen] = t
                ends = np.ceil(t + backup[assets]).astype(np.intp)
                inside = ends < horizon
                event[ends[inside], scen[inside]] = True
            working = working[: sub.n_assets - pad]
            share = services.district_share(working)
            q, v = services.totals(share)
            current_q[:, cols], current_v[:, cols] = q, v
            working_all[:, cols] = working
            share_all[:, :, cols] = share
        served[:, t] = current_q
        served_v[:, t] = current_v
        if trace_w is not None and trace_d is not None:
            trace_w[t, keep] = working_all
            trace_d[:, t] = share_all
    _staff_limits(served, impact)
    _staff_limits(served_v, impact)
    done = np.where(done >= horizon, NEVER, done).astype(np.float32)
    full_start = None
    if trace:
        full_start = np.full((n, s), NEVER, dtype=np.float32)
        full_start[keep] = start
    return Timeline(served, served_v, done, full_start, trace_w, trace_d)


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
