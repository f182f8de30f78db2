"""The city model: assets, networks, dependency groups, districts and crews, all as arrays.

A :class:`City` holds ``N`` assets as parallel arrays indexed ``0 … N-1``. Everything else
refers to assets by that index.

Assets
    ``ids`` (unique strings), ``sector`` (codes into :data:`SECTORS`), ``asset_class`` (free
    text such as ``substation`` or ``pipe``), ``x``/``y`` (projected metres), ``elevation`` (m),
    ``population`` (people or demand served; drives the criticality priority), ``backup_hours``
    (0 = no backup), lognormal repair time ``repair_median`` (hours) and ``repair_beta``,
    ``fragility_median``/``fragility_beta`` of shape ``(N, len(FRAGILITY_MEASURES))`` (NaN
    median = not vulnerable to that intensity measure), ``flood_protection`` (height of a
    barrier in m), ``segmented`` (a cyber segmentation boundary protects the asset),
    ``criticality`` and ``cost`` tags, and ``district`` (index into the districts, -1 = none).

Networks
    Each asset belongs to at most one network (``network``: code into :data:`NETWORKS`, -1 =
    none). Network elements that can fail along a connection (lines, pipes, road segments,
    transformers) are assets too: a *link* asset has ``link_from``/``link_to`` set to the two
    node assets it joins (both -1 for a node), so a line outage is simply an asset failure.
    ``source`` marks the network's sources (generation, external grid, reservoirs, depots). A
    network member is supplied while a path of working members joins it to a working source.

Dependency groups
    Group ``g`` belongs to asset ``group_owner[g]`` (sorted ascending) and has a type
    (``group_type``: code into :data:`GROUP_TYPES`) and members
    ``group_members[group_indptr[g]:group_indptr[g+1]]``. An asset needs *all* its groups; a
    group is satisfied while *any* member works. A supply group whose members are all power
    assets can be bridged by the owner's backup for ``backup_hours``. Storage works the same
    way: a network *source* that holds a finite store (a water tank) keeps supplying for
    ``backup_hours`` after a supply group made only of members of its own network (what
    refills it: pumps, the reservoirs behind them) is lost, and stops when the store runs dry.

Districts and services
    ``district_ids``, ``district_population``, ``district_vulnerable`` (share 0–1). Service links
    in COO form (``link_service``, ``link_district``, ``link_asset``, ``link_weight``): district
    ``d`` receives service ``s`` from those assets. For a *share* service (see
    :data:`SERVICE_MODES`) the served fraction is the weight share of working assets; for an
    *any* service the district is served while any of its assets works; for a *capacity*
    service (health care) the working assets with a ``capacity`` (people they can serve)
    take the districts' demand as far as their capacity goes, patients going to any
    working asset their district lists (the most the working hospitals can take, a
    maximum flow); an asset without a capacity takes any demand.

Crews
    ``crews`` maps a sector name to a :class:`Crews` record (local crews, mutual-aid crews and
    the hours before mutual aid arrives); ``warning_hours`` is the lead time an early-warning
    system gives.

Build a City from plain records with :func:`crisis.simulation.cityfile.city_from_records` (it
names the feature and field of every mistake), or directly from arrays; call
:meth:`City.check` to validate.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import csgraph

from crisis.exceptions import ContentError, SimulationError

SECTORS: tuple[str, ...] = (
    "power",
    "water",
    "telecom",
    "transport",
    "health",
    "emergency",
    "sensor",
    "shelter",
    "other",
)
NETWORKS: tuple[str, ...] = ("power", "water", "roads")
GROUP_TYPES: tuple[str, ...] = ("supply", "control", "access", "workforce")
#: Intensity measures with a fragility curve: PGA (g), flood depth (m), heat excess (°C).
FRAGILITY_MEASURES: tuple[str, ...] = ("earthquake", "flood", "heatwave")
SERVICES: tuple[str, ...] = ("power", "water", "telecom", "health", "emergency", "mobility")
#: How a district's served fraction follows from its service assets.
SERVICE_MODES: dict[str, str] = {
    "power": "share",
    "water": "share",
    "telecom": "share",
    "health": "capacity",
    "emergency": "any",
    "mobility": "share",
}

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Fuel:
    """Fuel deliveries to generators: the first ``first_hours`` after the event, then every
    ``interval_hours``, to each site a road from a depot reaches by then."""

    first_hours: float = 24.0
    interval_hours: float = 24.0


@dataclass(frozen=True)
class Crews:
    """Repair crews of one sector."""

    local: int = 2
    mutual_aid: int = 0
    mutual_aid_delay_hours: float = 48.0


def _f(values: object, n: int, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (n,):
        raise SimulationError(f"city array '{name}' has shape {array.shape}, expected ({n},)")
    return array


@dataclass(frozen=True, eq=False)
class City:
    """An interdependent city as arrays (see the module docstring for every field)."""

    name: str
    ids: tuple[str, ...]
    sector: npt.NDArray[np.int8]
    asset_class: tuple[str, ...]
    x: FloatArray
    y: FloatArray
    elevation: FloatArray
    population: FloatArray
    backup_hours: FloatArray
    repair_median: FloatArray
    repair_beta: FloatArray
    fragility_median: FloatArray
    fragility_beta: FloatArray
    flood_protection: FloatArray
    segmented: BoolArray
    criticality: FloatArray
    cost: FloatArray
    district: IntArray
    network: npt.NDArray[np.int8]
    source: BoolArray
    link_from: IntArray
    link_to: IntArray
    group_owner: IntArray
    group_type: npt.NDArray[np.int8]
    group_indptr: npt.NDArray[np.int64]
    group_members: IntArray
    district_ids: tuple[str, ...]
    district_population: FloatArray
    district_vulnerable: FloatArray
    link_service: npt.NDArray[np.int8]
    link_district: IntArray
    link_asset: IntArray
    link_weight: FloatArray
    crews: dict[str, Crews] = field(default_factory=dict)
    warning_hours: float = 0.0
    # Optional on construction (None: no capacity limits, default refill); always arrays after.
    capacity: FloatArray = None  # type: ignore[assignment]
    refill_hours: FloatArray = None  # type: ignore[assignment]
    fuel: Fuel | None = None
    crew_speed_kmh: float = 30.0

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in (
            "x",
            "y",
            "elevation",
            "population",
            "backup_hours",
            "repair_median",
            "repair_beta",
            "flood_protection",
            "criticality",
            "cost",
        ):
            object.__setattr__(self, name, _f(getattr(self, name), n, name))
        for name, dtype in (
            ("sector", np.int8),
            ("network", np.int8),
            ("district", np.int32),
            ("link_from", np.int32),
            ("link_to", np.int32),
            ("segmented", np.bool_),
            ("source", np.bool_),
        ):
            array = np.asarray(getattr(self, name), dtype=dtype)
            if array.shape != (n,):
                raise SimulationError(f"city array '{name}' has shape {array.shape}, not ({n},)")
            object.__setattr__(self, name, array)
        object.__setattr__(
            self,
            "capacity",
            _f(np.zeros(n) if self.capacity is None else self.capacity, n, "capacity"),
        )
        refill = self._default_refill()
        if self.refill_hours is not None:
            given = _f(self.refill_hours, n, "refill_hours")
            refill = np.where(np.isnan(given), refill, given)
        object.__setattr__(self, "refill_hours", refill)
        shape = (n, len(FRAGILITY_MEASURES))
        for name in ("fragility_median", "fragility_beta"):
            array = np.asarray(getattr(self, name), dtype=np.float64).reshape(shape)
            object.__setattr__(self, name, array)
        if len(self.asset_class) != n:
            raise SimulationError("city 'asset_class' must have one entry per asset")
        object.__setattr__(self, "group_owner", np.asarray(self.group_owner, dtype=np.int32))
        object.__setattr__(self, "group_type", np.asarray(self.group_type, dtype=np.int8))
        object.__setattr__(self, "group_indptr", np.asarray(self.group_indptr, dtype=np.int64))
        object.__setattr__(self, "group_members", np.asarray(self.group_members, dtype=np.int32))
        if np.any(np.diff(self.group_owner) < 0):
            raise SimulationError("dependency groups must be sorted by owner asset")
        if len(self.group_indptr) != len(self.group_owner) + 1:
            raise SimulationError("'group_indptr' must have one entry more than 'group_owner'")
        object.__setattr__(
            self, "district_population", np.asarray(self.district_population, dtype=np.float64)
        )
        object.__setattr__(
            self, "district_vulnerable", np.asarray(self.district_vulnerable, dtype=np.float64)
        )
        object.__setattr__(self, "link_service", np.asarray(self.link_service, dtype=np.int8))
        object.__setattr__(self, "link_district", np.asarray(self.link_district, dtype=np.int32))
        object.__setattr__(self, "link_asset", np.asarray(self.link_asset, dtype=np.int32))
        object.__setattr__(self, "link_weight", np.asarray(self.link_weight, dtype=np.float64))

    def _default_refill(self) -> FloatArray:
        """A tank refills in its hours of storage; a generator only by fuel deliveries."""
        backup = np.asarray(self.backup_hours, dtype=np.float64)
        source = np.asarray(self.source, dtype=bool) & (np.asarray(self.network) >= 0)
        return np.where(source, backup, 0.0)

    # -- sizes and look-ups -------------------------------------------------------------------
    @property
    def n_assets(self) -> int:
        """Number of assets ``N``."""
        return len(self.ids)

    @property
    def n_groups(self) -> int:
        """Number of dependency groups ``G``."""
        return len(self.group_owner)

    @property
    def n_districts(self) -> int:
        """Number of districts ``D``."""
        return len(self.district_ids)

    @cached_property
    def index(self) -> dict[str, int]:
        """Asset id → index."""
        return {asset_id: i for i, asset_id in enumerate(self.ids)}

    def asset_index(self, asset_id: str) -> int:
        """Index of ``asset_id``; :class:`SimulationError` naming it when unknown."""
        try:
            return self.index[asset_id]
        except KeyError:
            raise SimulationError(f"unknown asset '{asset_id}' in city '{self.name}'") from None

    def sector_mask(self, sector: str) -> BoolArray:
        """Boolean mask of the assets of ``sector``."""
        return np.asarray(self.sector == SECTORS.index(sector))

    def replace(self, **changes: object) -> City:
        """A new City with some fields replaced (arrays are shared, never mutated)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def crews_for(self, sector: str) -> Crews:
        """Crews of ``sector`` (one local crew when the city names none)."""
        return self.crews.get(sector, Crews(local=1))

    # -- derived structure --------------------------------------------------------------------
    @cached_property
    def edges(self) -> npt.NDArray[np.int32]:
        """Undirected network edges as an ``(E, 2)`` array: node–link and link–node pairs."""
        links = np.flatnonzero(self.link_from >= 0).astype(np.int32)
        if links.size == 0:
            return np.zeros((0, 2), dtype=np.int32)
        first = np.stack([self.link_from[links], links], axis=1)
        second = np.stack([links, self.link_to[links]], axis=1)
        return np.concatenate([first, second]).astype(np.int32)

    @cached_property
    def adjacency(self) -> sparse.csr_matrix:
        """Symmetric ``(N, N)`` adjacency of all networks (they never share an edge)."""
        n = self.n_assets
        e = self.edges
        data = np.ones(2 * len(e), dtype=np.int8)
        rows = np.concatenate([e[:, 0], e[:, 1]])
        cols = np.concatenate([e[:, 1], e[:, 0]])
        return sparse.csr_matrix((data, (rows, cols)), shape=(n, n))

    @cached_property
    def group_backup(self) -> BoolArray:
        """Groups that the owner's backup can bridge for ``backup_hours``.

        A generator or battery bridges a power supply group (a supply group with a power
        asset among its members); a source's store bridges a storage group (see
        :attr:`group_storage`). A member added to a group never takes its bridge away.
        """
        if self.n_groups == 0:
            return np.zeros(0, dtype=bool)
        power = SECTORS.index("power")
        all_power = self._group_any(self.sector[self.group_members] == power)
        is_supply = self.group_type == GROUP_TYPES.index("supply")
        backed = self.backup_hours[self.group_owner] > 0
        return np.asarray((is_supply & all_power & backed) | self.group_storage)

    @cached_property
    def group_storage(self) -> BoolArray:
        """Groups a source's store bridges: what refills a network source with backup hours.

        A supply group of a network source with members in the source's own network (a
        tank's pumps and reservoirs): while none of them runs, the source supplies from its
        store for ``backup_hours`` and then runs dry.
        """
        if self.n_groups == 0:
            return np.zeros(0, dtype=bool)
        owner = self.group_owner
        of_member = np.repeat(self.network[owner], np.diff(self.group_indptr))
        own_network = self._group_any(self.network[self.group_members] == of_member)
        is_supply = self.group_type == GROUP_TYPES.index("supply")
        stores = self.source[owner] & (self.network[owner] >= 0) & (self.backup_hours[owner] > 0)
        return np.asarray(is_supply & own_network & stores)

    def _group_any(self, member_flag: BoolArray) -> BoolArray:
        """``(G,)``: groups with at least one member that has ``member_flag``."""
        hits = np.add.reduceat(member_flag.astype(np.int64), self.group_indptr[:-1])
        counts = np.diff(self.group_indptr)
        return np.asarray((hits > 0) & (counts > 0))

    def _group_all(self, member_flag: BoolArray) -> BoolArray:
        """``(G,)``: non-empty groups all of whose members have ``member_flag`` (per member)."""
        counts = np.diff(self.group_indptr)
        hits = np.add.reduceat(member_flag.astype(np.int64), self.group_indptr[:-1])
        return np.asarray((hits == counts) & (counts > 0))

    @cached_property
    def group_matrix(self) -> sparse.csr_matrix:
        """``(G, N)`` membership matrix: row g has a 1 for every member of group g."""
        counts = np.diff(self.group_indptr)
        rows = np.repeat(np.arange(self.n_groups), counts)
        data = np.ones(len(self.group_members), dtype=np.float32)
        return sparse.csr_matrix(
            (data, (rows, self.group_members)), shape=(self.n_groups, self.n_assets)
        )

    @cached_property
    def owner_matrix(self) -> sparse.csr_matrix:
        """``(N, G)`` matrix with a 1 where asset n owns group g."""
        data = np.ones(self.n_groups, dtype=np.float32)
        return sparse.csr_matrix(
            (data, (self.group_owner, np.arange(self.n_groups))),
            shape=(self.n_assets, self.n_groups),
        )

    def groups_of(self, asset: int) -> range:
        """Indices of the groups owned by ``asset``."""
        lo, hi = np.searchsorted(self.group_owner, [asset, asset + 1])
        return range(int(lo), int(hi))

    def members_of(self, group: int) -> IntArray:
        """Member asset indices of ``group``."""
        return self.group_members[self.group_indptr[group] : self.group_indptr[group + 1]]

    # -- validation ---------------------------------------------------------------------------
    def check(self, locate: dict[int, str] | None = None, source: str = "city") -> None:
        """Validate the city; raise :class:`ContentError` listing every problem found.

        Args:
            locate: Asset index → place in the source file (``assets.geojson: feature 7``),
                used to name where each problem is.
            source: Name of the city file, used when ``locate`` has no entry.
        """
        where = locate or {}
        errors: list[str] = []

        def at(i: object) -> str:
            k = int(i)  # type: ignore[call-overload]
            return where.get(k, f"{source}: asset '{self.ids[k]}'")

        for name, bad, text in (
            ("repair.median_hours", ~(self.repair_median > 0), "must be a positive number"),
            ("repair.beta", ~(self.repair_beta >= 0), "must be ≥ 0"),
            ("backup_hours", ~(self.backup_hours >= 0), "must be ≥ 0"),
            ("population", ~(self.population >= 0), "must be ≥ 0"),
            ("flood_protection", ~(self.flood_protection >= 0), "must be ≥ 0"),
        ):
            for i in np.flatnonzero(bad)[:20]:
                value = getattr(self, _ARRAY_OF[name])[i]
                errors.append(f"{at(i)}: field '{name}' is {value}, {text}")
        med, beta = self.fragility_median, self.fragility_beta
        given = ~np.isnan(med)
        for i, k in zip(*np.nonzero(given & ~(med > 0)), strict=True):
            errors.append(
                f"{at(i)}: field 'fragility.{FRAGILITY_MEASURES[k]}.median' is {med[i, k]}, "
                "must be > 0"
            )
        for i, k in zip(*np.nonzero(given & ~(beta > 0)), strict=True):
            errors.append(
                f"{at(i)}: field 'fragility.{FRAGILITY_MEASURES[k]}.beta' is {beta[i, k]}, "
                "must be > 0"
            )
        links = np.flatnonzero((self.link_from >= 0) | (self.link_to >= 0))
        for i in links:
            a, b = int(self.link_from[i]), int(self.link_to[i])
            if a < 0 or b < 0:
                errors.append(f"{at(i)}: a link needs both 'from' and 'to'")
            elif self.network[a] != self.network[i] or self.network[b] != self.network[i]:
                errors.append(f"{at(i)}: link joins assets of another network ('from'/'to')")
            elif self.link_from[a] >= 0 or self.link_from[b] >= 0:
                errors.append(f"{at(i)}: link 'from'/'to' must name nodes, not other links")
        for i in np.flatnonzero(self.source & (self.network < 0)):
            errors.append(f"{at(i)}: field 'source' is true but the asset is in no network")
        self_dep = self.group_members == np.repeat(self.group_owner, np.diff(self.group_indptr))
        for g in np.flatnonzero(np.add.reduceat(self_dep, self.group_indptr[:-1]) > 0):
            errors.append(f"{at(self.group_owner[g])}: field 'needs' lists the asset itself")
        for d in np.flatnonzero(~(self.district_population >= 0)):
            errors.append(f"{source}: district '{self.district_ids[d]}' population must be ≥ 0")
        vulnerable = self.district_vulnerable
        for d in np.flatnonzero(~((vulnerable >= 0) & (vulnerable <= 1))):
            errors.append(
                f"{source}: district '{self.district_ids[d]}' vulnerable_share is "
                f"{self.district_vulnerable[d]}, must be between 0 and 1"
            )
        for sector, crews in self.crews.items():
            if sector not in SECTORS or min(crews.local, crews.mutual_aid) < 0:
                errors.append(f"{source}: crews '{sector}' must name a sector and be ≥ 0")
        if not errors:
            dead = np.flatnonzero(~self.bootstrap())
            if dead.size:
                names = ", ".join(self.ids[i] for i in dead[:8])
                more = f" and {dead.size - 8} more" if dead.size > 8 else ""
                errors.append(
                    f"{at(dead[0])}: dependency cycle that can never start: {names}{more} "
                    "depend only on each other with no source or backup to break the loop "
                    "(field 'needs')"
                )
        if errors:
            summary = errors[0] if len(errors) == 1 else f"{errors[0]} (and {len(errors) - 1} more)"
            raise ContentError(summary, errors=errors)

    def bootstrap(self, black_start: bool = True) -> BoolArray:
        """Assets that can start from nothing: the least fixed point of the cascade rules.

        Starting with every asset down, an asset comes up once each of its groups has a member
        up (a backup-bridged group counts as up) and, for a network member, once a path of up
        members joins it to a source. With ``black_start``, a network source's supply from
        another network counts as up too: a source breaks a loop of mutual dependencies
        between networks (a plant that needs the water its power pumps).
        """
        up = np.zeros(self.n_assets, dtype=bool)
        in_net = self.network >= 0
        bridged = self.group_backup.copy()
        if black_start and self.n_groups:
            owner = self.group_owner
            members_net = self.network[self.group_members]
            of_group = np.repeat(np.arange(self.n_groups), np.diff(self.group_indptr))
            other = np.zeros(self.n_groups, dtype=bool)
            np.logical_or.at(other, of_group, members_net != self.network[owner][of_group])
            supply = self.group_type == GROUP_TYPES.index("supply")
            bridged |= supply & other & self.source[owner] & (self.network[owner] >= 0)
        while True:
            ok = _groups_ok(self, up[:, None], bridged[:, None])[:, 0]
            new = ok & ~in_net
            new |= ok & in_net & _connected_to_source(self, ok & in_net)
            if np.array_equal(new, up):
                return up
            up = new


_ARRAY_OF = {
    "repair.median_hours": "repair_median",
    "repair.beta": "repair_beta",
    "backup_hours": "backup_hours",
    "population": "population",
    "flood_protection": "flood_protection",
}


def _groups_ok(city: City, working: BoolArray, bridged: BoolArray) -> BoolArray:
    """``(N, S)``: every group of each asset has a working member or is bridged."""
    if city.n_groups == 0:
        return np.ones(working.shape, dtype=bool)
    count = city.group_matrix @ working.astype(np.float32)
    unsatisfied = (count < 0.5) & ~bridged
    return np.asarray((city.owner_matrix @ unsatisfied.astype(np.float32)) < 0.5)


def _connected_to_source(city: City, alive: BoolArray) -> BoolArray:
    """``(N,)``: alive network members joined to an alive source by alive members."""
    e = city.edges
    keep = alive[e[:, 0]] & alive[e[:, 1]]
    n = city.n_assets
    graph = sparse.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.int8), (e[keep, 0], e[keep, 1])), shape=(n, n)
    )
    _, labels = csgraph.connected_components(graph, directed=False)
    fed = np.zeros(labels.max() + 1, dtype=bool)
    fed[labels[alive & city.source]] = True
    return np.asarray(fed[labels] & alive)
