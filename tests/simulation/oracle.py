"""Plain-Python reference versions of the cascade, the crews and the hour loop.

Slow and obvious on purpose: the compiled engine must agree with them exactly. Each works
on one scenario at a time and recomputes everything from scratch every hour.
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np

from crisis.simulation.city import NETWORKS, City
from crisis.simulation.flat import STORE_FUEL, STORE_NONE, structure


def _neighbours(city: City) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(city.n_assets)]
    for a, b in city.edges.tolist():
        out[a].append(b)
        out[b].append(a)
    return out


def _fed(city: City, ok: list[bool], neighbours: list[list[int]]) -> list[bool]:
    fed = [False] * city.n_assets
    queue = deque(
        i for i in range(city.n_assets) if city.network[i] >= 0 and city.source[i] and ok[i]
    )
    for i in queue:
        fed[i] = True
    while queue:
        i = queue.popleft()
        for j in neighbours[i]:
            if ok[j] and not fed[j]:
                fed[j] = True
                queue.append(j)
    return fed


def cascade_one(city: City, damaged: list[bool], bridged: set[int] | None = None) -> list[bool]:
    bridged = bridged or set()
    n = city.n_assets
    neighbours = _neighbours(city)
    groups = [
        (int(city.group_owner[g]), [int(m) for m in city.members_of(g)])
        for g in range(city.n_groups)
    ]
    working = [not d for d in damaged]
    while True:
        ok = list(working)
        for g, (owner, members) in enumerate(groups):
            if g not in bridged and not any(working[m] for m in members):
                ok[owner] = False
        ok = [ok[i] and not damaged[i] for i in range(n)]
        fed = _fed(city, ok, neighbours)
        new = [ok[i] and (city.network[i] < 0 or fed[i]) for i in range(n)]
        if new == working:
            return working
        working = new


def reach_one(city: City, opens: dict[int, float]) -> dict[int, float]:
    """First hour each road node is reachable from a depot (bottleneck paths, Dijkstra)."""
    road = city.network == NETWORKS.index("roads")
    neighbours = _neighbours(city)
    best = {v: math.inf for v in np.flatnonzero(road).tolist()}
    heap = []
    for v in np.flatnonzero(road & city.source).tolist():
        best[v] = min(best[v], opens.get(v, 0.0))
        heapq.heappush(heap, (best[v], v))
    while heap:
        key, v = heapq.heappop(heap)
        if key > best[v]:
            continue
        for u in neighbours[v]:
            if not road[u]:
                continue
            cand = max(key, opens.get(u, 0.0))
            if cand < best[u]:
                best[u] = cand
                heapq.heappush(heap, (cand, u))
    return best


def schedule_one(
    city: City,
    outages: list[tuple[int, float, float, float, bool]],
    order: np.ndarray,
    horizon: int,
    speed: float = 1.0,
) -> tuple[list[float], dict[int, float]]:
    """Hour each outage ``(asset, down, ready, hours, crew)`` ends, and road reachability.

    Crews of each sector take their outages in ``order``; the sectors that own roads first
    and without waiting for roads; then the rest, leaving once a road from a depot is open.
    """
    st = structure(city)
    position = {int(a): k for k, a in enumerate(order)}
    up = [ready + hours if not crew else math.inf for _, _, ready, hours, crew in outages]
    crewed = sorted(
        (i for i, o in enumerate(outages) if o[4]),
        key=lambda i: (int(city.sector[outages[i][0]]), position[outages[i][0]]),
    )
    road_sectors = {int(c) for c in city.sector[st.road]}  # sectors that own roads
    reach: dict[int, float] = {}
    for phase in (0, 1):
        if phase == 1 and any(st.road[o[0]] for o in outages):
            opens: dict[int, float] = {}
            for i, (a, *_rest) in enumerate(outages):
                if st.road[a]:
                    opens[a] = max(opens.get(a, 0.0), min(math.ceil(up[i]), horizon + 1))
            reach = reach_one(city, opens)
        for code in sorted({int(city.sector[outages[i][0]]) for i in crewed}):
            if (code in road_sectors) != (phase == 0):
                continue
            crews = city.crews_for(_sector_name(code))
            aid_at = max(0.0, crews.mutual_aid_delay_hours - city.warning_hours)
            free = [0.0] * crews.local + [aid_at] * crews.mutual_aid
            for i in (i for i in crewed if int(city.sector[outages[i][0]]) == code):
                a, _, ready, hours, _ = outages[i]
                if not free:
                    up[i] = math.inf
                    continue
                c = min(range(len(free)), key=lambda k: (free[k], k))
                leave = free[c]
                node = int(st.access_node[a])
                if phase == 1 and reach and node >= 0 and not st.road[a]:
                    leave = max(leave, reach.get(node, math.inf))
                if leave == math.inf:
                    up[i] = math.inf
                    continue
                begin = max(leave + st.travel[a], ready)
                up[i] = begin + hours / speed
                free[c] = up[i] + st.travel[a]
    return up, reach


def _sector_name(code: int) -> str:
    from crisis.simulation.city import SECTORS

    return SECTORS[code]


def hours_one(
    city: City,
    outages: list[tuple[int, float, float]],
    horizon: int,
    deliveries: list[int] | None = None,
    reach: dict[int, float] | None = None,
) -> list[list[bool]]:
    """Working state at the end of each hour of one scenario.

    ``outages`` hold ``(asset, first hour out, hour back)``. Each hour: fuel deliveries at
    that hour fill reachable generators; the assets out that hour stop and failures spread
    (stores bridging their groups while they hold more than nothing); then assets that
    can run start (a network member next to a running one or a source), until nothing
    changes; then every store drains one hour where a group it bridges has no running
    member and refills otherwise.
    """
    st = structure(city)
    n = city.n_assets
    neighbours = _neighbours(city)
    groups = [
        (int(city.group_owner[g]), [int(m) for m in city.members_of(g)], bool(st.bridgeable[g]))
        for g in range(city.n_groups)
    ]
    level = {a: float(st.store_hours[a]) for a in range(n) if st.store_kind[a] != STORE_NONE}
    begin = [math.inf] * n
    end = [math.inf] * n
    for a, down, up in outages:
        b = int(down)
        e = horizon if not up < horizon else math.ceil(up)
        if e > b and b < horizon:
            begin[a], end[a] = b, e

    def bridged(g: int) -> bool:
        owner, _, can = groups[g]
        return can and level.get(owner, 0.0) > 0

    def needs_met(a: int, x: list[bool]) -> bool:
        return all(
            bridged(g) or any(x[m] for m in members)
            for g, (owner, members, _) in enumerate(groups)
            if owner == a
        )

    states = []
    x = [True] * n
    for t in range(horizon):
        if deliveries and t in deliveries:
            for o in level:
                node = int(st.access_node[o])
                if st.store_kind[o] == STORE_FUEL and (node < 0 or (reach or {}).get(node, 0) <= t):
                    level[o] = float(st.store_hours[o])
        out = [begin[a] <= t < end[a] for a in range(n)]
        while True:  # failures spread down
            y = [x[a] and not out[a] and needs_met(a, x) for a in range(n)]
            fed = _fed(city, y, neighbours)
            y = [y[a] and (city.network[a] < 0 or fed[a]) for a in range(n)]
            if y == x:
                break
            x = y
        changed = True
        while changed:  # restarts
            changed = False
            for a in range(n):
                if x[a] or out[a] or not needs_met(a, x):
                    continue
                inner = city.network[a] >= 0 and not city.source[a]
                if inner and not any(x[b] for b in neighbours[a]):
                    continue
                x[a] = True
                changed = True
        for o in level:
            missing = any(
                can and not any(x[m] for m in members)
                for owner, members, can in groups
                if owner == o
            )
            if missing:
                level[o] = max(level[o] - 1.0, 0.0)
            else:
                level[o] = min(float(st.store_hours[o]), level[o] + float(st.refill_rate[o]))
        states.append(list(x))
    return states
