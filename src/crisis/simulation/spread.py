"""The state of one scenario and the compiled rules that change it (written once).

Both the hour loop (:mod:`crisis.simulation.kernel`) and the cascade sweeps
(:mod:`crisis.simulation.sweeps`) change a scenario's state only through these functions:

- :func:`spread_down`: failures spread — an asset whose dependency group has no running
  member (and is not bridged by its store) stops, and a network member cut off from every
  running source stops; the result is the largest consistent state below the one given.
- :func:`restart`: assets that can run start — an asset not out whose groups all have a
  running member (or are bridged) starts, a network member once it is a source or next to a
  running member; the result is the smallest consistent state above the one given.

Network connectivity is kept incrementally: each running network member has a *level*, and
every running member that is not a source has a running neighbour of a lower level, so
every running member is joined to a running source. When members stop, only those whose
support ran through them are searched (a member is searched when every lower neighbour is
stopped or searched), and of those only the ones no running member outside the search can
reach stop: work follows what changed, not the network's size.

Stores (a generator's fuel, a battery, a tank's water) hold ``store_hours`` of autonomy.
A store drains one hour per hour while a group it bridges has no running member — whether
or not its owner runs, so that protecting an asset can never leave its store emptier — and
refills while its supply runs, at its refill rate (batteries, tanks) or by fuel deliveries
(generators). A group is bridged while its owner's store holds more than nothing.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from crisis.simulation.flat import MODE_CAPACITY, MODE_SHARE, STORE_NONE, Structure

STEADY, DRAINING, REFILLING = 0, 1, 2


class State(NamedTuple):
    """One scenario's state and scratch space (every array owned by one thread)."""

    working: npt.NDArray[np.bool_]  # (N,)
    out: npt.NDArray[np.bool_]  # (N,) damaged or under water: cannot run
    running: npt.NDArray[np.int32]  # (G,) running members of each group
    level: npt.NDArray[np.int64]  # (N,) connectivity level of running network members
    force: npt.NDArray[np.bool_]  # (G,) groups treated as satisfied (cascade sweeps)
    s_level: npt.NDArray[np.float64]  # (N,) store level at s_time
    s_time: npt.NDArray[np.float64]  # (N,) hour the store's current mode began
    s_mode: npt.NDArray[np.int8]  # (N,) STEADY, DRAINING or REFILLING
    missing: npt.NDArray[np.int32]  # (N,) bridgeable groups of the owner with no running member
    sumw: npt.NDArray[np.float64]  # (K·D,) running share of each district's service assets
    cnt: npt.NDArray[np.int64]  # (K·D,) running service assets
    cap_share: npt.NDArray[np.float64]  # (K·D,) share a capacity flow gives (-1: none yet)
    # scratch
    queue: npt.NDArray[np.int64]  # assets to process (sized for every push of one hour)
    lost: npt.NDArray[np.int64]  # network members that stopped in this round
    heap: npt.NDArray[np.int64]  # (N,) circular queue of the search, then its reached members
    cand: npt.NDArray[np.bool_]  # (N,) searched member without support
    mark: npt.NDArray[np.bool_]  # (N,) member queued for the search
    found: npt.NDArray[np.int64]  # members reached again through the search region
    # bookkeeping for reset and end-of-hour updates
    a_dirty: npt.NDArray[np.bool_]  # (N,)
    a_list: npt.NDArray[np.int64]
    g_dirty: npt.NDArray[np.bool_]  # (G,)
    g_list: npt.NDArray[np.int64]
    o_dirty: npt.NDArray[np.bool_]  # (N,) owner whose store may change mode
    o_list: npt.NDArray[np.int64]
    sd_dirty: npt.NDArray[np.bool_]  # (K·D,)
    sd_list: npt.NDArray[np.int64]
    counters: npt.NDArray[np.int64]  # [a_list, g_list, o_list, sd_list] lengths


A_N, G_N, O_N, SD_N = 0, 1, 2, 3


