"""Compiled sweeps: the failure cascade of many scenarios, and what each asset's loss costs.

Both use the spreading rules of :mod:`crisis.simulation.spread` (the same code as the hour
loop), one scenario (or one asset) per step, threads in parallel; state is reset by undoing
what changed, so a step costs what it touches, not the city's size.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit, types

from crisis.simulation.flat import Structure
from crisis.simulation.spread import flip, new_state, reset, share, spread_down, touch_group

# Plain int64 and bool values, not literals, so that these calls reuse the hour loop's
# compiled helpers (see kernel.hours).
_PLAIN = {"t": types.int64, "tail": types.int64, "one": types.int64, "off": types.boolean}


@njit(cache=True, nogil=True, locals=_PLAIN)
def _down_worker(
    st: Structure,
    ptr: np.ndarray,
    damaged: np.ndarray,
    b_ptr: np.ndarray,
    bridged: np.ndarray,
    working: np.ndarray,
    first: int,
    step: int,
) -> None:
    s = new_state(st)
    sumw0 = s.sumw.copy()
    cnt0 = s.cnt.copy()
    log = [(0, 0, 0)]
    log.pop()
    t, off = 0, False
    for j in range(first, ptr.shape[0] - 1, step):
        for q in range(b_ptr[j], b_ptr[j + 1]):
            g = bridged[q]
            touch_group(s, g)
            s.force[g] = True
        tail = 0
        for q in range(ptr[j], ptr[j + 1]):
            a = damaged[q]
            if s.out[a]:
                continue
            s.out[a] = True
            flip(st, s, a, False, t, log, off)
            s.queue[tail] = a
            tail += 1
        spread_down(st, s, 0, tail, t, log, off)
        working[j, :] = s.working
        reset(st, s, sumw0, cnt0)


def down_columns(
    st: Structure,
    ptr: np.ndarray,
    damaged: np.ndarray,
    b_ptr: np.ndarray,
    bridged: np.ndarray,
    working: np.ndarray,
    threads: int,
) -> None:
    """Failures spread from each scenario's damage with its bridged groups.

    Scenario ``j`` has damaged assets ``damaged[ptr[j]:ptr[j+1]]`` and bridged groups
    ``bridged[b_ptr[j]:b_ptr[j+1]]``; row ``j`` of ``working`` (``(S, N)``) receives the
    largest consistent state. ``st`` must have no stores (only the given groups bridge).
    """
    _in_threads(_down_worker, ptr.shape[0] - 1, threads, st, ptr, damaged, b_ptr, bridged, working)


@njit(cache=True, nogil=True, locals=_PLAIN)
def _loss_worker(st: Structure, n_d: int, loss: np.ndarray, first: int, step: int) -> None:
    s = new_state(st)
    sumw0 = s.sumw.copy()
    cnt0 = s.cnt.copy()
    log = [(0, 0, 0)]
    log.pop()
    t, one, off = 0, 1, False
    for a in range(first, st.network.shape[0], step):
        s.out[a] = True
        flip(st, s, a, False, t, log, off)
        s.queue[0] = a
        spread_down(st, s, 0, one, t, log, off)
        total = 0.0
        for q in range(s.counters[3]):
            sd = s.sd_list[q]
            total += st.pop[sd] * (1.0 - share(st, s, sd, n_d))
        loss[a] = total
        reset(st, s, sumw0, cnt0)


def single_losses(st: Structure, n_d: int, loss: np.ndarray, threads: int) -> None:
    """``loss[a]``: people-services lost when asset ``a`` alone fails, backups aside.

    A district of ``p`` people losing a share ``x`` of a service counts ``p·x``; the
    cascade runs with every store empty, so a dependant counts whatever its backup.
    """
    _in_threads(_loss_worker, st.network.shape[0], threads, st, int(n_d), loss)


def _in_threads(worker: Callable[..., None], count: int, threads: int, *args: object) -> None:
    """Run ``worker(*args, first, step)`` in up to ``threads`` threads, one per ``first``.

    Worker ``first`` takes items ``first, first + step, …`` of ``count``; workers are
    compiled without the GIL (``nogil``), so the threads run side by side. For the sweeps,
    which run once per city: a ``prange`` over the workers runs them about 20 % faster but
    makes numba compile the whole cascade three more times, seconds more than it saves.
    """
    step = min(threads, max(count, 1))
    if step <= 1:
        worker(*args, 0, 1)
        return
    with ThreadPoolExecutor(step - 1, thread_name_prefix="crisis-kernel") as pool:
        rest = [pool.submit(worker, *args, first, step) for first in range(1, step)]
        worker(*args, 0, step)
        for done in rest:
            done.result()
