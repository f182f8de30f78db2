"""The city as flat arrays for the compiled kernels, built once per city object."""

from __future__ import annotations

import threading
import weakref

import numpy as np

from crisis.simulation.city import NETWORKS, SERVICE_MODES, SERVICES, City

# numba's fallback threading layer (workqueue) cannot run parallel kernels from two threads
# at once; simulations started from several threads of one process take turns.
LOCK = threading.Lock()
_STRUCTURES: weakref.WeakKeyDictionary[City, tuple[np.ndarray, ...]] = weakref.WeakKeyDictionary()


def structure(city: City) -> tuple[np.ndarray, ...]:
    """The city as flat arrays for the compiled kernel (cached per city object)."""
    cached = _STRUCTURES.get(city)
    if cached is not None:
        return cached
    n, d, k = city.n_assets, city.n_districts, len(SERVICES)
    i64 = np.int64
    members = city.group_members.astype(i64)
    of_group = np.repeat(np.arange(city.n_groups, dtype=i64), np.diff(city.group_indptr))
    by_member = np.argsort(members, kind="stable")
    m_ptr = np.concatenate([[0], np.cumsum(np.bincount(members, minlength=n))]).astype(i64)
    o_ptr = np.searchsorted(city.group_owner, np.arange(n + 1)).astype(i64)
    adj = city.adjacency
    code = city.network.astype(i64)
    order = np.argsort(np.where(code < 0, len(NETWORKS), code), kind="stable")
    net_ptr = np.searchsorted(
        np.sort(np.where(code < 0, len(NETWORKS), code)), np.arange(len(NETWORKS) + 1)
    ).astype(i64)
    sd = city.link_service.astype(i64) * d + city.link_district.astype(i64)
    sums = np.bincount(sd, weights=city.link_weight, minlength=k * d)
    weight = city.link_weight / np.where(sums[sd] > 0, sums[sd], 1.0)
    by_asset = np.argsort(city.link_asset, kind="stable")
    a_ptr = np.concatenate([[0], np.cumsum(np.bincount(city.link_asset, minlength=n))])
    served = np.bincount(sd, minlength=k * d) > 0
    pop = np.where(served, np.tile(city.district_population, k), 0.0)
    vul = pop * np.tile(city.district_vulnerable, k)
    arrays = (
        city.group_indptr.astype(i64),
        members,
        city.group_owner.astype(i64),
        city.group_backup.astype(np.bool_),
        m_ptr,
        of_group[by_member],
        o_ptr,
        adj.indptr.astype(i64),
        adj.indices.astype(i64),
        code,
        city.source.astype(np.bool_),
        net_ptr,
        order.astype(i64),
        city.backup_hours.astype(np.float64),
        a_ptr.astype(i64),
        by_asset.astype(i64),
        sd,
        weight.astype(np.float64),
        np.asarray([SERVICE_MODES[s] == "any" for s in SERVICES]),
        pop,
        vul,
        pop.reshape(k, d).sum(axis=1),
        vul.reshape(k, d).sum(axis=1),
    )
    _STRUCTURES[city] = arrays
    return arrays
