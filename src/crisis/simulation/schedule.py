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

import numpy as np
from numba import njit

from crisis.simulation.flat import Structure

INF = np.inf


@njit(cache=True)
def _sort_by(keys: np.ndarray) -> np.ndarray:
    return np.argsort(keys, kind="mergesort")


@njit(cache=True)
def reachable(
    st: Structure, opens: np.ndarray, pool: np.ndarray, horizon: int, out: np.ndarray
) -> None:
    """``out[v]``: first hour road node ``v`` is reachable from a depot (``inf``: never).

    ``opens`` holds the hour each road member is passable again (0 for those never out);
    ``pool`` is scratch space (two entries per road node and link end). Hours are whole,
    so the bottleneck search takes nodes hour by hour from buckets.
    """
    nodes, depots, adj, ptr, road = st.road_nodes, st.depots, st.adj, st.adj_ptr, st.road
    for i in range(nodes.shape[0]):
        out[nodes[i]] = INF
    top = horizon + 1
    head = np.full(top + 1, -1, dtype=np.int64)
    half = pool.shape[0] // 2
    nxt, val = pool[:half], pool[half:]
    used = 0
    for i in range(depots.shape[0]):
        v = depots[i]
        key = opens[v]
        if key <= top and key < out[v]:
            out[v] = key
            b = int(key)
            val[used] = v
            nxt[used] = head[b]
            head[b] = used
            used += 1
    for b in range(top + 1):
        while head[b] >= 0:
            x = head[b]
            head[b] = nxt[x]
            v = val[x]
            if out[v] < b:
                continue  # reached earlier through a better path
            for k in range(ptr[v], ptr[v + 1]):
                u = adj[k]
                if not road[u]:
                    continue
                key = max(float(b), opens[u])
                if key <= top and key < out[u]:
                    out[u] = key
                    c = int(key)
                    val[used] = u
                    nxt[used] = head[c]
                    head[c] = used
                    used += 1


@njit(cache=True)
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
    pool: np.ndarray,
    opens: np.ndarray,
    reach: np.ndarray,
    up: np.ndarray,
) -> None:
    """Hour each outage of one scenario ends (``up``), crews scheduled by ``rank``.

    Outages without a crew end ``hours`` after ``ready``. Road members are repaired first
    (their sectors' crews need no open road); the hour each road member is passable again
    then gives every other asset the hour it is reachable (``reach``, per road node).
    """
    m = asset.shape[0]
    n = st.network.shape[0]
    crewed = 0
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
            for i in range(st.road_nodes.shape[0]):
                opens[st.road_nodes[i]] = 0.0
            for i in range(m):
                a = asset[i]
                if st.road[a]:
                    # A road back after the horizon counts as back just after it.
                    opens[a] = max(opens[a], min(np.ceil(up[i]), horizon + 1.0))
            reachable(st, opens, pool, horizon, reach)
        start = 0
        while start < crewed:
            code = st.sector[asset[order[start]]]
            stop = start
            while stop < crewed and st.sector[asset[order[stop]]] == code:
                stop += 1
            if road_sector[code] == (phase == 0):
                free = np.empty(local[code] + aid[code])
                for c in range(local[code]):
                    free[c] = 0.0
                for c in range(aid[code]):
                    free[local[code] + c] = aid_at[code]
                for q in range(start, stop):
                    i = order[q]
                    a = asset[i]
                    if free.shape[0] == 0:
                        up[i] = INF
                        continue
                    best = 0
                    for c in range(1, free.shape[0]):
                        if free[c] < free[best]:
                            best = c
                    leave = free[best]
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
                    free[best] = done + st.travel[a]
            start = stop
    if not any_road:
        for i in range(st.road_nodes.shape[0]):
            reach[st.road_nodes[i]] = 0.0
