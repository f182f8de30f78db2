"""The compiled hour loop: one scenario at a time, changing only what an event touches.

State rules (the tests hold a plain-Python version of the same rules):

- Hour 0: every undamaged asset was running; failures spread down (the largest consistent
  state below "not damaged", as :func:`crisis.simulation.cascade.cascade` computes).
- Each later hour with an event: first backups that run dry take their owners down (if the
  supply they bridged is still missing) and failures spread; then repaired assets restart,
  and so does every asset whose needs are now met — a network member restarts when it is a
  source or next to a running member. Running assets keep running while supported, so
  restarting needs a path of running support, as in a black start.
- At the end of each such hour, an undamaged asset whose backup-bridged group has no running
  member starts its backup clock (once); the backup bridges it until ``start + hours``.

Work per event is proportional to what changes, except that losing a network member
re-checks that network's connectivity with one breadth-first search.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

INF = np.inf


@njit(cache=True)
def _bridged(
    g: int,
    t: int,
    bridgeable: np.ndarray,
    owner: np.ndarray,
    start: np.ndarray,
    backup: np.ndarray,
) -> bool:
    if not bridgeable[g]:
        return False
    o = owner[g]
    return not (start[o] + backup[o] <= t)


@njit(cache=True)
def _flip(
    a: int,
    on: bool,
    t: int,
    working: np.ndarray,
    a_link_ptr: np.ndarray,
    a_links: np.ndarray,
    l_sd: np.ndarray,
    l_weight: np.ndarray,
    sumw: np.ndarray,
    cnt: np.ndarray,
    log: list,
    tracing: bool,
) -> None:
    working[a] = on
    sign = 1.0 if on else -1.0
    for k in range(a_link_ptr[a], a_link_ptr[a + 1]):
        link = a_links[k]
        sumw[l_sd[link]] += sign * l_weight[link]
        cnt[l_sd[link]] += 1 if on else -1
    if tracing:
        log.append((t, a, 1 if on else 0))


@njit(cache=True)
def _served(
    sumw: np.ndarray,
    cnt: np.ndarray,
    full: np.ndarray,
    any_mode: np.ndarray,
    pop: np.ndarray,
    total: np.ndarray,
    n_d: int,
    out: np.ndarray,
    t: int,
) -> None:
    for s in range(total.shape[0]):
        if total[s] <= 0:
            out[s, t] = 1.0
            continue
        acc = 0.0
        for d in range(n_d):
            sd = s * n_d + d
            if pop[sd] <= 0 or cnt[sd] == 0:
                continue
            if any_mode[s] or cnt[sd] == full[sd]:
                acc += pop[sd]
            else:
                acc += pop[sd] * min(sumw[sd], 1.0)
        out[s, t] = acc / total[s]


@njit(cache=True)
def _bfs(
    working: np.ndarray,
    lost: np.ndarray,
    net_ptr: np.ndarray,
    net_nodes: np.ndarray,
    source: np.ndarray,
    adj_ptr: np.ndarray,
    adj: np.ndarray,
    seen: np.ndarray,
    bfs: np.ndarray,
) -> int:
    """Mark (in ``seen``) the running members of each network in ``lost`` fed from a source."""
    tail = 0
    for net in range(lost.shape[0]):
        if not lost[net]:
            continue
        for i in range(net_ptr[net], net_ptr[net + 1]):
            seen[net_nodes[i]] = False
        for i in range(net_ptr[net], net_ptr[net + 1]):
            a = net_nodes[i]
            if source[a] and working[a]:
                seen[a] = True
                bfs[tail] = a
                tail += 1
    head = 0
    while head < tail:
        v = bfs[head]
        head += 1
        for k in range(adj_ptr[v], adj_ptr[v + 1]):
            u = adj[k]
            if working[u] and not seen[u]:
                seen[u] = True
                bfs[tail] = u
                tail += 1
    return tail


@njit(cache=True)
def _column(
    done: np.ndarray,
    horizon: int,
    n_d: int,
    g_ptr: np.ndarray,
    g_members: np.ndarray,
    g_owner: np.ndarray,
    bridgeable: np.ndarray,
    m_ptr: np.ndarray,
    m_groups: np.ndarray,
    o_ptr: np.ndarray,
    adj_ptr: np.ndarray,
    adj: np.ndarray,
    network: np.ndarray,
    source: np.ndarray,
    net_ptr: np.ndarray,
    net_nodes: np.ndarray,
    backup: np.ndarray,
    a_link_ptr: np.ndarray,
    a_links: np.ndarray,
    l_sd: np.ndarray,
    l_weight: np.ndarray,
    any_mode: np.ndarray,
    pop: np.ndarray,
    vul: np.ndarray,
    total: np.ndarray,
    total_v: np.ndarray,
    served: np.ndarray,
    served_v: np.ndarray,
    gap_hours: np.ndarray,
    start: np.ndarray,
    tracing: bool,
) -> list:
    n = done.shape[0]
    n_groups = g_owner.shape[0]
    n_nets = net_ptr.shape[0] - 1
    log = [(0, 0, 0)]
    log.pop()
    working = np.ones(n, dtype=np.bool_)
    damaged = done > 0
    count = np.empty(n_groups, dtype=np.int32)
    for g in range(n_groups):
        count[g] = g_ptr[g + 1] - g_ptr[g]
    sumw = np.zeros(pop.shape[0])
    cnt = np.zeros(pop.shape[0], dtype=np.int64)
    for a in range(n):
        for k in range(a_link_ptr[a], a_link_ptr[a + 1]):
            link = a_links[k]
            sumw[l_sd[link]] += l_weight[link]
            cnt[l_sd[link]] += 1
    full = cnt.copy()
    for a in range(n):
        start[a] = INF
    queue = np.empty(n, dtype=np.int64)
    touched = np.empty(2 * n_groups + 1, dtype=np.int64)
    pending = np.empty(n, dtype=np.int64)
    n_pending = 0
    seen = np.zeros(n, dtype=np.bool_)
    bfs = np.empty(n, dtype=np.int64)
    lost = np.zeros(n_nets, dtype=np.bool_)
    # Repair completions by hour (a counting sort).
    r_ptr = np.zeros(horizon + 2, dtype=np.int64)
    for a in range(n):
        if 0 < done[a] < horizon:
            r_ptr[int(done[a]) + 1] += 1
    for t in range(horizon + 1):
        r_ptr[t + 1] += r_ptr[t]
    r_list = np.empty(r_ptr[horizon + 1], dtype=np.int64)
    fill = r_ptr[:-1].copy()
    for a in range(n):
        if 0 < done[a] < horizon:
            h = int(done[a])
            r_list[fill[h]] = a
            fill[h] += 1
    exhaust = np.zeros(horizon + 1, dtype=np.bool_)
    gap = np.zeros(pop.shape[0])
    n_touched = 0
    for t in range(horizon):
        if t > 0 and not exhaust[t] and r_ptr[t + 1] == r_ptr[t]:
            for s in range(served.shape[0]):
                served[s, t] = served[s, t - 1]
                served_v[s, t] = served_v[s, t - 1]
            for sd in range(gap.shape[0]):
                gap_hours[sd] += gap[sd]
            continue
        head = 0
        tail = 0
        if t == 0:
            for a in range(n):
                if damaged[a]:
                    _flip(
                        a,
                        False,
                        t,
                        working,
                        a_link_ptr,
                        a_links,
                        l_sd,
                        l_weight,
                        sumw,
                        cnt,
                        log,
                        tracing,
                    )
                    queue[tail] = a
                    tail += 1
        elif exhaust[t]:
            for i in range(n_pending):
                a = pending[i]
                if not working[a] or np.ceil(start[a] + backup[a]) != t:
                    continue
                for g in range(o_ptr[a], o_ptr[a + 1]):
                    if bridgeable[g] and count[g] == 0:
                        _flip(
                            a,
                            False,
                            t,
                            working,
                            a_link_ptr,
                            a_links,
                            l_sd,
                            l_weight,
                            sumw,
                            cnt,
                            log,
                            tracing,
                        )
                        queue[tail] = a
                        tail += 1
                        break
        # Failures spread down: through groups, then through network connectivity.
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
                    count[g] -= 1
                    if count[g] == 0:
                        touched[n_touched] = g
                        n_touched += 1
                        o = g_owner[g]
                        if working[o] and not _bridged(g, t, bridgeable, g_owner, start, backup):
                            _flip(
                                o,
                                False,
                                t,
                                working,
                                a_link_ptr,
                                a_links,
                                l_sd,
                                l_weight,
                                sumw,
                                cnt,
                                log,
                                tracing,
                            )
                            queue[tail] = o
                            tail += 1
            if any_lost:
                _bfs(working, lost, net_ptr, net_nodes, source, adj_ptr, adj, seen, bfs)
                for net in range(n_nets):
                    if not lost[net]:
                        continue
                    for i in range(net_ptr[net], net_ptr[net + 1]):
                        a = net_nodes[i]
                        if working[a] and not seen[a]:
                            _flip(
                                a,
                                False,
                                t,
                                working,
                                a_link_ptr,
                                a_links,
                                l_sd,
                                l_weight,
                                sumw,
                                cnt,
                                log,
                                tracing,
                            )
                            queue[tail] = a
                            tail += 1
        # Repairs complete; whatever can restart does.
        head = 0
        tail = 0
        for i in range(r_ptr[t], r_ptr[t + 1]):
            a = r_list[i]
            damaged[a] = False
            queue[tail] = a
            tail += 1
            for g in range(o_ptr[a], o_ptr[a + 1]):
                if bridgeable[g] and count[g] == 0:
                    touched[n_touched] = g
                    n_touched += 1
        while head < tail:
            a = queue[head]
            head += 1
            if working[a] or damaged[a]:
                continue
            ok = True
            for g in range(o_ptr[a], o_ptr[a + 1]):
                if count[g] == 0 and not _bridged(g, t, bridgeable, g_owner, start, backup):
                    ok = False
                    break
            if ok and network[a] >= 0 and not source[a]:
                fed = False
                for k in range(adj_ptr[a], adj_ptr[a + 1]):
                    if working[adj[k]]:
                        fed = True
                        break
                ok = fed
            if not ok:
                continue
            _flip(a, True, t, working, a_link_ptr, a_links, l_sd, l_weight, sumw, cnt, log, tracing)
            need = (m_ptr[a + 1] - m_ptr[a]) + (adj_ptr[a + 1] - adj_ptr[a])
            if tail + need > queue.shape[0]:
                queue = _compact(queue, head, tail, need)
                tail -= head
                head = 0
            for k in range(m_ptr[a], m_ptr[a + 1]):
                g = m_groups[k]
                count[g] += 1
                if count[g] == 1:
                    queue[tail] = g_owner[g]
                    tail += 1
            if network[a] >= 0:
                for k in range(adj_ptr[a], adj_ptr[a + 1]):
                    queue[tail] = adj[k]
                    tail += 1
        # A backup clock starts where a bridged supply is still missing at the end of the hour.
        for i in range(n_touched):
            g = touched[i]
            o = g_owner[g]
            if bridgeable[g] and count[g] == 0 and not damaged[o] and start[o] == INF:
                start[o] = t
                pending[n_pending] = o
                n_pending += 1
                end = int(np.ceil(t + backup[o]))
                if end < horizon:
                    exhaust[end] = True
        n_touched = 0
        _served(sumw, cnt, full, any_mode, pop, total, n_d, served, t)
        _served(sumw, cnt, full, any_mode, vul, total_v, n_d, served_v, t)
        for sd in range(gap.shape[0]):
            if cnt[sd] == full[sd] or full[sd] == 0:
                gap[sd] = 0.0
            elif cnt[sd] == 0 or any_mode[sd // n_d]:
                gap[sd] = 0.0 if cnt[sd] > 0 else 1.0
            else:
                gap[sd] = 1.0 - min(max(sumw[sd], 0.0), 1.0)
            gap_hours[sd] += gap[sd]
    return log


@njit(cache=True)
def _compact(queue: np.ndarray, head: int, tail: int, need: int) -> np.ndarray:
    new = np.empty(max(queue.shape[0] * 2, tail - head + need + 16), dtype=queue.dtype)
    new[: tail - head] = queue[head:tail]
    return new


@njit(cache=True, parallel=True)
def run_columns(
    done: np.ndarray,
    horizon: int,
    n_d: int,
    g_ptr: np.ndarray,
    g_members: np.ndarray,
    g_owner: np.ndarray,
    bridgeable: np.ndarray,
    m_ptr: np.ndarray,
    m_groups: np.ndarray,
    o_ptr: np.ndarray,
    adj_ptr: np.ndarray,
    adj: np.ndarray,
    network: np.ndarray,
    source: np.ndarray,
    net_ptr: np.ndarray,
    net_nodes: np.ndarray,
    backup: np.ndarray,
    a_link_ptr: np.ndarray,
    a_links: np.ndarray,
    l_sd: np.ndarray,
    l_weight: np.ndarray,
    any_mode: np.ndarray,
    pop: np.ndarray,
    vul: np.ndarray,
    total: np.ndarray,
    total_v: np.ndarray,
    served: np.ndarray,
    served_v: np.ndarray,
    gap_hours: np.ndarray,
) -> None:
    """Run every scenario (a column of ``done``, ``(N, S)``) in parallel.

    Fills ``served`` and ``served_v`` (``(S, K, H)``) with Q per service and hour, and
    ``gap_hours`` (``(S, K·D)``) with each district's outage hours per service (unserved
    share summed over hours).
    """
    n, count = done.shape
    for s in prange(count):
        start = np.empty(n)
        column = np.ascontiguousarray(done[:, s])
        _column(
            column,
            horizon,
            n_d,
            g_ptr,
            g_members,
            g_owner,
            bridgeable,
            m_ptr,
            m_groups,
            o_ptr,
            adj_ptr,
            adj,
            network,
            source,
            net_ptr,
            net_nodes,
            backup,
            a_link_ptr,
            a_links,
            l_sd,
            l_weight,
            any_mode,
            pop,
            vul,
            total,
            total_v,
            served[s],
            served_v[s],
            gap_hours[s],
            start,
            False,
        )
