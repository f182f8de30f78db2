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
    """Working state each hour of one scenario, given repair completion hours."""
    backup_groups = [g for g in range(city.n_groups) if city.group_backup[g]]
    start: dict[int, float] = {}
    states = []
    for t in range(horizon):
        damaged = [d > t for d in done]
        bridged = {
            g
            for g in backup_groups
            if not t
            >= start.get(int(city.group_owner[g]), np.inf) + city.backup_hours[city.group_owner[g]]
        }
        working = cascade_one(city, damaged, bridged)
        for g in backup_groups:
            owner = int(city.group_owner[g])
            lost = not any(working[m] for m in city.members_of(g)) and not damaged[owner]
            if lost and owner not in start:
                start[owner] = t
        states.append(working)
    return states
