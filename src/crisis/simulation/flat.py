"""The city as flat arrays for the compiled kernels, built once per city object.

:class:`Structure` is a named record of arrays (a ``NamedTuple``, which numba passes to
compiled functions as it is). Asset arrays have ``N`` entries, group arrays ``G``; "links"
are a district's service links (``L``), ``K`` services × ``D`` districts make the ``sd``
index ``k·D + d``.
"""

from __future__ import annotations

import threading
import weakref
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import csgraph

from crisis.simulation.city import NETWORKS, SECTORS, SERVICE_MODES, SERVICES, City

# numba's fallback threading layer (workqueue) cannot run parallel kernels from two threads
# at once; simulations started from several threads of one process take turns.
LOCK = threading.Lock()

#: How a district's share of a service follows from its service assets (codes).
MODE_SHARE, MODE_ANY, MODE_CAPACITY = 0, 1, 2
#: Store kinds: none, a generator (refilled by fuel deliveries), a battery or tank
#: (refilled from its supply at its refill rate).
STORE_NONE, STORE_FUEL, STORE_RECHARGE = 0, 1, 2

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


class Structure(NamedTuple):
    """Everything the compiled kernels read about a city."""

    #: ``(G+1,)`` start of each group's members in ``g_members``.
    g_ptr: I64
    #: ``(M,)`` member assets, group by group.
    g_members: I64
    #: ``(G,)`` owner asset of each group (ascending).
    g_owner: I64
    #: ``(G,)`` the owner's store (generator, battery, tank) can bridge the group.
    bridgeable: B
    #: ``(N+1,)`` start of each asset's groups-as-member in ``m_groups``.
    m_ptr: I64
    #: ``(M,)`` groups each asset is a member of, asset by asset.
    m_groups: I64
    #: ``(N+1,)`` start of each asset's own groups (groups are sorted by owner).
    o_ptr: I64
    #: ``(N+1,)``, ``(2E,)`` symmetric network adjacency (CSR).
    adj_ptr: I64
    adj: I64
    #: ``(N,)`` network code (-1: none) and source flag.
    network: I64
    source: B
    #: ``(N,)`` breadth-first distance from a source in the intact network (-1: none).
    level0: I64
    #: ``(N,)`` store capacity in hours (0: none), store kind, refill rate (hours per hour).
    store_hours: F64
    store_kind: I64
    refill_rate: F64
    #: ``(N+1,)``, ``(L,)`` service links by asset.
    a_link_ptr: I64
    a_links: I64
    #: ``(L,)`` service-district index ``k·D + d`` and weight (share within the district).
    l_sd: I64
    l_weight: F64
    #: ``(N,)`` capacity (people of demand) of a capacity-service asset; 0 = unlimited.
    capacity: F64
    #: ``(L,)`` asset of each link (for the capacity flow).
    l_asset: I64
    #: ``(K,)`` how each service's share is computed (``MODE_*``).
    mode: I64
    #: ``(K·D,)`` people and vulnerable people of each district that take each service.
    pop: F64
    vul: F64
    #: ``(K,)`` their totals.
    total: F64
    total_v: F64
    #: ``(K·D,)`` links of each service-district (``sd_ptr`` into ``sd_links``).
    sd_ptr: I64
    sd_links: I64
    #: ``(N,)`` sector code of each asset.
    sector: I64
    #: ``(N,)`` the road node crews (and fuel) reach an asset through (-1: no roads).
    access_node: I64
    #: ``(N,)`` one-way travel hours from the nearest depot on the intact roads.
    travel: F64
    #: ``(N,)`` member of the road network.
    road: B
    #: ``(R,)`` the road network's members, and its depots (sources).
    road_nodes: I64
    depots: I64
    #: ``(len(SECTORS),)`` sectors that own road members: their crews clear their own way.
    road_sector: B
    #: ``(1,)`` the capacity-mode service (-1: none) and the flow graph of its districts:
    #: ``f_ptr`` (D+1) into ``f_node`` (each district's assets, as flow nodes), flow node →
    #: asset (``f_asset``), the edges into each node (``r_ptr``/``r_edge``) and each node's
    #: capacity (``inf`` when unlimited).
    cap_service: I64
    f_ptr: I64
    f_node: I64
    f_dist: I64
    f_asset: I64
    r_ptr: I64
    r_edge: I64
    f_capacity: F64


