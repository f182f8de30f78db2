"""The compiled hour loop: one scenario at a time, changing only what an event touches.

Each hour ``t`` with an event (the tests hold a plain-Python version of the same rules):

1. fuel deliveries reach the generators a road from a depot reaches by then;
2. outages that begin at ``t`` take their assets out; stores that are empty at ``t`` stop
   their owners if a group they bridged still has no running member; failures spread (the
   largest consistent state below the one before);
3. outages that end at ``t`` (a repair done, the water gone, a blackout over) let their
   assets restart, with everything their return makes possible (the smallest consistent
   state above);
4. each store drains one hour while a group it bridges has no running member, and refills
   otherwise (see :mod:`crisis.simulation.spread`);
5. service shares change for the districts whose assets changed; Q(t) is recorded.

Hours without an event repeat the hour before. Work per event is proportional to what
changes (see :mod:`crisis.simulation.spread` for how connectivity is kept).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types

from crisis.simulation.flat import STORE_FUEL, STORE_NONE, Structure
from crisis.simulation.schedule import crews, new_scratch
from crisis.simulation.spread import (
    A_N,
    DRAINING,
    O_N,
    REFILLING,
    SD_N,
    STEADY,
    State,
    _flip,
    _level,
    _share,
    _touch,
    capacity_flow,
    flow_scratch,
    new_state,
    reset,
    restart,
    spread_down,
)

INF = np.inf
#: Store events in a trace: drain starts, supply back, fuel delivered, owner stopped empty.
S_DRAIN, S_BACK, S_FUEL, S_EMPTY = 1, 2, 3, 4


@njit(cache=True)
def _grow(a: np.ndarray, size: int) -> np.ndarray:
    if size < a.shape[0]:
        return a
    new = np.empty(max(2 * a.shape[0], 16), dtype=a.dtype)
    new[: a.shape[0]] = a
    return new


# Counters and flags are declared (``locals``) so that numba types them as plain int64 and
# bool, never as compile-time literals: a literal argument compiles a second copy of
# every helper it reaches.
@njit(cache=True, locals={"tail": types.int64, "n_ex": types.int64, "cap_full": types.boolean})
def hours(
    st: Structure,
    s: State,
    asset: np.ndarray,
    down: np.ndarray,
    up: np.ndarray,
    reach: np.ndarray,
    fuel_first: float,
    fuel_every: float,
    horizon: int,
    n_d: int,
    demand: np.ndarray,
    staff: np.ndarray,
    use_flow: bool,
    served: np.ndarray,
    served_v: np.ndarray,
    gap_hours: np.ndarray,
    district: np.ndarray,
    log: list,
    slog: list,
    tracing: bool,
) -> None:
    """Advance one scenario hour by hour (``s`` starts with everything running).

    Args:
        asset, down, up: The scenario's outages: asset, first hour out, hour back (``up``
            may be fractional or infinite; it counts from the hour after).
        reach: Hour each road node is reachable from a depot (for fuel deliveries).
        demand, staff: ``(H,)`` health-care demand and staff available, relative to normal
            (used by the capacity flow when ``use_flow``).
        served, served_v: ``(K, H)`` Q per service and hour (all, vulnerable), written.
        gap_hours: ``(K·D,)`` outage hours of each district per service, written.
        district: ``(H, K·D)`` share of each district-service each hour, written when
            tracing.
    """
    m = asset.shape[0]
    kd = st.pop.shape[0]
    n_k = st.total.shape[0]
    # Outages by the hour they begin and end (counting sort).
    d_ptr = np.zeros(horizon + 2, dtype=np.int64)
    u_ptr = np.zeros(horizon + 2, dtype=np.int64)
    begin = np.empty(m, dtype=np.int64)
    end = np.empty(m, dtype=np.int64)
    for i in range(m):
        b = int(down[i])
        e = horizon if not up[i] < horizon else int(np.ceil(up[i]))
        if e <= b or b >= horizon:
            b = horizon  # never out inside the horizon
        begin[i] = b
        end[i] = e
        if b < horizon:
            d_ptr[b + 1] += 1
            if e < horizon:
                u_ptr[e + 1] += 1
    for t in range(horizon + 1):
        d_ptr[t + 1] += d_ptr[t]
        u_ptr[t + 1] += u_ptr[t]
    d_list = np.empty(d_ptr[horizon + 1], dtype=np.int64)
    u_list = np.empty(u_ptr[horizon + 1], dtype=np.int64)
    d_fill = d_ptr[:-1].copy()
    u_fill = u_ptr[:-1].copy()
    for i in range(m):
        if begin[i] < horizon:
            d_list[d_fill[begin[i]]] = asset[i]
            d_fill[begin[i]] += 1
            if end[i] < horizon:
                u_list[u_fill[end[i]]] = asset[i]
                u_fill[end[i]] += 1
    # Stores that run empty, by hour (linked lists in a growing pool).
    ex_head = np.full(horizon + 1, -1, dtype=np.int64)
    ex_next = np.empty(64, dtype=np.int64)
    ex_owner = np.empty(64, dtype=np.int64)
    n_ex = 0
    deliver = np.zeros(horizon + 1, dtype=np.bool_)
    if fuel_every > 0:
        h = fuel_first
        while h < horizon:
            deliver[int(np.ceil(h))] = True
            h += fuel_every
    # Service bookkeeping: the current share of each district-service, its sums per service.
    now = np.ones(kd)
    gap_since = np.zeros(kd)
    gap_value = np.zeros(kd)
    short = np.zeros(n_k, dtype=np.int64)  # districts below full service, per service
    sums = st.total.copy()
    sums_v = st.total_v.copy()
    restarts = np.empty(0, dtype=np.int64)
    cap_k = st.cap_service[0]
    # The flow is the same at any lower demand-to-staff ratio once it served every district
    # in full with the same assets working: hours below that ratio keep the full shares.
    cap_full = False  # the last flow served every district in full
    full_upto = -1.0  # the highest ratio served in full since the assets last changed
    fbuf, ibuf = flow_scratch(st, n_d)
    # Arrays used in the loops below, taken out of the records once (see spread.py).
    s_mode, s_level, s_time = s.s_mode, s.s_level, s.s_time
    cap, rate = st.store_hours, st.refill_rate
    working, a_dirty, a_list, counters = s.working, s.a_dirty, s.a_list, s.counters
    a_link_ptr, a_links, l_sd, l_weight = st.a_link_ptr, st.a_links, st.l_sd, st.l_weight
    sumw, cnt, sd_dirty, sd_list, cap_share = s.sumw, s.cnt, s.sd_dirty, s.sd_list, s.cap_share
    sd_ptr, mode = st.sd_ptr, st.mode
    for t in range(horizon):
        moved = (
            use_flow
            and t > 0
            and (demand[t] != demand[t - 1] or staff[t] != staff[t - 1])
            and not (cap_full and staff[t] > 0 and demand[t] / staff[t] <= full_upto)
        )
        if (
            t > 0
            and d_ptr[t + 1] == d_ptr[t]
            and u_ptr[t + 1] == u_ptr[t]
            and ex_head[t] < 0
            and not deliver[t]
            and not moved
        ):
            for k in range(n_k):
                served[k, t] = served[k, t - 1]
                served_v[k, t] = served_v[k, t - 1]
            if tracing:
                district[t, :] = district[t - 1, :]
            continue
        n_restart = 0
        if deliver[t]:
            restarts = np.empty(s.counters[A_N], dtype=np.int64)
            for i in range(s.counters[A_N]):
                o = s.a_list[i]
                if st.store_kind[o] != STORE_FUEL:
                    continue
                node = st.access_node[o]
                if node >= 0 and not reach[node] <= t:
                    continue
                full = st.store_hours[o]
                if _level(s_mode, s_level, s_time, cap, rate, o, t) >= full:
                    continue
                s.s_level[o] = full
                s.s_time[o] = t
                if tracing:
                    slog.append((t, o, S_FUEL, full))
                if s.s_mode[o] == DRAINING:
                    e = t + int(np.ceil(full))
                    if e < horizon:
                        ex_next = _grow(ex_next, n_ex)
                        ex_owner = _grow(ex_owner, n_ex)
                        ex_owner[n_ex] = o
                        ex_next[n_ex] = ex_head[e]
                        ex_head[e] = n_ex
                        n_ex += 1
                else:
                    s.s_mode[o] = STEADY
                if not s.working[o] and not s.out[o]:
                    restarts[n_restart] = o
                    n_restart += 1
        # Losses: outages that begin, stores that run empty; then failures spread.
        tail = 0
        for q in range(d_ptr[t], d_ptr[t + 1]):
            a = d_list[q]
            if s.out[a]:
                continue
            s.out[a] = True
            if s.working[a]:
                _flip(
                    working,
                    a_link_ptr,
                    a_links,
                    l_sd,
                    l_weight,
                    sumw,
                    cnt,
                    sd_dirty,
                    sd_list,
                    a_dirty,
                    a_list,
                    counters,
                    a,
                    False,
                    t,
                    log,
                    tracing,
                )
                s.queue[tail] = a
                tail += 1
            else:
                _touch(a_dirty, a_list, counters, A_N, a)  # so that reset clears it
        x = ex_head[t]
        while x >= 0:
            o = ex_owner[x]
            x = ex_next[x]
            if s.s_mode[o] != DRAINING or s.s_time[o] + np.ceil(s.s_level[o]) != t:
                continue  # refilled since, or a later schedule replaced this one
            if tracing:
                slog.append((t, o, S_EMPTY, 0.0))
            if not s.working[o]:
                continue
            for g in range(st.o_ptr[o], st.o_ptr[o + 1]):
                if st.bridgeable[g] and s.running[g] == 0 and not s.force[g]:
                    _flip(
                        working,
                        a_link_ptr,
                        a_links,
                        l_sd,
                        l_weight,
                        sumw,
                        cnt,
                        sd_dirty,
                        sd_list,
                        a_dirty,
                        a_list,
                        counters,
                        o,
                        False,
                        t,
                        log,
                        tracing,
                    )
                    s.queue[tail] = o
                    tail += 1
                    break
        if tail > 0:  # a call passes every array of both records: skip it when idle
            spread_down(st, s, 0, tail, t, log, tracing)
        # Returns: outages that end, generators refuelled; then whatever can run starts.
        tail = 0
        for q in range(u_ptr[t], u_ptr[t + 1]):
            a = u_list[q]
            s.out[a] = False
            s.queue[tail] = a
            tail += 1
        for q in range(n_restart):
            s.queue[tail] = restarts[q]
            tail += 1
        if tail > 0:
            restart(st, s, 0, tail, t, log, tracing)
        # Stores: start draining where a bridged group has no running member, stop where
        # every one has again.
        for q in range(s.counters[O_N]):
            o = s.o_list[q]
            s.o_dirty[o] = False
            if st.store_kind[o] == STORE_NONE:
                continue
            if s.missing[o] > 0 and s.s_mode[o] != DRAINING:
                left = _level(s_mode, s_level, s_time, cap, rate, o, t)
                s.s_level[o] = left
                s.s_time[o] = t
                s.s_mode[o] = DRAINING
                if tracing:
                    slog.append((t, o, S_DRAIN, left))
                if left > 0:
                    e = t + int(np.ceil(left))
                    if e < horizon:
                        ex_next = _grow(ex_next, n_ex)
                        ex_owner = _grow(ex_owner, n_ex)
                        ex_owner[n_ex] = o
                        ex_next[n_ex] = ex_head[e]
                        ex_head[e] = n_ex
                        n_ex += 1
            elif s.missing[o] == 0 and s.s_mode[o] == DRAINING:
                left = _level(s_mode, s_level, s_time, cap, rate, o, t)
                s.s_level[o] = left
                s.s_time[o] = t
                s.s_mode[o] = REFILLING if st.refill_rate[o] > 0 else STEADY
                if tracing:
                    slog.append((t, o, S_BACK, left))
        s.counters[O_N] = 0
        # The capacity service's flow, when its assets or its demand changed.
        if use_flow:
            fresh = t == 0  # the capacity service's assets changed
            for q in range(s.counters[SD_N]):
                if s.sd_list[q] // n_d == cap_k:
                    fresh = True
                    break
            if fresh or moved:
                if fresh:
                    full_upto = -1.0
                capacity_flow(st, s.working, demand[t], staff[t], n_d, s.cap_share, fbuf, ibuf)
                cap_full = True
                for d in range(n_d):
                    if s.cap_share[cap_k * n_d + d] < 1.0:
                        cap_full = False
                if cap_full and staff[t] > 0:
                    full_upto = max(full_upto, demand[t] / staff[t])
                for d in range(n_d):
                    sd = cap_k * n_d + d
                    if not s.sd_dirty[sd]:
                        s.sd_dirty[sd] = True
                        s.sd_list[s.counters[SD_N]] = sd
                        s.counters[SD_N] += 1
        # Services of the districts whose assets changed.
        for q in range(s.counters[SD_N]):
            sd = s.sd_list[q]
            s.sd_dirty[sd] = False
            new = _share(sd_ptr, mode, cnt, sumw, cap_share, sd, n_d)
            old = now[sd]
            if new == old:
                continue
            k = sd // n_d
            sums[k] += st.pop[sd] * (new - old)
            sums_v[k] += st.vul[sd] * (new - old)
            gap_hours[sd] += gap_value[sd] * (t - gap_since[sd])
            gap_since[sd] = t
            gap_value[sd] = 1.0 - new
            if old >= 1.0:
                short[k] += 1
            if new >= 1.0:
                short[k] -= 1
                if short[k] == 0:
                    sums[k] = st.total[k]
                    sums_v[k] = st.total_v[k]
            now[sd] = new
        s.counters[SD_N] = 0
        for k in range(n_k):
            served[k, t] = sums[k] / st.total[k] if st.total[k] > 0 else 1.0
            served_v[k, t] = sums_v[k] / st.total_v[k] if st.total_v[k] > 0 else 1.0
        if tracing:
            district[t, :] = now
    for sd in range(kd):
        gap_hours[sd] += gap_value[sd] * (horizon - gap_since[sd])


@njit(cache=True, locals={"off": types.boolean})
def _worker(
    st: Structure,
    ptr: np.ndarray,
    asset: np.ndarray,
    down: np.ndarray,
    ready: np.ndarray,
    work: np.ndarray,
    needs_crew: np.ndarray,
    rank: np.ndarray,
    local: np.ndarray,
    aid: np.ndarray,
    aid_at: np.ndarray,
    speed: np.ndarray,
    fuel_first: float,
    fuel_every: float,
    horizon: int,
    n_d: int,
    demand: np.ndarray,
    staff: np.ndarray,
    use_flow: bool,
    up: np.ndarray,
    served: np.ndarray,
    served_v: np.ndarray,
    gap_hours: np.ndarray,
    first: int,
    step: int,
) -> None:
    n = st.network.shape[0]
    s = new_state(st)
    sumw0 = s.sumw.copy()
    cnt0 = s.cnt.copy()
    scratch = new_scratch(st)
    reach = np.zeros(n)
    log = [(0, 0, 0)]
    log.pop()
    slog = [(0, 0, 0, 0.0)]
    slog.pop()
    no_trace = np.empty((1, 1))
    off = False  # tracing (a runtime flag: the traced run shares this compiled loop)
    for j in range(first, ptr.shape[0] - 1, step):
        lo, hi = ptr[j], ptr[j + 1]
        region = crews(
            st,
            asset[lo:hi],
            ready[lo:hi],
            work[lo:hi],
            needs_crew[lo:hi],
            rank,
            local,
            aid,
            aid_at,
            speed[j],
            horizon,
            scratch,
            reach,
            up[lo:hi],
        )
        hours(
            st,
            s,
            asset[lo:hi],
            down[lo:hi],
            up[lo:hi],
            reach,
            fuel_first,
            fuel_every,
            horizon,
            n_d,
            demand[j],
            staff[j],
            use_flow,
            served[j],
            served_v[j],
            gap_hours[j],
            no_trace,
            log,
            slog,
            off,
        )
        reset(st, s, sumw0, cnt0)
        for i in range(region):
            reach[scratch.region[i]] = 0.0


@njit(cache=True, parallel=True)
def run_all(
    st: Structure,
    ptr: np.ndarray,
    asset: np.ndarray,
    down: np.ndarray,
    ready: np.ndarray,
    work: np.ndarray,
    needs_crew: np.ndarray,
    rank: np.ndarray,
    local: np.ndarray,
    aid: np.ndarray,
    aid_at: np.ndarray,
    speed: np.ndarray,
    fuel_first: float,
    fuel_every: float,
    horizon: int,
    n_d: int,
    demand: np.ndarray,
    staff: np.ndarray,
    use_flow: bool,
    up: np.ndarray,
    served: np.ndarray,
    served_v: np.ndarray,
    gap_hours: np.ndarray,
    threads: int,
) -> None:
    """Schedule repairs and run the hour loop for every scenario, threads in parallel.

    Scenario ``j``'s outages are ``ptr[j]:ptr[j+1]`` of the entry arrays; ``up`` receives
    the hour each outage ends. ``demand``/``staff`` are ``(S, H)``, ``served``/``served_v``
    ``(S, K, H)``, ``gap_hours`` ``(S, K·D)``.
    """
    count = ptr.shape[0] - 1
    workers = min(threads, max(count, 1))
    for w in prange(workers):
        first = int(np.int64(w))  # prange counts in uint64: one compiled worker, not two
        _worker(
            st,
            ptr,
            asset,
            down,
            ready,
            work,
            needs_crew,
            rank,
            local,
            aid,
            aid_at,
            speed,
            fuel_first,
            fuel_every,
            horizon,
            n_d,
            demand,
            staff,
            use_flow,
            up,
            served,
            served_v,
            gap_hours,
            first,
            workers,
        )


@njit(cache=True, locals={"on": types.boolean})
def run_traced(
    st: Structure,
    asset: np.ndarray,
    down: np.ndarray,
    ready: np.ndarray,
    work: np.ndarray,
    needs_crew: np.ndarray,
    rank: np.ndarray,
    local: np.ndarray,
    aid: np.ndarray,
    aid_at: np.ndarray,
    speed: float,
    fuel_first: float,
    fuel_every: float,
    horizon: int,
    n_d: int,
    demand: np.ndarray,
    staff: np.ndarray,
    use_flow: bool,
    up: np.ndarray,
    served: np.ndarray,
    served_v: np.ndarray,
    gap_hours: np.ndarray,
    district: np.ndarray,
    reach: np.ndarray,
) -> tuple:
    """One scenario with its trace: ``(flips, store events)`` as lists of tuples."""
    on = True  # tracing
    s = new_state(st)
    scratch = new_scratch(st)
    log = [(0, 0, 0)]
    log.pop()
    slog = [(0, 0, 0, 0.0)]
    slog.pop()
    crews(
        st,
        asset,
        ready,
        work,
        needs_crew,
        rank,
        local,
        aid,
        aid_at,
        speed,
        horizon,
        scratch,
        reach,
        up,
    )
    hours(
        st,
        s,
        asset,
        down,
        up,
        reach,
        fuel_first,
        fuel_every,
        horizon,
        n_d,
        demand,
        staff,
        use_flow,
        served,
        served_v,
        gap_hours,
        district,
        log,
        slog,
        on,
    )
    return log, slog
