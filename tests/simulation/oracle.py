"""Plain-Python reference versions of the cascade and the hour loop, one scenario at a time.

Slow and obvious on purpose: the vectorised engine must agree with them exactly.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from crisis.simulation.city import City


def cascade_one(city: City, damaged: list[bool], bridged: set[int] | None = None) -> list[bool]:
    bridged = bridged or set()
    n = city.n_assets
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for a, b in city.edges.tolist():
        neighbours[a].append(b)
        neighbours[b].append(a)
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
        fed = [False] * n
        queue = deque(i for i in range(n) if city.network[i] >= 0 and city.source[i] and ok[i])
        for i in queue:
            fed[i] = True
        while queue:
            i = queue.popleft()
            for j in neighbours[i]:
                if ok[j] and not fed[j]:
                    fed[j] = True
                    queue.append(j)
        new = [ok[i] and (city.network[i] < 0 or fed[i]) for i in range(n)]
        if new == working:
            return working
        working = new


def hours_one(city: City, done: list[float], horizon: int) -> list[list[bool]]:
    """Working state at the end of each hour of one scenario, given repair completion hours.

    Hour 0: failures spread from the damage (every backup still bridging). Each hour: first
    assets whose needs are no longer met stop (failures spread, networks re-checked), then
    undamaged assets restart wherever their needs are met by running assets (a network member
    next to a running member or being a source), until nothing changes; then backup clocks
    start for owners whose bridged group has no running member.
    """
    n = city.n_assets
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for a, b in city.edges.tolist():
        neighbours[a].append(b)
        neighbours[b].append(a)
    groups = [
        (int(city.group_owner[g]), [int(m) for m in city.members_of(g)], bool(city.group_backup[g]))
        for g in range(city.n_groups)
    ]
    start: dict[int, float] = {}

    def bridged(g: int, t: int) -> bool:
        owner, _, backup = groups[g]
        return backup and not t >= start.get(owner, np.inf) + city.backup_hours[owner]

    def needs_met(a: int, x: list[bool], t: int) -> bool:
        return all(
            bridged(g, t) or any(x[m] for m in members)
            for g, (owner, members, _) in enumerate(groups)
            if owner == a
        )

    states = []
    x = [d <= 0 for d in done]
    for t in range(horizon):
        damaged = [d > t for d in done]
        while True:  # failures spread down
            y = [x[a] and needs_met(a, x, t) for a in range(n)]
            fed = [False] * n
            queue = deque(a for a in range(n) if y[a] and city.source[a] and city.network[a] >= 0)
            for a in queue:
                fed[a] = True
            while queue:
                a = queue.popleft()
                for b in neighbours[a]:
                    if y[b] and not fed[b]:
                        fed[b] = True
                        queue.append(b)
            y = [y[a] and (city.network[a] < 0 or fed[a]) for a in range(n)]
            if y == x:
                break
            x = y
        changed = True
        while changed:  # restarts
            changed = False
            for a in range(n):
                if x[a] or damaged[a] or not needs_met(a, x, t):
                    continue
                inner = city.network[a] >= 0 and not city.source[a]
                if inner and not any(x[b] for b in neighbours[a]):
                    continue
                x[a] = True
                changed = True
        for owner, members, backup in groups:
            if backup and not damaged[owner] and not any(x[m] for m in members):
                start.setdefault(owner, t)
        states.append(list(x))
    return states