_STRUCTURES: weakref.WeakKeyDictionary[City, Structure] = weakref.WeakKeyDictionary()


def structure(city: City) -> Structure:
    """The city as flat arrays for the compiled kernels (cached per city object)."""
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
    sd = city.link_service.astype(i64) * d + city.link_district.astype(i64)
    sums = np.bincount(sd, weights=city.link_weight, minlength=k * d)
    weight = city.link_weight / np.where(sums[sd] > 0, sums[sd], 1.0)
    by_asset = np.argsort(city.link_asset, kind="stable")
    a_ptr = np.concatenate([[0], np.cumsum(np.bincount(city.link_asset, minlength=n))])
    by_sd = np.argsort(sd, kind="stable")
    sd_ptr = np.concatenate([[0], np.cumsum(np.bincount(sd, minlength=k * d))])
    served = np.bincount(sd, minlength=k * d) > 0
    pop = np.where(served, np.tile(city.district_population, k), 0.0)
    vul = pop * np.tile(city.district_vulnerable, k)
    backup = city.backup_hours.astype(np.float64)
    has_store = (backup > 0) & np.isin(np.arange(n), city.group_owner[city.group_backup])
    refill = city.refill_hours.astype(np.float64)
    kind = np.where(
        ~has_store,
        STORE_NONE,
        np.where((refill > 0) | (city.source & (code >= 0)), STORE_RECHARGE, STORE_FUEL),
    ).astype(i64)
    rate = np.where(refill > 0, backup / np.where(refill > 0, refill, 1.0), 0.0)
    modes = {"share": MODE_SHARE, "any": MODE_ANY, "capacity": MODE_CAPACITY}
    access, travel = _roads(city)
    flow = _flow_graph(city)
    built = Structure(
        g_ptr=city.group_indptr.astype(i64),
        g_members=members,
        g_owner=city.group_owner.astype(i64),
        bridgeable=city.group_backup.astype(np.bool_),
        m_ptr=m_ptr,
        m_groups=of_group[by_member],
        o_ptr=o_ptr,
        adj_ptr=adj.indptr.astype(i64),
        adj=adj.indices.astype(i64),
        network=code,
        source=city.source.astype(np.bool_),
        level0=_levels(city),
        store_hours=np.where(has_store, backup, 0.0),
        store_kind=kind,
        refill_rate=np.where(has_store, rate, 0.0),
        a_link_ptr=a_ptr.astype(i64),
        a_links=by_asset.astype(i64),
        l_sd=sd,
        l_weight=weight.astype(np.float64),
        capacity=city.capacity.astype(np.float64),
        l_asset=city.link_asset.astype(i64),
        mode=np.asarray([modes[SERVICE_MODES[s]] for s in SERVICES], dtype=i64),
        pop=pop,
        vul=vul,
        total=pop.reshape(k, d).sum(axis=1),
        total_v=vul.reshape(k, d).sum(axis=1),
        sd_ptr=sd_ptr.astype(i64),
        sd_links=by_sd.astype(i64),
        sector=city.sector.astype(i64),
        access_node=access,
        travel=travel,
        road=code == NETWORKS.index("roads"),
        road_nodes=np.flatnonzero(code == NETWORKS.index("roads")).astype(i64),
        depots=np.flatnonzero((code == NETWORKS.index("roads")) & city.source).astype(i64),
        road_sector=np.isin(np.arange(len(SECTORS)), city.sector[code == NETWORKS.index("roads")]),
        cap_service=flow["cap_service"],
        f_ptr=flow["f_ptr"],
        f_node=flow["f_node"],
        f_dist=flow["f_dist"],
        f_asset=flow["f_asset"],
        r_ptr=flow["r_ptr"],
        r_edge=flow["r_edge"],
        f_capacity=flow["f_capacity"],
    )
    _STRUCTURES[city] = built
    return built