@njit(cache=True)
def new_state(st: Structure) -> State:
    """A scenario state for ``st`` with everything running and every store full."""
    n = st.network.shape[0]
    g = st.g_owner.shape[0]
    kd = st.pop.shape[0]
    size = n + g + st.adj.shape[0] + 16
    state = State(
        np.ones(n, dtype=np.bool_),
        np.zeros(n, dtype=np.bool_),
        np.empty(g, dtype=np.int32),
        st.level0.copy(),
        np.zeros(g, dtype=np.bool_),
        st.store_hours.copy(),
        np.zeros(n),
        np.zeros(n, dtype=np.int8),
        np.zeros(n, dtype=np.int32),
        np.zeros(kd),
        np.zeros(kd, dtype=np.int64),
        np.full(kd, -1.0),
        np.empty(size, dtype=np.int64),
        np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.int64),
        np.zeros(n, dtype=np.bool_),
        np.zeros(n, dtype=np.bool_),
        np.empty(n, dtype=np.int64),
        np.zeros(n, dtype=np.bool_),
        np.empty(n, dtype=np.int64),
        np.zeros(g, dtype=np.bool_),
        np.empty(g, dtype=np.int64),
        np.zeros(n, dtype=np.bool_),
        np.empty(n, dtype=np.int64),
        np.zeros(kd, dtype=np.bool_),
        np.empty(kd, dtype=np.int64),
        np.zeros(4, dtype=np.int64),
    )
    for j in range(g):
        state.running[j] = st.g_ptr[j + 1] - st.g_ptr[j]
    for link in range(st.l_sd.shape[0]):
        state.sumw[st.l_sd[link]] += st.l_weight[link]
        state.cnt[st.l_sd[link]] += 1
    return state


@njit(cache=True)
def reset(st: Structure, s: State, sumw0: np.ndarray, cnt0: np.ndarray) -> None:
    """Back to everything running and every store full, touching only what changed."""
    for i in range(s.counters[A_N]):
        a = s.a_list[i]
        s.a_dirty[a] = False
        s.working[a] = True
        s.out[a] = False
        s.level[a] = st.level0[a]
        s.s_level[a] = st.store_hours[a]
        s.s_time[a] = 0.0
        s.s_mode[a] = STEADY
        s.missing[a] = 0
    for i in range(s.counters[G_N]):
        g = s.g_list[i]
        s.g_dirty[g] = False
        s.running[g] = st.g_ptr[g + 1] - st.g_ptr[g]
        s.force[g] = False
    for i in range(s.counters[O_N]):
        s.o_dirty[s.o_list[i]] = False
    for i in range(s.counters[SD_N]):
        s.sd_dirty[s.sd_list[i]] = False
    s.sumw[:] = sumw0
    s.cnt[:] = cnt0
    s.cap_share[:] = -1.0
    s.counters[:] = 0


# Small helpers take arrays, not the State or Structure records: passing a record of ~30
# arrays into a compiled call costs a reference count per array, which in inner loops
# costs more than the work itself.


@njit(cache=True, inline="always")
def _touch(dirty: np.ndarray, items: np.ndarray, counters: np.ndarray, slot: int, x: int) -> None:
    if not dirty[x]:
        dirty[x] = True
        items[counters[slot]] = x
        counters[slot] += 1


@njit(cache=True)
def touch_asset(s: State, a: int) -> None:
    """Mark ``a`` changed (so that :func:`reset` restores it)."""
    _touch(s.a_dirty, s.a_list, s.counters, A_N, a)


@njit(cache=True)
def touch_group(s: State, g: int) -> None:
    """Mark group ``g`` changed."""
    _touch(s.g_dirty, s.g_list, s.counters, G_N, g)


@njit(cache=True)
def touch_owner(s: State, o: int) -> None:
    """Mark ``o``'s store for the end-of-hour update."""
    _touch(s.a_dirty, s.a_list, s.counters, A_N, o)
    _touch(s.o_dirty, s.o_list, s.counters, O_N, o)


