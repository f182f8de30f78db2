"""Compiled samplers of the flood and the earthquake: scenarios in parallel, sparse output.

Each sampler runs twice over the scenarios: once to count each scenario's outages, once to
write them where the counts say. Random numbers come from
:mod:`crisis.simulation.draws`, addressed by scenario and asset, so both passes see the
same numbers and assets that cannot be hit cost nothing.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from crisis.simulation.draws import ndtri, scenario_key, uniform

#: Φ(k/4) for k = 0 … 40: a uniform at or below Φ(x₀) gives a normal at or below x₀, so an
#: asset more than a few scatters above the water is ruled out without the inverse CDF.
_PHI_QUARTERS = np.array([0.5 * math.erfc(-k / 4 / math.sqrt(2.0)) for k in range(41)])


@njit(cache=True, inline="always")
def _below(u: float, x: float) -> bool:
    """``ndtri(u) <= x`` decided from the table when it can be (exact either way)."""
    if x >= 0.25:
        k = min(int(x * 4.0), 40)
        if u <= _PHI_QUARTERS[k]:
            return True
    return ndtri(u) <= x


@njit(cache=True)
def hydrograph_rise(x: float, peak: float, rise: float) -> float:
    """Hour the stage first exceeds ``x`` (it rises linearly to ``peak`` in ``rise`` h)."""
    if x <= 0.0 or rise <= 0.0:
        return 0.0
    return rise * x / peak


@njit(cache=True)
def hydrograph_fall(x: float, peak: float, rise: float, hold: float, fall: float) -> float:
    """Hour the stage is back at or below ``x`` (linear recession over ``fall`` h)."""
    end = rise + hold + fall
    if x <= 0.0:
        return end
    return rise + hold + fall * (1.0 - x / peak)


@njit(cache=True)
def _flood_scenario(
    j: int,
    key_local: np.uint64,
    key_frag: np.uint64,
    key_rep: np.uint64,
    peak: float,
    limit: float,
    rows: np.ndarray,
    thr: np.ndarray,
    elevation: np.ndarray,
    barrier: np.ndarray,
    theta: np.ndarray,
    beta: np.ndarray,
    road: np.ndarray,
    repair_median: np.ndarray,
    repair_beta: np.ndarray,
    local_sigma: float,
    passable: float,
    rise: float,
    hold: float,
    fall: float,
    write: bool,
    at: int,
    o_asset: np.ndarray,
    o_value: np.ndarray,
    o_down: np.ndarray,
    o_ready: np.ndarray,
    o_hours: np.ndarray,
    o_crew: np.ndarray,
    detail: bool,
    exposure: np.ndarray,
) -> int:
    count = 0
    for i in range(rows.shape[0]):
        if thr[i] >= limit:
            break
        a = rows[i]
        u = uniform(key_local, np.uint64(a))
        # Wet when the local rise exceeds what the barrier (or the ground) needs.
        if local_sigma > 0 and _below(u, (thr[i] - peak) / local_sigma):
            continue
        local = local_sigma * ndtri(u)
        top = elevation[a] + barrier[a] - local  # water level that overtops the barrier
        if peak <= top:
            continue
        depth = peak + local - elevation[a]
        if detail and write:
            exposure[a, j] = depth
        hit = False
        if not np.isnan(theta[a]):
            z = ndtri(uniform(key_frag, np.uint64(a)))
            hit = np.log(depth) > np.log(theta[a]) + beta[a] * z
        if hit:
            if write:
                k = at + count
                o_asset[k] = a
                o_value[k] = depth
                o_down[k] = np.ceil(hydrograph_rise(top, peak, rise))
                o_ready[k] = np.ceil(hydrograph_fall(elevation[a] - local, peak, rise, hold, fall))
                z = ndtri(uniform(key_rep, np.uint64(a)))
                o_hours[k] = repair_median[a] * np.exp(repair_beta[a] * z)
                o_crew[k] = True
            count += 1
        elif road[a]:
            wet = elevation[a] + max(barrier[a], passable) - local
            if peak > wet:
                if write:
                    k = at + count
                    o_asset[k] = a
                    o_value[k] = depth
                    o_down[k] = np.ceil(hydrograph_rise(wet, peak, rise))
                    o_ready[k] = np.ceil(hydrograph_fall(wet, peak, rise, hold, fall))
                    o_hours[k] = 0.0
                    o_crew[k] = False
                count += 1
    return count


@njit(cache=True, parallel=True)
def flood(
    seed: np.uint64,
    scenarios: np.ndarray,
    peaks: np.ndarray,
    reach: float,
    rows: np.ndarray,
    thr: np.ndarray,
    elevation: np.ndarray,
    barrier: np.ndarray,
    theta: np.ndarray,
    beta: np.ndarray,
    road: np.ndarray,
    repair_median: np.ndarray,
    repair_beta: np.ndarray,
    local_sigma: float,
    passable: float,
    rise: float,
    hold: float,
    fall: float,
    streams: np.ndarray,
    detail: bool,
    exposure: np.ndarray,
) -> tuple:
    """Outages of a flood in each scenario (see :class:`~crisis.simulation.hazards.Flood`).

    ``rows`` are the assets that can get wet, sorted by ``thr`` (ground plus barrier);
    a scenario looks only at those below its peak stage plus ``reach`` (the largest local
    scatter a draw can give). Each scenario writes into room for all its candidates, and
    the outages are then packed.
    """
    n = scenarios.shape[0]
    room = np.zeros(n + 1, dtype=np.int64)
    for j in range(n):
        room[j + 1] = room[j] + np.searchsorted(thr, peaks[j] + reach)
    total = room[n]
    o_asset = np.empty(total, dtype=np.int32)
    o_value = np.empty(total, dtype=np.float32)
    o_down = np.empty(total, dtype=np.float32)
    o_ready = np.empty(total, dtype=np.float32)
    o_hours = np.empty(total, dtype=np.float32)
    o_crew = np.empty(total, dtype=np.bool_)
    counts = np.zeros(n, dtype=np.int64)
    for j in prange(n):
        s = np.uint64(scenarios[j])
        counts[j] = _flood_scenario(
            j,
            scenario_key(seed, streams[0], s),
            scenario_key(seed, streams[1], s),
            scenario_key(seed, streams[2], s),
            peaks[j],
            peaks[j] + reach,
            rows,
            thr,
            elevation,
            barrier,
            theta,
            beta,
            road,
            repair_median,
            repair_beta,
            local_sigma,
            passable,
            rise,
            hold,
            fall,
            True,
            room[j],
            o_asset,
            o_value,
            o_down,
            o_ready,
            o_hours,
            o_crew,
            detail,
            exposure,
        )
    ptr = np.zeros(n + 1, dtype=np.int64)
    for j in range(n):
        ptr[j + 1] = ptr[j] + counts[j]
    keep = np.empty(ptr[n], dtype=np.int64)
    for j in range(n):
        for q in range(counts[j]):
            keep[ptr[j] + q] = room[j] + q
    return (
        ptr,
        o_asset[keep],
        o_value[keep],
        o_down[keep],
        o_ready[keep],
        o_hours[keep],
        o_crew[keep],
    )


@njit(cache=True)
def _quake_scenario(
    j: int,
    eta: float,
    key_intra: np.uint64,
    key_frag: np.uint64,
    key_rep: np.uint64,
    rows: np.ndarray,
    ln_pga: np.ndarray,
    intra: float,
    theta: np.ndarray,
    beta: np.ndarray,
    repair_median: np.ndarray,
    repair_beta: np.ndarray,
    write: bool,
    at: int,
    o_asset: np.ndarray,
    o_value: np.ndarray,
    o_hours: np.ndarray,
    detail: bool,
    exposure: np.ndarray,
) -> int:
    count = 0
    for i in range(rows.shape[0]):
        a = rows[i]
        eps = intra * ndtri(uniform(key_intra, np.uint64(a)))
        ln_im = ln_pga[i] + eta + eps
        if detail and write:
            exposure[a, j] = np.exp(ln_im)
        z = ndtri(uniform(key_frag, np.uint64(a)))
        if ln_im > np.log(theta[a]) + beta[a] * z:
            if write:
                k = at + count
                o_asset[k] = a
                o_value[k] = np.exp(ln_im)
                z = ndtri(uniform(key_rep, np.uint64(a)))
                o_hours[k] = repair_median[a] * np.exp(repair_beta[a] * z)
            count += 1
    return count


@njit(cache=True, parallel=True)
def earthquake(
    seed: np.uint64,
    scenarios: np.ndarray,
    etas: np.ndarray,
    rows: np.ndarray,
    ln_pga: np.ndarray,
    intra: float,
    theta: np.ndarray,
    beta: np.ndarray,
    repair_median: np.ndarray,
    repair_beta: np.ndarray,
    streams: np.ndarray,
    detail: bool,
    exposure: np.ndarray,
) -> tuple:
    """Outages of an earthquake in each scenario (PGA with scatter, lognormal fragility)."""
    n = scenarios.shape[0]
    counts = np.zeros(n + 1, dtype=np.int64)
    dummy_i = np.zeros(1, dtype=np.int32)
    dummy_f = np.zeros(1, dtype=np.float32)
    for j in prange(n):
        s = np.uint64(scenarios[j])
        counts[j + 1] = _quake_scenario(
            j,
            etas[j],
            scenario_key(seed, streams[0], s),
            scenario_key(seed, streams[1], s),
            scenario_key(seed, streams[2], s),
            rows,
            ln_pga,
            intra,
            theta,
            beta,
            repair_median,
            repair_beta,
            False,
            0,
            dummy_i,
            dummy_f,
            dummy_f,
            False,
            exposure,
        )
    ptr = np.cumsum(counts)
    total = ptr[n]
    o_asset = np.empty(total, dtype=np.int32)
    o_value = np.empty(total, dtype=np.float32)
    o_hours = np.empty(total, dtype=np.float32)
    for j in prange(n):
        s = np.uint64(scenarios[j])
        _quake_scenario(
            j,
            etas[j],
            scenario_key(seed, streams[0], s),
            scenario_key(seed, streams[1], s),
            scenario_key(seed, streams[2], s),
            rows,
            ln_pga,
            intra,
            theta,
            beta,
            repair_median,
            repair_beta,
            True,
            ptr[j],
            o_asset,
            o_value,
            o_hours,
            detail,
            exposure,
        )
    return ptr, o_asset, o_value, o_hours


@njit(cache=True)
def grouped_unique(scenario: np.ndarray, asset: np.ndarray, n_assets: int) -> bool:
    """No asset appears twice within a scenario (entries grouped by scenario)."""
    stamp = np.full(n_assets, -1, dtype=np.int64)
    for k in range(asset.shape[0]):
        if stamp[asset[k]] == scenario[k]:
            return False
        stamp[asset[k]] = scenario[k]
    return True


__all__ = ["earthquake", "flood", "grouped_unique", "hydrograph_fall", "hydrograph_rise"]
