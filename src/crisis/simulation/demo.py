"""The demo city: real open networks, with the rest of a town generated around them.

The city is assembled when first asked for, from networks that install with the libraries,
and cached (in memory, and as a city folder in the installation's cache folder):

* **Power** — pandapower's ``mv_oberrhein`` 20 kV grid with its own geodata, imported by
  :func:`~crisis.simulation.importers.pandapower_records` (179 buses, two 110/20 kV
  transformers fed by the external grid, 1,200 people per MW of load). The frame is metres
  east and north of the grid's south-west corner.
* **Water** — wntr's ``Net3`` EPANET network (92 junctions, a river intake, a lake pumping
  station, three tanks), scaled by :data:`WATER_SCALE_M` metres per model unit and centred
  on the grid, so each district gets pipes. Its three tanks are finite stores (the
  importer's ``tank_storage``): each needs a running pump and reservoir to be refilled and
  otherwise supplies for its hours of storage (Net3's usable tank volume over its average
  demand, about 10 h) before it runs dry.
* **Terrain** — a river runs south–north through the frame, past Net3's river intake,
  meandering with a 1 km amplitude. Ground rises from 0.6 m above the river's mean level at
  the bank (the flood hazard's stage datum) by up to 5.5 m over the floodplain and 3 m per
  km beyond; every asset's elevation is the ground level at its position (the hydraulic
  model keeps its own elevations).
* **Roads** — a grid of intersections every 1.5 km joined to their east and north
  neighbours; a segment that crosses the river exists only where it is a bridge (every
  third crossing), so the banks are joined by a few bridges. The intersection nearest the
  centre of each bank is a depot (the road network's source).
* **Districts** — 3 km × 3 km cells that hold at least one loaded substation; population
  is the people of those substations, vulnerable share is drawn from 12–28 %.
* **Facilities** — 3 hospitals and 5 fire stations at the intersections nearest the
  population-weighted k-means centres of the substations; 8 shelters on the highest ground
  of the 8 most populous districts; 2 telecom exchanges, cell towers on a 2.5 km grid where
  there are people, 6 flood gauges spaced along the river and a water SCADA centre.
* **Dependencies** (a group lists its alternatives): pumps need power from the 2 nearest
  substations and control from the SCADA centre; the bypass around the river pump (pipe
  330) needs that pump, since the river's head alone delivers no water; the SCADA centre
  needs power from the 2 nearest substations (12 h generator) and a cell tower of the 2
  nearest; exchanges need power from 2 substations (72 h generator); towers need power
  from the nearest substation (4 h batteries) and an exchange; hospitals need power from 2
  substations (72 h generator), water from the 2 nearest junctions and an intersection of
  the 2 nearest; fire stations need power (24 h generator), access and a cell tower;
  shelters need power, water and access; gauges need a cell tower to report (48 h
  batteries).
* **Services** — a district takes power from its substations (weighted by people), water
  from its junctions (by demand; the 3 nearest junctions when it has none), telecom from
  the towers within 2 km of its centre (the 2 nearest when none), mobility from the
  intersections, road segments and bridges in it, health care from its 2 nearest
  hospitals and emergency cover from its 2 nearest fire stations.

All random choices use :data:`DEMO_SEED`; repair times and fragility come from the class
defaults of :mod:`crisis.simulation.importers`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from crisis.exceptions import CrisisError
from crisis.simulation.city import City
from crisis.simulation.cityfile import read_city, write_city
from crisis.simulation.importers._common import Records, build_city
from crisis.simulation.importers.power import pandapower_records
from crisis.simulation.importers.water import epanet_records

DEMO_SEED = 20240611
#: Metres per Net3 model unit when the water network is placed on the grid.
WATER_SCALE_M = 350.0
#: Bump when a rule below changes, so that cached copies are rebuilt.
RULES_VERSION = "4"
DEMO_NAME = "Demo city (Oberrhein grid, Net3 water)"
#: Net3's pipe 330 joins the river intake to the network around pump 335. Connectivity
#: would let the river feed the town through it by gravity, but its head does not carry
#: (an EPANET run with both pumps and the tanks out delivers none of the demand), so in
#: the demo it carries water only while the pump runs.
_PUMP_BYPASS = {"pipe-330": "pump-335"}
_ROAD_CLASSES = ["intersection", "depot", "road segment", "bridge"]
#: Each hospital can care for this share of the town (so two of three take 90 %).
HOSPITAL_CAPACITY = 0.45
#: Fuel for generators: first delivery a day after the event, then daily, by road.
FUEL_FIRST_HOURS = 24.0
FUEL_INTERVAL_HOURS = 24.0

Array = npt.NDArray[np.float64]


def power_network() -> Any:
    """The pandapower net the demo city's grid comes from (``bus-<i>`` is bus ``i``)."""
    import pandapower.networks as pn

    return pn.mv_oberrhein()