@njit(cache=True, inline="always")
def _level(
    s_mode: np.ndarray,
    s_level: np.ndarray,
    s_time: np.ndarray,
    cap: np.ndarray,
    rate: np.ndarray,
    o: int,
    t: float,
) -> float:
    mode = s_mode[o]
    if mode == DRAINING:
        return max(s_level[o] - (t - s_time[o]), 0.0)
    if mode == REFILLING:
        return min(cap[o], s_level[o] + (t - s_time[o]) * rate[o])
    return s_level[o]


@njit(cache=True)
def store_level(st: Structure, s: State, o: int, t: float) -> float:
    """Hours left in ``o``'s store at the start of hour ``t``."""
    return _level(s.s_mode, s.s_level, s.s_time, st.store_hours, st.refill_rate, o, t)


@njit(cache=True, inline="always")
def _bridged(
    force: np.ndarray,
    bridgeable: np.ndarray,
    g_owner: np.ndarray,
    kind: np.ndarray,
    s_mode: np.ndarray,
    s_level: np.ndarray,
    s_time: np.ndarray,
    cap: np.ndarray,
    rate: np.ndarray,
    g: int,
    t: float,
) -> bool:
    if force[g]:
        return True
    if not bridgeable[g]:
        return False
    o = g_owner[g]
    return kind[o] != STORE_NONE and _level(s_mode, s_level, s_time, cap, rate, o, t) > 0.0


@njit(cache=True)
def bridged(st: Structure, s: State, g: int, t: float) -> bool:
    """Group ``g`` counts as satisfied at hour ``t`` whatever its members do."""
    return _bridged(
        s.force,
        st.bridgeable,
        st.g_owner,
        st.store_kind,
        s.s_mode,
        s.s_level,
        s.s_time,
        st.store_hours,
        st.refill_rate,
        g,
        t,
    )


@njit(cache=True, inline="always")
def _flip(
    working: np.ndarray,
    a_link_ptr: np.ndarray,
    a_links: np.ndarray,
    l_sd: np.ndarray,
    l_weight: np.ndarray,
    sumw: np.ndarray,
    cnt: np.ndarray,
    sd_dirty: np.ndarray,
    sd_list: np.ndarray,
    a_dirty: np.ndarray,
    a_list: np.ndarray,
    counters: np.ndarray,
    a: int,
    on: bool,
    t: int,
    log: list,
    tracing: bool,
) -> None:
    _touch(a_dirty, a_list, counters, A_N, a)
    working[a] = on
    sign = 1.0 if on else -1.0
    step = 1 if on else -1
    for k in range(a_link_ptr[a], a_link_ptr[a + 1]):
        link = a_links[k]
        sd = l_sd[link]
        sumw[sd] += sign * l_weight[link]
        cnt[sd] += step
        _touch(sd_dirty, sd_list, counters, SD_N, sd)
    if tracing:
        log.append((t, a, 1 if on else 0))


@njit(cache=True)
def flip(st: Structure, s: State, a: int, on: bool, t: int, log: list, tracing: bool) -> None:
    """Set asset ``a`` running or stopped and keep the service sums."""
    _flip(
        s.working,
        st.a_link_ptr,
        st.a_links,
        st.l_sd,
        st.l_weight,
        s.sumw,
        s.cnt,
        s.sd_dirty,
        s.sd_list,
        s.a_dirty,
        s.a_list,
        s.counters,
        a,
        on,
        t,
        log,
        tracing,
    )