def _flow_graph(city: City) -> dict[str, np.ndarray]:
    """The bipartite districts → assets graph of the capacity-mode service."""
    capacity_services = [k for k, s in enumerate(SERVICES) if SERVICE_MODES[s] == "capacity"]
    k = capacity_services[0] if capacity_services else -1
    d = city.n_districts
    sel = city.link_service == k
    district, asset = city.link_district[sel].astype(np.int64), city.link_asset[sel]
    order = np.lexsort((asset, district))
    district, asset = district[order], asset[order]
    nodes, node_of = np.unique(asset, return_inverse=True)
    f_ptr = np.searchsorted(district, np.arange(d + 1)).astype(np.int64)
    by_node = np.argsort(node_of, kind="stable")
    r_ptr = np.concatenate([[0], np.cumsum(np.bincount(node_of, minlength=nodes.size))])
    cap = city.capacity[nodes]
    return {
        "cap_service": np.asarray([k], dtype=np.int64),
        "f_ptr": f_ptr,
        "f_node": node_of.astype(np.int64),
        "f_dist": district,
        "f_asset": nodes.astype(np.int64),
        "r_ptr": r_ptr.astype(np.int64),
        "r_edge": by_node.astype(np.int64),
        "f_capacity": np.where(cap > 0, cap, np.inf).astype(np.float64),
    }


def _levels(city: City) -> I64:
    """Breadth-first distance of each network member from the nearest source."""
    level = np.full(city.n_assets, -1, dtype=np.int64)
    members = city.network >= 0
    sources = np.flatnonzero(members & city.source)
    if sources.size == 0:
        return level
    dist = csgraph.dijkstra(
        city.adjacency, directed=False, indices=sources, unweighted=True, min_only=True
    )
    ok = members & np.isfinite(dist)
    level[ok] = dist[ok].astype(np.int64)
    return level


def _roads(city: City) -> tuple[I64, F64]:
    """Each asset's road node and its one-way travel hours from the nearest depot.

    Depots are the road network's sources. A road member is its own road node; any other
    asset is reached through the nearest road node that is not a link (an intersection),
    and the last stretch counts as straight-line travel.
    """
    from scipy.spatial import cKDTree

    n = city.n_assets
    road = city.network == NETWORKS.index("roads")
    access = np.full(n, -1, dtype=np.int64)
    travel = np.zeros(n)
    nodes = np.flatnonzero(road & (city.link_from < 0))
    depots = np.flatnonzero(road & city.source)
    if nodes.size == 0 or depots.size == 0:
        return access, travel
    speed = max(float(city.crew_speed_kmh), 1e-3) * 1000.0  # metres per hour
    # Edge weights: half a link's length on each side of the link asset.
    links = np.flatnonzero(road & (city.link_from >= 0))
    half = 0.5 * np.hypot(
        city.x[city.link_from[links]] - city.x[city.link_to[links]],
        city.y[city.link_from[links]] - city.y[city.link_to[links]],
    )
    rows = np.concatenate([links, links, city.link_from[links], city.link_to[links]])
    cols = np.concatenate([city.link_from[links], city.link_to[links], links, links])
    w = np.concatenate([half, half, half, half]) + 1e-9
    graph = sparse.csr_matrix((w, (rows, cols)), shape=(n, n))
    dist = csgraph.dijkstra(graph, directed=False, indices=depots, min_only=True)
    hours = np.where(np.isfinite(dist), dist / speed, 0.0)
    access[road] = np.flatnonzero(road)
    travel[road] = hours[road]
    rest = np.flatnonzero(~road)
    if rest.size:
        gap, near = cKDTree(np.column_stack([city.x[nodes], city.y[nodes]])).query(
            np.column_stack([city.x[rest], city.y[rest]])
        )
        access[rest] = nodes[near]
        travel[rest] = hours[nodes[near]] + gap / speed
    return access, travel


def sector_crews(city: City) -> tuple[I64, I64, F64]:
    """``(len(SECTORS),)`` local crews, mutual-aid crews and the hour mutual aid arrives."""
    local = np.zeros(len(SECTORS), dtype=np.int64)
    aid = np.zeros(len(SECTORS), dtype=np.int64)
    at = np.zeros(len(SECTORS))
    for code, name in enumerate(SECTORS):
        crews = city.crews_for(name)
        local[code], aid[code] = crews.local, crews.mutual_aid
        at[code] = max(0.0, crews.mutual_aid_delay_hours - city.warning_hours)
    return local, aid, at