def water_network() -> Any:
    """The wntr model the demo city's water network comes from (``junction-<name>``)."""
    import wntr

    return wntr.network.WaterNetworkModel(
        str(Path(wntr.__file__).parent / "library" / "networks" / "Net3.inp")
    )


class Terrain:
    """The demo city's ground: a meandering south–north river valley."""

    def __init__(self, river_x: float, river_y: float) -> None:
        self.x0 = river_x - 1000.0 * np.sin(2 * np.pi * river_y / 9000.0)

    def river_x(self, y: npt.ArrayLike) -> Array:
        """Easting (m) of the river's centre line at northing ``y``."""
        return np.asarray(self.x0 + 1000.0 * np.sin(2 * np.pi * np.asarray(y) / 9000.0))

    def elevation(self, x: npt.ArrayLike, y: npt.ArrayLike) -> Array:
        """Ground level (m above the river's mean level) at ``(x, y)``."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        d = np.abs(x - self.river_x(y))
        relief = 0.4 * np.sin(x / 1300.0) * np.cos(y / 1700.0)
        return np.asarray(0.6 + 5.5 * (1 - np.exp(-d / 700.0)) + 0.003 * d + relief)


def _kmeans(points: Array, weights: Array, k: int, rng: np.random.Generator) -> Array:
    """Weighted Lloyd iterations from ``k`` seeded starting points."""
    centres = points[rng.choice(len(points), size=k, replace=False)]
    for _ in range(50):
        label = cKDTree(centres).query(points)[1]
        for j in range(k):
            mine = label == j
            if weights[mine].sum() > 0:
                centres[j] = np.average(points[mine], axis=0, weights=weights[mine])
    return centres


class _Town:
    """Positions and ids of what is already placed, for the nearest-neighbour rules."""

    def __init__(self, records: Records) -> None:
        self.records = records

    def where(self, cls: str) -> tuple[list[str], Array]:
        ids, pts = [], []
        for f in self.records.features:
            if f["properties"].get("class") == cls:
                ids.append(f["properties"]["id"])
                pts.append(f["geometry"]["coordinates"])
        return ids, np.asarray(pts, dtype=float).reshape(-1, 2)

    def nearest(self, cls: str, point: npt.ArrayLike, k: int = 1) -> list[str]:
        ids, pts = self.where(cls)
        _, idx = cKDTree(pts).query(np.asarray(point, dtype=float), k=min(k, len(ids)))
        return [ids[i] for i in np.atleast_1d(idx)]

    def add(self, cls: str, sector: str, asset_id: str, xy: Any, **props: Any) -> None:
        x, y = float(xy[0]), float(xy[1])
        self.records.add(asset_id, x, y, {"id": asset_id, "sector": sector, "class": cls, **props})


def _needs(*groups: tuple[str, list[str]]) -> list[dict[str, Any]]:
    return [{"type": kind, "any_of": members} for kind, members in groups]


def _cache_folder(cache_dir: Path) -> Path:
    # Versions from the package metadata: importing pandapower to ask costs ~10 s.
    from importlib.metadata import version

    key = f"{RULES_VERSION}-{version('pandapower')}-{version('wntr')}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_dir / f"demo-city-{digest}"


@functools.lru_cache(maxsize=1)
def _built() -> City:
    return build_demo_city()


@functools.lru_cache(maxsize=4)
def demo_city(cache_dir: Path | None = None) -> City:
    """The demo city, built once per process and cached (see the module docstring).

    Args:
        cache_dir: A folder (the installation's cache, under its data dir) in which to keep a
            copy as a city folder and read it from next time, which avoids importing
            pandapower and wntr. A copy that cannot be read or written is rebuilt silently.
            ``None``: kept in memory only.
    """
    if cache_dir is None:
        return _built()
    folder = _cache_folder(Path(cache_dir))
    try:
        if (folder / "city.yaml").is_file():
            return read_city(folder)
    except (CrisisError, OSError):
        pass
    city = _built()
    # Written beside the final name and renamed into place, so that another process (a second
    # job worker) never reads a half-written copy; if two build it at once, one rename wins.
    staging = folder.with_name(f"{folder.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with contextlib.suppress(OSError):
        write_city(city, staging)
        try:
            staging.rename(folder)
        except OSError:
            # Another process was first, or an unreadable copy is in the way: replace only
            # the latter.
            try:
                read_city(folder)
            except (CrisisError, OSError):
                shutil.rmtree(folder, ignore_errors=True)
                staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return city


def load_city(spec: str | os.PathLike[str], cache_dir: Path | None = None) -> City:
    """A city by name or path: ``"demo"`` is the demo city, anything else a city folder.

    Args:
        cache_dir: Where the demo city is kept between runs (see :func:`demo_city`).
    """
    if str(spec) == "demo":
        return demo_city(cache_dir)
    return read_city(spec)


def build_demo_city() -> City:
    """Assemble the demo city from the installed networks (no cache; see the module rules)."""
    rng = np.random.default_rng(DEMO_SEED)
    records = Records(source="demo city")
    grid, _ = pandapower_records(power_network(), name="mv_oberrhein")
    records.extend(grid)
    pts = np.array([f["geometry"]["coordinates"] for f in grid.features])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2

    water = epanet_records(water_network(), name="Net3.inp")
    raw = np.array([f["geometry"]["coordinates"] for f in water.features])
    middle = (raw.min(axis=0) + raw.max(axis=0)) / 2
    for f in water.features:
        xy = (np.asarray(f["geometry"]["coordinates"]) - middle) * WATER_SCALE_M + centre
        f["geometry"]["coordinates"] = xy.tolist()
    intake = next(f for f in water.features if f["properties"]["id"] == "reservoir-River")
    terrain = Terrain(*intake["geometry"]["coordinates"])
    records.extend(water)
    town = _Town(records)

    _roads(town, terrain, lo - 750.0, hi + 750.0)
    _facilities(town, terrain, rng)
    districts = _districts(town, terrain, rng, lo)
    for f in records.features:
        x, y = f["geometry"]["coordinates"]
        f["properties"]["elevation"] = round(float(terrain.elevation(x, y)), 2)
    meta = {
        "warning_hours": 0,
        "fuel": {"first_hours": FUEL_FIRST_HOURS, "interval_hours": FUEL_INTERVAL_HOURS},
        "crews": {
            "power": {"local": 4, "mutual_aid": 6, "mutual_aid_delay_hours": 48},
            "water": {"local": 3, "mutual_aid": 4, "mutual_aid_delay_hours": 48},
            "telecom": {"local": 2, "mutual_aid": 2, "mutual_aid_delay_hours": 24},
            "transport": {"local": 3, "mutual_aid": 3, "mutual_aid_delay_hours": 24},
            "health": {"local": 1},
            "emergency": {"local": 1},
            "sensor": {"local": 1},
            "shelter": {"local": 1},
        },
        "districts": districts,
    }
    return build_city(records, DEMO_NAME, meta)


def _roads(town: _Town, terrain: Terrain, lo: Array, hi: Array) -> None:
    xs = np.arange(lo[0], hi[0] + 1, 1500.0)
    ys = np.arange(lo[1], hi[1] + 1, 1500.0)
    name = {(i, j): f"intersection-{i}-{j}" for i in range(xs.size) for j in range(ys.size)}
    for (i, j), node in name.items():
        town.add("intersection", "transport", node, (xs[i], ys[j]), network="roads")
    side = np.sign(xs[:, None] - terrain.river_x(ys[None, :]))  # (i, j): east (+1) or west
    crossings = 0
    for (i, j), node in name.items():
        for di, dj in ((1, 0), (0, 1)):
            other = name.get((i + di, j + dj))
            if other is None:
                continue
            cls = "road segment"
            if side[i, j] != side[i + di, j + dj]:
                crossings += 1
                if crossings % 3 != 1:
                    continue
                cls = "bridge"
            mid = ((xs[i] + xs[i + di]) / 2, (ys[j] + ys[j + dj]) / 2)
            town.add(
                cls,
                "transport",
                f"road-{i}-{j}-{'e' if di else 'n'}",
                mid,
                network="roads",
                **{"from": node, "to": other},
            )
    gx, gy = np.meshgrid(xs - xs.mean(), ys - ys.mean(), indexing="ij")
    for bank in (-1, 1):
        far = np.where(side == bank, np.hypot(gx, gy), np.inf)
        at = np.unravel_index(np.argmin(far), far.shape)
        depot = name[(int(at[0]), int(at[1]))]
        feature = next(f for f in town.records.features if f["properties"]["id"] == depot)
        feature["properties"].update({"class": "depot", "source": True})


def _facilities(town: _Town, terrain: Terrain, rng: np.random.Generator) -> None:
    _, sub_xy = town.where("substation")
    people = np.array(
        [
            f["properties"]["population"]
            for f in town.records.features
            if f["properties"].get("class") == "substation"
        ]
    )
    total = float(people.sum())

    def power(xy: Any, k: int = 2) -> tuple[str, list[str]]:
        return ("supply", town.nearest("substation", xy, k))

    def access(xy: Array) -> tuple[str, list[str]]:
        return ("access", town.nearest("intersection", xy, 2))

    for e, xy in enumerate(_kmeans(sub_xy, people, 2, rng)):
        town.add(
            "telecom exchange",
            "telecom",
            f"exchange-{e + 1}",
            xy,
            backup_hours=72,
            needs=_needs(power(xy)),
        )
    exchanges = ["exchange-1", "exchange-2"]
    lo, hi = sub_xy.min(axis=0), sub_xy.max(axis=0)
    t = 0
    for x in np.arange(lo[0] + 1250, hi[0], 2500.0):
        for y in np.arange(lo[1] + 1250, hi[1], 2500.0):
            if cKDTree(sub_xy).query([x, y])[0] > 1500.0:
                continue
            t += 1
            town.add(
                "cell tower",
                "telecom",
                f"tower-{t}",
                (x, y),
                backup_hours=4,
                refill_hours=8,
                needs=_needs(power((x, y), 1), ("control", exchanges)),
            )

    def radio(xy: Array) -> tuple[str, list[str]]:
        return ("control", town.nearest("cell tower", xy, 2))

    _, tank = town.where("tank")
    scada = tank.mean(axis=0)
    town.add(
        "scada centre",
        "water",
        "scada-water",
        scada,
        backup_hours=12,
        needs=_needs(power(scada), radio(scada)),
    )
    for f in list(town.records.features):
        if f["properties"].get("class") == "pump":
            xy = np.asarray(f["geometry"]["coordinates"])
            f["properties"]["needs"] = _needs(power(xy), ("control", ["scada-water"]))
        pump = _PUMP_BYPASS.get(f["properties"]["id"])
        if pump is not None:
            f["properties"]["needs"] = _needs(("supply", [pump]))
    for h, xy in enumerate(_kmeans(sub_xy, people, 3, rng)):
        xy = sub_xy[cKDTree(sub_xy).query(xy)[1]] + 60.0
        town.add(
            "hospital",
            "health",
            f"hospital-{h + 1}",
            xy,
            backup_hours=72,
            population=round(total / 3),
            capacity=round(HOSPITAL_CAPACITY * total),
            criticality=1.0,
            needs=_needs(power(xy), ("supply", town.nearest("junction", xy, 2)), access(xy)),
        )
    for s, xy in enumerate(_kmeans(sub_xy, np.ones_like(people), 5, rng)):
        xy = xy + 40.0
        town.add(
            "fire station",
            "emergency",
            f"fire-station-{s + 1}",
            xy,
            backup_hours=24,
            population=round(total / 5),
            criticality=0.8,
            needs=_needs(power(xy), access(xy), radio(xy)),
        )
    ys = np.linspace(lo[1] + 1000, hi[1] - 1000, 6)
    for g, y in enumerate(ys):
        xy = (float(terrain.river_x(y)) + 60.0, y)
        town.add(
            "flood gauge",
            "sensor",
            f"gauge-{g + 1}",
            xy,
            backup_hours=48,
            refill_hours=96,
            needs=_needs(radio(np.asarray(xy))),
        )


def _districts(
    town: _Town, terrain: Terrain, rng: np.random.Generator, lo: Array
) -> list[dict[str, Any]]:
    features = town.records.features
    xy = np.array([f["geometry"]["coordinates"] for f in features])
    cell = np.floor((xy - lo) / 3000.0).astype(int)
    props = [f["properties"] for f in features]
    cls = np.array([p.get("class") for p in props])
    pop = np.array([float(p.get("population", 0.0)) for p in props])
    loaded = (cls == "substation") & (pop > 0)
    keys = sorted({tuple(c) for c in cell[loaded]})
    districts = []
    for n, key in enumerate(keys):
        did = f"D{n + 1:02d}"
        inside = np.all(cell == key, axis=1)
        for i in np.flatnonzero(inside):
            props[i]["district"] = did
        middle = (np.asarray(key) + 0.5) * 3000.0 + lo
        mine = inside & loaded
        services: dict[str, Any] = {
            "power": {props[i]["id"]: pop[i] for i in np.flatnonzero(mine)},
            "health": town.nearest("hospital", middle, 2),
            "emergency": town.nearest("fire station", middle, 2),
        }
        junctions = np.flatnonzero(inside & (cls == "junction") & (pop > 0))
        services["water"] = (
            {props[i]["id"]: pop[i] for i in junctions}
            if junctions.size
            else town.nearest("junction", middle, 3)
        )
        near = np.flatnonzero((cls == "cell tower") & (np.hypot(*(xy - middle).T) < 2000.0))
        services["telecom"] = (
            [props[i]["id"] for i in near] if near.size else town.nearest("cell tower", middle, 2)
        )
        roads = np.flatnonzero(inside & np.isin(cls, _ROAD_CLASSES))
        services["mobility"] = (
            [props[i]["id"] for i in roads]
            if roads.size
            else town.nearest("intersection", middle, 2)
        )
        districts.append(
            {
                "id": did,
                "population": round(float(pop[mine].sum())),
                "vulnerable_share": round(float(rng.uniform(0.12, 0.28)), 3),
                "services": services,
            }
        )
    _shelters(town, terrain, districts, lo)
    return districts


def _shelters(town: _Town, terrain: Terrain, districts: list[dict[str, Any]], lo: Array) -> None:
    """A shelter on the highest ground of each of the 8 most populous districts."""
    by_people = sorted(districts, key=lambda d: -d["population"])[:8]
    offsets = np.linspace(-1200.0, 1200.0, 7)
    ox, oy = (a.ravel() for a in np.meshgrid(offsets, offsets))
    for n, district in enumerate(by_people):
        members = [
            f["geometry"]["coordinates"]
            for f in town.records.features
            if f["properties"].get("district") == district["id"]
        ]
        middle = np.mean(members, axis=0)
        height = terrain.elevation(middle[0] + ox, middle[1] + oy)
        xy = middle + np.array([ox[np.argmax(height)], oy[np.argmax(height)]])
        town.add(
            "shelter",
            "shelter",
            f"shelter-{n + 1}",
            xy,
            district=district["id"],
            backup_hours=12,
            needs=_needs(
                ("supply", town.nearest("substation", xy, 1)),
                ("supply", town.nearest("junction", xy, 2)),
                ("access", town.nearest("intersection", xy, 2)),
            ),
        )