@njit(cache=True)
def _cut_off(
    st: Structure, s: State, n_lost: int, tail: int, t: int, log: list, tracing: bool
) -> int:
    """Stop the running members that lost their last path to a source; returns ``tail``."""
    lv, adj, ptr, source = s.level, st.adj, st.adj_ptr, st.source
    working, mark, cand, found, heap, lost = (
        s.working,
        s.mark,
        s.cand,
        s.found,
        s.heap,
        s.lost,
    )
    queue, a_dirty, a_list, counters = s.queue, s.a_dirty, s.a_list, s.counters
    a_link_ptr, a_links, l_sd, l_weight = st.a_link_ptr, st.a_links, st.l_sd, st.l_weight
    sumw, cnt, sd_dirty, sd_list = s.sumw, s.cnt, s.sd_dirty, s.sd_list
    # Members whose every lower neighbour is lost or searched have no support left. Work
    # through them in any order, looking again at a member whenever a lower neighbour
    # joins the search (a circular queue; ``mark``: queued).
    n = lv.shape[0]
    head = 0
    size = 0
    for i in range(n_lost):
        gone = lost[i]
        for k in range(ptr[gone], ptr[gone + 1]):
            w = adj[k]
            if working[w] and not mark[w] and not source[w] and lv[w] > lv[gone]:
                mark[w] = True
                heap[(head + size) % n] = w
                size += 1
    n_cand = 0
    while size > 0:
        w = heap[head]
        head = (head + 1) % n
        size -= 1
        mark[w] = False
        if cand[w]:
            continue
        supported = False
        for k in range(ptr[w], ptr[w + 1]):
            u = adj[k]
            if working[u] and not cand[u] and lv[u] < lv[w]:
                supported = True
                break
        if supported:
            continue
        cand[w] = True
        found[n_cand] = w
        n_cand += 1
        for k in range(ptr[w], ptr[w + 1]):
            y = adj[k]
            if working[y] and not mark[y] and not cand[y] and not source[y] and lv[y] > lv[w]:
                mark[y] = True
                heap[(head + size) % n] = y
                size += 1
    # Searched members next to a running member outside the search are still joined to a
    # source, and so is whatever they reach inside it (levels renumbered on the way).
    reached = 0
    for i in range(n_cand):
        c = found[i]
        best = -1
        for k in range(ptr[c], ptr[c + 1]):
            u = adj[k]
            if working[u] and not cand[u] and (best < 0 or lv[u] < best):
                best = lv[u]
        if best >= 0:
            cand[c] = False
            _touch(a_dirty, a_list, counters, A_N, c)
            lv[c] = best + 1
            heap[reached] = c
            reached += 1
    head = 0
    while head < reached:
        c = heap[head]
        head += 1
        for k in range(ptr[c], ptr[c + 1]):
            y = adj[k]
            if cand[y]:
                cand[y] = False
                _touch(a_dirty, a_list, counters, A_N, y)
                lv[y] = lv[c] + 1
                heap[reached] = y
                reached += 1
    for i in range(n_cand):
        c = found[i]
        if cand[c]:
            cand[c] = False
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
                c,
                False,
                t,
                log,
                tracing,
            )
            queue[tail] = c
            tail += 1
    return tail


@njit(cache=True)
def spread_down(
    st: Structure, s: State, head: int, tail: int, t: int, log: list, tracing: bool
) -> int:
    """Spread the failures of ``queue[head:tail]`` (already stopped) until nothing changes.

    Returns the new end of the queue (everything that stopped is in ``queue[head:]``).
    """
    queue, lost, running, working = s.queue, s.lost, s.running, s.working
    m_ptr, m_groups, g_owner, network = st.m_ptr, st.m_groups, st.g_owner, st.network
    bridgeable, kind, cap, rate = st.bridgeable, st.store_kind, st.store_hours, st.refill_rate
    force, s_mode, s_level, s_time = s.force, s.s_mode, s.s_level, s.s_time
    missing, counters = s.missing, s.counters
    g_dirty, g_list, a_dirty, a_list, o_dirty, o_list = (
        s.g_dirty,
        s.g_list,
        s.a_dirty,
        s.a_list,
        s.o_dirty,
        s.o_list,
    )
    a_link_ptr, a_links, l_sd, l_weight = st.a_link_ptr, st.a_links, st.l_sd, st.l_weight
    sumw, cnt, sd_dirty, sd_list = s.sumw, s.cnt, s.sd_dirty, s.sd_list
    while head < tail:
        n_lost = 0
        while head < tail:
            f = queue[head]
            head += 1
            if network[f] >= 0:
                lost[n_lost] = f
                n_lost += 1
            for k in range(m_ptr[f], m_ptr[f + 1]):
                g = m_groups[k]
                _touch(g_dirty, g_list, counters, G_N, g)
                running[g] -= 1
                if running[g] == 0:
                    o = g_owner[g]
                    if bridgeable[g]:
                        missing[o] += 1
                        _touch(a_dirty, a_list, counters, A_N, o)
                        _touch(o_dirty, o_list, counters, O_N, o)
                    if working[o] and not _bridged(
                        force, bridgeable, g_owner, kind, s_mode, s_level, s_time, cap, rate, g, t
                    ):
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
                        queue[tail] = o
                        tail += 1
        if n_lost:
            tail = _cut_off(st, s, n_lost, tail, t, log, tracing)
    return tail


