"""Compiled sweeps over scenarios: crew list scheduling and failure spreading."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from crisis.simulation.kernel import _bfs


@njit(cache=True, parallel=True)
def list_schedule(
    queue: np.ndarray,
    needs_crew: np.ndarray,
    work: np.ndarray,
    speed: np.ndarray,
    free: np.ndarray,
    done: np.ndarray,
) -> None:
    """Crews take the damaged assets of ``queue`` in order, each the earliest free crew.

    Args:
        queue: Asset indices in priority order (one sector's).
        needs_crew: ``(N, S)`` damage that needs a crew.
        work: ``(N, S)`` hours of work at full strength.
        speed: ``(S,)`` share of the workforce available (work takes ``1 / speed`` longer).
        free: Hour each crew is first available.
        done: ``(N, S)`` completion hours, written for the queued damaged assets.
    """
    for s in prange(needs_crew.shape[1]):
        crew = free.astype(np.float64)
        for i in range(queue.shape[0]):
            a = queue[i]
            if not needs_crew[a, s]:
                continue
            best = 0
            for c in range(1, crew.shape[0]):
                if crew[c] < crew[best]:
                    best = c
            crew[best] = crew[best] + work[a, s] / speed[s]
            done[a, s] = crew[best]


@njit(cache=True, parallel=True)
def down_columns(
    damaged: np.ndarray,
    bridged: np.ndarray,
    g_ptr: np.ndarray,
    g_owner: np.ndarray,
    m_ptr: np.ndarray,
    m_groups: np.ndarray,
    adj_ptr: np.ndarray,
    adj: np.ndarray,
    network: np.ndarray,
    source: np.ndarray,
    net_ptr: np.ndarray,
    net_nodes: np.ndarray,
    working: np.ndarray,
) -> None:
    """Failures spread from ``damaged`` (``(N, S)``) with ``bridged`` groups (``(G, S)``).

    Writes the largest consistent state into ``working`` (``(N, S)``), scenario by scenario.
    """
    n, count = damaged.shape
    n_groups = g_owner.shape[0]
    n_nets = net_ptr.shape[0] - 1
    for s in prange(count):
        alive = np.ones(n, dtype=np.bool_)
        left = np.empty(n_groups, dtype=np.int32)
        for g in range(n_groups):
            left[g] = g_ptr[g + 1] - g_ptr[g]
        queue = np.empty(n, dtype=np.int64)
        seen = np.zeros(n, dtype=np.bool_)
        bfs = np.empty(n, dtype=np.int64)
        lost = np.zeros(n_nets, dtype=np.bool_)
        tail = 0
        for a in range(n):
            if damaged[a, s]:
                alive[a] = False
                queue[tail] = a
                tail += 1
        head = 0
        while head < tail:
            for net in range(n_nets):
                lost[net] = False
            any_lost = False
            while head < tail:
                f = queue[head]
                head += 1
                if network[f] >= 0:
                    lost[network[f]] = True
                    any_lost = True
                for k in range(m_ptr[f], m_ptr[f + 1]):
                    g = m_groups[k]
                    left[g] -= 1
                    if left[g] == 0:
                        o = g_owner[g]
                        if alive[o] and not bridged[g, s]:
                            alive[o] = False
                            queue[tail] = o
                            tail += 1
            if any_lost:
                _bfs(alive, lost, net_ptr, net_nodes, source, adj_ptr, adj, seen, bfs)
                for net in range(n_nets):
                    if not lost[net]:
                        continue
                    for i in range(net_ptr[net], net_ptr[net + 1]):
                        a = net_nodes[i]
                        if alive[a] and not seen[a]:
                            alive[a] = False
                            queue[tail] = a
                            tail += 1
        for a in range(n):
            working[a, s] = alive[a]
