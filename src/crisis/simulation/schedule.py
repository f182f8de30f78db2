"""Repair crews, compiled: who is repaired when, in one scenario.

Each sector's crews work down one priority list (the policy's order). A free crew takes the
next damaged asset of its sector: it leaves its depot once a road from a depot to the asset
is open, travels there, waits until the asset is dry, works (longer when an epidemic thins
the staff) and travels back. The crews of the sectors that own roads clear their own way
and need no open road; they are scheduled first, and the hours their roads reopen decide
when the other crews can get through.

A road node is reachable from the hour every element of some path from a depot to it is
passable again (a bottleneck path: the latest-opening element on the best path). Roads
under water or damaged open when they are dry or repaired; with no road out, everything is
reachable at once.

Every step is a maximum or a sum of hours that more protection can only make earlier (and
a crew's list is fixed), so a plan that prevents damage never delays a repair: list
scheduling in a fixed order is monotone.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, types

from crisis.simulation.flat import Structure

INF = np.inf


@njit(cache=True)
def _sort_by(keys: np.ndarray) -> np.ndarray:
    return np.argsort(keys, kind="quicksort")


@njit(cache=True)
def reachable(
    st: Structure,
    opens: np.ndarray,
    closed: np.ndarray,
    n_closed: int,
    scratch: Scratch,
    horizon: int,
    out: np.ndarray,
) -> int:
    """Hour each road node is reachable from a depot, where that is not hour 0.

    ``closed[:n_closed]`` are the road members out at some hour, each passable again from
    ``opens[v]``. Only the region whose every path to a depot runs through a closed member
    can be reached later than hour 0; it is found by the same search as a network cut
    (levels of the intact roads), then a bottleneck search from its border
    (hours are whole: buckets) gives ``out[v]`` for its nodes (``inf``: never). ``out`` is
    0 everywhere else on entry and stays so; returns the region's size (its nodes are
    ``scratch.region[:size]``, to reset ``out`` after use).
    """
    adj, ptr, road, source, lv = st.adj, st.adj_ptr, st.road, st.source, st.level0
    inside, region, mark, heap = scratch.inside, scratch.region, scratch.mark, scratch.heap
    size = 0
    for i in range(n_closed):
        v = closed[i]
        if not inside[v]:
            inside[v] = True
            region[size] = v
            size += 1
    # Road nodes whose every lower neighbour is closed or in the region join it (any
    # order, looked at again when a lower neighbour joins; ``mark``: queued).
    n = lv.shape[0]
    head = 0
    queued = 0
    for i in range(size):
        v = region[i]
        for k in range(ptr[v], ptr[v + 1]):
            w = adj[k]
            if road[w] and not inside[w] and not mark[w] and not source[w] and lv[w] > lv[v]:
                mark[w] = True
                heap[(head + queued) % n] = w
                queued += 1
    while queued > 0:
        w = heap[head]
        head = (head + 1) % n
        queued -= 1
        mark[w] = False
        if inside[w]:
            continue
        supported = False
        for k in range(ptr[w], ptr[w + 1]):
            u = adj[k]
            if road[u] and not inside[u] and lv[u] < lv[w]:
                supported = True
                break
        if supported:
            continue
        inside[w] = True
        region[size] = w
        size += 1
        for k in range(ptr[w], ptr[w + 1]):
            y = adj[k]
            if road[y] and not inside[y] and not mark[y] and not source[y] and lv[y] > lv[w]:
                mark[y] = True
                heap[(head + queued) % n] = y
                queued += 1
    # Bottleneck search inside the region, from its border (reachable at hour 0).
    top = horizon + 1
    bucket = np.full(top + 1, -1, dtype=np.int64)
    nxt, val = scratch.pool_next, scratch.pool_value
    used = 0
    for i in range(size):
        out[region[i]] = INF
    for i in range(size):
        v = region[i]
        key = INF
        if source[v]:
            key = opens[v]
        for k in range(ptr[v], ptr[v + 1]):
            u = adj[k]
            if road[u] and not inside[u]:
                key = min(key, opens[v])
        if key <= top and key < out[v]:
            out[v] = key
            val[used] = v
            nxt[used] = bucket[int(key)]
            bucket[int(key)] = used
            used += 1
    for b in range(top + 1):
        while bucket[b] >= 0:
            x = bucket[b]
            bucket[b] = nxt[x]
            v = val[x]
            if out[v] < b:
                continue  # reached earlier through a better path
            for k in range(ptr[v], ptr[v + 1]):
                u = adj[k]
                if not inside[u]:
                    continue
                key = max(float(b), opens[u])
                if key <= top and key < out[u]:
                    out[u] = key
                    val[used] = u
                    nxt[used] = bucket[int(key)]
                    bucket[int(key)] = used
                    used += 1
    for i in range(size):
        inside[region[i]] = False
    return size


class Scratch(NamedTuple):
    """Per-thread scratch space of the crews' scheduling (asset-sized, reused)."""

    inside: np.ndarray  # (N,) bool: in the late-reachable road region
    region: np.ndarray  # (N,) its nodes
    mark: np.ndarray  # (N,) bool
    heap: np.ndarray  # (N,) circular queue of the search
    pool_next: np.ndarray  # bucket lists
    pool_value: np.ndarray
    opens: np.ndarray  # (N,) hour each road member is passable again
    closed: np.ndarray  # (N,) road members out