@njit(cache=True)
def can_run(st: Structure, s: State, a: int, t: int) -> bool:
    """Every group of ``a`` has a running member or is bridged; a network member that is
    not a source has a running neighbour."""
    return _can_run(
        st.o_ptr,
        s.running,
        s.force,
        st.bridgeable,
        st.g_owner,
        st.store_kind,
        s.s_mode,
        s.s_level,
        s.s_time,
        st.store_hours,
        st.refill_rate,
        st.network,
        st.source,
        st.adj_ptr,
        st.adj,
        s.working,
        a,
        t,
    )


@njit(cache=True, inline="always")
def _can_run(
    o_ptr: np.ndarray,
    running: np.ndarray,
    force: np.ndarray,
    bridgeable: np.ndarray,
    g_owner: np.ndarray,
    kind: np.ndarray,
    s_mode: np.ndarray,
    s_level: np.ndarray,
    s_time: np.ndarray,
    cap: np.ndarray,
    rate: np.ndarray,
    network: np.ndarray,
    source: np.ndarray,
    adj_ptr: np.ndarray,
    adj: np.ndarray,
    working: np.ndarray,
    a: int,
    t: int,
) -> bool:
    for g in range(o_ptr[a], o_ptr[a + 1]):
        if running[g] == 0 and not _bridged(
            force, bridgeable, g_owner, kind, s_mode, s_level, s_time, cap, rate, g, t
        ):
            return False
    if network[a] >= 0 and not source[a]:
        for k in range(adj_ptr[a], adj_ptr[a + 1]):  # noqa: SIM110 (compiled loop)
            if working[adj[k]]:
                return True
        return False
    return True


@njit(cache=True)
def restart(st: Structure, s: State, head: int, tail: int, t: int, log: list, tracing: bool) -> int:
    """Start whatever can run among ``queue[head:tail]`` and what their start enables."""
    queue, working, out, running, level = s.queue, s.working, s.out, s.running, s.level
    m_ptr, m_groups, g_owner, network = st.m_ptr, st.m_groups, st.g_owner, st.network
    source, adj_ptr, adj, o_ptr = st.source, st.adj_ptr, st.adj, st.o_ptr
    bridgeable, kind, cap, rate = st.bridgeable, st.store_kind, st.store_hours, st.refill_rate
    force, s_mode, s_level, s_time = s.force, s.s_mode, s.s_level, s.s_time
    missing, counters = s.missing, s.counters
    g_dirty, g_list, a_dirty, a_list, o_dirty, o_list = (
        s.g_dirty,
        s.g_list,
        s.a_dirty,
        s.a_list,
        s.o_dirty,
        s.o_list,
    )
    a_link_ptr, a_links, l_sd, l_weight = st.a_link_ptr, st.a_links, st.l_sd, st.l_weight
    sumw, cnt, sd_dirty, sd_list = s.sumw, s.cnt, s.sd_dirty, s.sd_list
    while head < tail:
        a = queue[head]
        head += 1
        if working[a] or out[a]:
            continue
        if not _can_run(
            o_ptr,
            running,
            force,
            bridgeable,
            g_owner,
            kind,
            s_mode,
            s_level,
            s_time,
            cap,
            rate,
            network,
            source,
            adj_ptr,
            adj,
            working,
            a,
            t,
        ):
            continue
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
            True,
            t,
            log,
            tracing,
        )
        if network[a] >= 0:
            if source[a]:
                level[a] = 0
            else:
                best = -1
                for k in range(adj_ptr[a], adj_ptr[a + 1]):
                    u = adj[k]
                    if working[u] and u != a and (best < 0 or level[u] < best):
                        best = level[u]
                level[a] = best + 1
        need = (m_ptr[a + 1] - m_ptr[a]) + (adj_ptr[a + 1] - adj_ptr[a])
        if tail + need > queue.shape[0]:
            # Cannot happen with the queue sized for every push; keep the invariant loud.
            raise IndexError("restart queue overflow")
        for k in range(m_ptr[a], m_ptr[a + 1]):
            g = m_groups[k]
            _touch(g_dirty, g_list, counters, G_N, g)
            running[g] += 1
            if running[g] == 1:
                o = g_owner[g]
                if bridgeable[g]:
                    missing[o] -= 1
                    _touch(a_dirty, a_list, counters, A_N, o)
                    _touch(o_dirty, o_list, counters, O_N, o)
                queue[tail] = o
                tail += 1
        if network[a] >= 0:
            for k in range(adj_ptr[a], adj_ptr[a + 1]):
                queue[tail] = adj[k]
                tail += 1
    return tail


