"""Failure cascades through dependency groups and networks, for many scenarios at once.

State is an ``(N, S)`` boolean array (assets × scenarios). An asset *works* when it is not
damaged, each of its dependency groups has a working member (or is bridged by the asset's
backup), and — for a network member — a path of working members joins it to a working
source of its network. Failures only spread, so the result is the largest state that keeps
those rules: start from "every undamaged asset works" and remove assets until nothing
changes.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import csgraph

from crisis.simulation.city import City

BoolArray = npt.NDArray[np.bool_]


class Structure(Protocol):
    """What the cascade needs to know about a city."""

    @property
    def n_assets(self) -> int: ...
    @property
    def n_groups(self) -> int: ...
    @property
    def group_matrix(self) -> sparse.csr_matrix: ...
    @property
    def owner_matrix(self) -> sparse.csr_matrix: ...
    @property
    def edges(self) -> npt.NDArray[np.int32]: ...
    @property
    def network(self) -> npt.NDArray[np.int8]: ...
    @property
    def source(self) -> BoolArray: ...


def groups_satisfied(city: Structure, working: BoolArray) -> BoolArray:
    """``(G, S)``: groups with at least one working member."""
    if city.n_groups == 0:
        return np.zeros((0, working.shape[1]), dtype=bool)
    count = city.group_matrix @ working.view(np.uint8).astype(np.float32)
    return np.asarray(count > 0.5)


def _needs_met(city: Structure, satisfied: BoolArray) -> BoolArray:
    """``(N, S)``: assets all of whose groups are satisfied."""
    if city.n_groups == 0:
        return np.ones((city.n_assets, satisfied.shape[1]), dtype=bool)
    missing = city.owner_matrix @ (~satisfied).view(np.uint8).astype(np.float32)
    return np.asarray(missing < 0.5)


def fed_from_source(city: Structure, alive: BoolArray) -> BoolArray:
    """``(N, S)``: network members joined to a live source through live members.

    All scenarios are solved at once as one block-diagonal graph. Scenarios where every
    network member is alive need no search: a valid city has every member connected.
    """
    fed = alive.copy()
    members = city.network >= 0
    broken = ~alive[members].all(axis=0)
    cols = np.flatnonzero(broken)
    if len(city.edges) == 0:
        fed[members] &= city.source[members][:, None]
        return fed
    if cols.size == 0:
        return fed
    sub = alive[:, cols]
    n, k = city.n_assets, cols.size
    e = city.edges
    both = sub[e[:, 0]] & sub[e[:, 1]]  # (E, k)
    edge_idx, col_idx = np.nonzero(both)
    rows = col_idx * n + e[edge_idx, 0]
    targets = col_idx * n + e[edge_idx, 1]
    graph = sparse.csr_matrix(
        (np.ones(rows.size, dtype=np.int8), (rows, targets)), shape=(n * k, n * k)
    )
    _, labels = csgraph.connected_components(graph, directed=False)
    flat_alive = sub.T.reshape(-1)
    has_source = np.zeros(labels.max() + 1, dtype=bool)
    sources = np.tile(city.source, k) & flat_alive
    has_source[labels[sources]] = True
    ok = has_source[labels].reshape(k, n).T
    fed[:, cols] = np.where(members[:, None], sub & ok, sub)
    return fed


def cascade(
    city: City | Structure,
    damaged: BoolArray,
    bridged: BoolArray | None = None,
) -> BoolArray:
    """Working assets after failures propagate (compiled; scenarios in parallel).

    Args:
        city: The city.
        damaged: ``(N, S)`` assets out of service by damage (or not yet repaired).
        bridged: ``(G, S)`` groups treated as satisfied whatever their members do (a backup
            generator running); ``None`` for none.

    Returns:
        ``(N, S)`` boolean array of working assets, the same as :func:`cascade_vectorised`.
    """
    if not isinstance(city, City):
        return cascade_vectorised(city, damaged, bridged)
    import numba

    from crisis.simulation import flat, sweeps

    st = flat.structure(city)
    no_stores = st._replace(store_kind=np.zeros_like(st.store_kind))
    hit = np.asarray(damaged, dtype=bool)
    n, s = hit.shape
    cols, rows = np.nonzero(hit.T)
    ptr = np.searchsorted(cols, np.arange(s + 1)).astype(np.int64)
    if bridged is None:
        b_ptr = np.zeros(s + 1, dtype=np.int64)
        b_rows = np.zeros(0, dtype=np.int64)
    else:
        b_cols, b_rows = np.nonzero(np.asarray(bridged, dtype=bool).T)
        b_ptr = np.searchsorted(b_cols, np.arange(s + 1)).astype(np.int64)
    working = np.empty((s, n), dtype=bool)
    sweeps.down_columns(
        no_stores,
        ptr,
        rows.astype(np.int64),
        b_ptr,
        b_rows.astype(np.int64),
        working,
        numba.get_num_threads(),
    )
    return np.ascontiguousarray(working.T)


def cascade_vectorised(
    city: Structure, damaged: BoolArray, bridged: BoolArray | None = None, max_rounds: int = 10_000
) -> BoolArray:
    """Working assets after failures propagate, in whole-array numpy (the test oracle).

    Args:
        city: The city.
        damaged: ``(N, S)`` assets out of service by damage (or not yet repaired).
        bridged: ``(G, S)`` groups treated as satisfied whatever their members do (a backup
            generator running); ``None`` for none.
        max_rounds: Safety limit on propagation rounds.

    Returns:
        ``(N, S)`` boolean array of working assets.
    """
    working = ~damaged
    if bridged is None:
        bridged = np.zeros((city.n_groups, damaged.shape[1]), dtype=bool)
    for _ in range(max_rounds):
        satisfied = groups_satisfied(city, working) | bridged
        candidate = ~damaged & _needs_met(city, satisfied)
        candidate = fed_from_source(city, candidate)
        if np.array_equal(candidate, working):
            return working
        working = candidate
    return working  # pragma: no cover - rounds are bounded by N