@njit(cache=True)
def new_scratch(st: Structure) -> Scratch:
    """Scratch space for :func:`crews` on ``st``."""
    n = st.network.shape[0]
    pool = n + st.adj.shape[0] + 16
    return Scratch(
        np.zeros(n, dtype=np.bool_),
        np.empty(n, dtype=np.int64),
        np.zeros(n, dtype=np.bool_),
        np.empty(n, dtype=np.int64),
        np.empty(pool, dtype=np.int64),
        np.empty(pool, dtype=np.int64),
        np.zeros(n),
        np.empty(n, dtype=np.int64),
    )


@njit(cache=True)
def _sift_down(free: np.ndarray, crew: np.ndarray, count: int, value: float) -> None:
    """Give the heap's top crew a new free hour and restore the heap (key: hour, crew)."""
    who = crew[0]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= count:
            break
        right = child + 1
        if right < count and (
            free[right] < free[child] or (free[right] == free[child] and crew[right] < crew[child])
        ):
            child = right
        if free[child] < value or (free[child] == value and crew[child] < who):
            free[i] = free[child]
            crew[i] = crew[child]
            i = child
        else:
            break
    free[i] = value
    crew[i] = who


@njit(cache=True, locals={"n_closed": types.int64})  # int64, not a literal 0
def crews(
    st: Structure,
    asset: np.ndarray,
    ready: np.ndarray,
    hours: np.ndarray,
    needs_crew: np.ndarray,
    rank: np.ndarray,
    local: np.ndarray,
    aid: np.ndarray,
    aid_at: np.ndarray,
    speed: float,
    horizon: int,
    scratch: Scratch,
    reach: np.ndarray,
    up: np.ndarray,
) -> int:
    """Hour each outage of one scenario ends (``up``), crews scheduled by ``rank``.

    Outages without a crew end ``hours`` after ``ready``. Road members are repaired first
    (their sectors' crews need no open road); the hour each road member is passable again
    then gives every other asset the hour it is reachable (``reach``, per road node: 0
    everywhere on entry; the returned count of ``scratch.region`` nodes must be reset to 0
    after use).
    """
    m = asset.shape[0]
    n = st.network.shape[0]
    crewed = 0
    region = 0
    any_road = False
    for i in range(m):
        if needs_crew[i]:
            crewed += 1
        else:
            up[i] = ready[i] + hours[i]
        if st.road[asset[i]]:
            any_road = True
    order = np.empty(crewed, dtype=np.int64)
    keys = np.empty(crewed, dtype=np.int64)
    j = 0
    for i in range(m):
        if needs_crew[i]:
            a = asset[i]
            # Sector-major, then priority rank; road sectors (pass 0) before the others.
            keys[j] = st.sector[a] * np.int64(n) + rank[a]
            order[j] = i
            j += 1
    order = order[_sort_by(keys)]
    road_sector = st.road_sector
    if any_road:
        for i in range(m):
            if needs_crew[i] and road_sector[st.sector[asset[i]]]:
                up[i] = INF  # scheduled below
    for phase in range(2):
        if phase == 1 and any_road:
            opens = scratch.opens
            n_closed = 0
            for i in range(m):
                a = asset[i]
                if st.road[a]:
                    # A road back after the horizon counts as back just after it.
                    back = min(np.ceil(up[i]), horizon + 1.0)
                    if back > 0:
                        opens[a] = max(opens[a], back)
                        scratch.closed[n_closed] = a
                        n_closed += 1
            region = reachable(st, opens, scratch.closed, n_closed, scratch, horizon, reach)
            for i in range(n_closed):
                opens[scratch.closed[i]] = 0.0
        start = 0
        while start < crewed:
            code = st.sector[asset[order[start]]]
            stop = start
            while stop < crewed and st.sector[asset[order[stop]]] == code:
                stop += 1
            if road_sector[code] == (phase == 0):
                # Crews by the hour they are free (ties: the lower crew number), in a heap.
                count = local[code] + aid[code]
                free = np.empty(count)
                crew = np.empty(count, dtype=np.int64)
                for c in range(count):
                    free[c] = 0.0 if c < local[code] else aid_at[code]
                    crew[c] = c
                for q in range(start, stop):
                    i = order[q]
                    a = asset[i]
                    if count == 0:
                        up[i] = INF
                        continue
                    leave = free[0]
                    node = st.access_node[a]
                    if phase == 1 and any_road and node >= 0 and not st.road[a]:
                        leave = max(leave, reach[node])
                    if leave == INF:
                        up[i] = INF
                        continue
                    arrive = leave + st.travel[a]
                    begin = max(arrive, ready[i])
                    done = begin + hours[i] / speed
                    up[i] = done
                    _sift_down(free, crew, count, done + st.travel[a])
            start = stop
    return region