@njit(cache=True)
def share(st: Structure, s: State, sd: int, n_d: int) -> float:
    """Share of district-service ``sd`` served now."""
    return _share(st.sd_ptr, st.mode, s.cnt, s.sumw, s.cap_share, sd, n_d)


@njit(cache=True, inline="always")
def _share(
    sd_ptr: np.ndarray,
    mode: np.ndarray,
    cnt: np.ndarray,
    sumw: np.ndarray,
    cap_share: np.ndarray,
    sd: int,
    n_d: int,
) -> float:
    full = sd_ptr[sd + 1] - sd_ptr[sd]
    if full == 0:
        return 1.0
    m = mode[sd // n_d]
    if m == MODE_CAPACITY and cap_share[sd] >= 0:
        return cap_share[sd]
    c = cnt[sd]
    if c == full:
        return 1.0
    if c == 0:
        return 0.0
    if m == MODE_SHARE:
        return min(max(sumw[sd], 0.0), 1.0)
    return 1.0  # any working asset serves the district


@njit(cache=True, inline="always")
def capacity_flow(
    st: Structure,
    working: np.ndarray,
    demand: float,
    staff: float,
    n_d: int,
    out: np.ndarray,
    fbuf: np.ndarray,
    ibuf: np.ndarray,
) -> None:
    """Each district's share of the capacity service: the most its working assets can take.

    District ``d`` needs ``pop · demand`` and may go to any working asset it lists; an asset
    takes up to ``capacity · staff``. Augmenting paths (a patient moved from one hospital to
    another to make room) give a maximum flow; districts are served in order, each as far
    as the flow can go, and the shares are written to ``out[k·D + d]``. ``fbuf`` and
    ``ibuf`` are its working space (:func:`flow_scratch`).

    Inlined, so that the hour loop passes the few arrays the flow reads, not the whole
    structure (a call costs about a microsecond per record passed).
    """
    _capacity_flow(
        st.cap_service[0],
        st.pop,
        st.f_capacity,
        st.f_ptr,
        st.f_node,
        st.f_dist,
        st.f_asset,
        st.r_ptr,
        st.r_edge,
        working,
        demand,
        staff,
        n_d,
        out,
        fbuf,
        ibuf,
    )


@njit(cache=True)
def flow_scratch(st: Structure, n_d: int) -> tuple[np.ndarray, np.ndarray]:
    """Working space for :func:`capacity_flow` (floats, integers), made once per run."""
    n_nodes = st.f_asset.shape[0]
    return np.empty(n_d + n_nodes + st.f_node.shape[0]), np.empty(
        3 * n_d + 3 * n_nodes, dtype=np.int64
    )


@njit(cache=True)
def _capacity_flow(
    k: int,
    pop: np.ndarray,
    f_capacity: np.ndarray,
    f_ptr: np.ndarray,
    f_node: np.ndarray,
    f_dist: np.ndarray,
    f_asset: np.ndarray,
    r_ptr: np.ndarray,
    r_edge: np.ndarray,
    working: np.ndarray,
    demand: float,
    staff: float,
    n_d: int,
    out: np.ndarray,
    fbuf: np.ndarray,
    ibuf: np.ndarray,
) -> None:
    n_nodes = f_asset.shape[0]
    n_edges = f_node.shape[0]
    need = fbuf[:n_d]
    left = fbuf[n_d : n_d + n_nodes]
    flow = fbuf[n_d + n_nodes : n_d + n_nodes + n_edges]
    flow[:] = 0.0
    total = 0.0
    for d in range(n_d):
        need[d] = pop[k * n_d + d] * demand
        total += need[d]
    eps = 1e-12 * max(total, 1.0)
    for h in range(n_nodes):
        left[h] = f_capacity[h] * staff if working[f_asset[h]] else 0.0
    # A node's mark is the round that last reached it, or DEAD: reached by a search that
    # found no room. What such a search reached is closed (every district it can send to,
    # every district whose patients it could move, is in it) and full, and augmenting
    # elsewhere never opens it, so later searches skip it: the flow is the same, and a full
    # city costs one search instead of one per district.
    dead = np.iinfo(np.int64).max
    seen_d = ibuf[:n_d]
    via_d = ibuf[n_d : 2 * n_d]
    queue = ibuf[2 * n_d : 3 * n_d]
    seen_h = ibuf[3 * n_d : 3 * n_d + n_nodes]
    via_h = ibuf[3 * n_d + n_nodes : 3 * n_d + 2 * n_nodes]
    reached = ibuf[3 * n_d + 2 * n_nodes : 3 * n_d + 3 * n_nodes]
    seen_d[:] = -1
    seen_h[:] = -1
    rounds = 0
    for d0 in range(n_d):
        while need[d0] > eps and seen_d[d0] != dead:
            rounds += 1
            head, tail, n_reached = 0, 1, 0
            queue[0] = d0
            seen_d[d0] = rounds
            end = -1
            while head < tail and end < 0:
                d = queue[head]
                head += 1
                for e in range(f_ptr[d], f_ptr[d + 1]):
                    h = f_node[e]
                    if seen_h[h] >= rounds or not working[f_asset[h]]:
                        continue
                    seen_h[h] = rounds
                    reached[n_reached] = h
                    n_reached += 1
                    via_h[h] = e
                    if left[h] > eps:
                        end = h
                        break
                    for q in range(r_ptr[h], r_ptr[h + 1]):
                        e2 = r_edge[q]
                        d2 = f_dist[e2]
                        if flow[e2] > eps and seen_d[d2] < rounds:
                            seen_d[d2] = rounds
                            via_d[d2] = e2
                            queue[tail] = d2
                            tail += 1
            if end < 0:
                for q in range(tail):
                    seen_d[queue[q]] = dead
                for q in range(n_reached):
                    seen_h[reached[q]] = dead
                break
            amount = min(need[d0], left[end])
            h = end
            d = f_dist[via_h[h]]
            while d != d0:
                e2 = via_d[d]
                amount = min(amount, flow[e2])
                h = f_node[e2]
                d = f_dist[via_h[h]]
            left[end] -= amount
            h = end
            e = via_h[h]
            flow[e] += amount
            d = f_dist[e]
            while d != d0:
                e2 = via_d[d]
                flow[e2] -= amount
                h = f_node[e2]
                e = via_h[h]
                flow[e] += amount
                d = f_dist[e]
            need[d0] -= amount
    for d in range(n_d):
        want = pop[k * n_d + d] * demand
        served = want <= 0 or need[d] <= eps  # within the search's own tolerance
        out[k * n_d + d] = 1.0 if served else min(max(1.0 - need[d] / want, 0.0), 1.0)
