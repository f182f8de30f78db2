"""Import a pandapower grid as the power network of a city.

Every in-service bus becomes a node asset and every in-service branch a link asset, so a
line or transformer outage is an asset failure, as everywhere in the simulator:

=====================  =====================================  ============================
pandapower             asset                                  id
=====================  =====================================  ============================
bus                    node: ``hv substation`` (≥ 50 kV),     ``bus-<index>``
                       ``substation`` (carries load) or
                       ``node``
line                   link ``cable`` or ``overhead line``    ``line-<index>``
trafo                  link ``transformer`` (hv — lv bus)     ``trafo-<index>``
trafo3w                node ``transformer`` plus one          ``trafo3w-<index>``,
                       ``connector`` link to each of its      ``trafo3w-<index>-hv|mv|lv``
                       buses in service
bus–bus switch         link ``switch`` (closed ones only)     ``switch-<index>``
impedance, dcline      link ``impedance`` / ``dc line``       ``impedance-<i>``, ``dcline-<i>``
=====================  =====================================  ============================

Switches follow :func:`pandapower.topology.create_nxgraph` with ``respect_switches=True``:
an open line or transformer switch cuts that branch, which is then left out; a closed one
keeps it; an open bus–bus switch joins nothing. Out-of-service buses and branches are left
out. **Sources** are the buses of in-service external grids and of in-service slack
generators — the same roots as :func:`pandapower.topology.unsupplied_buses` — so with the
same outages both give the same unsupplied buses. Other generators and static generators
cannot hold an island's voltage and frequency and are not sources (``gens_as_sources=True``
makes every in-service generator one). A bus's ``population`` is its in-service load in MW
times ``people_per_mw``. Positions come from the ``geo`` column (longitude/latitude,
projected to local metres) and are ``(0, 0)`` when the net has none.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from crisis.exceptions import ContentError
from crisis.simulation.city import City
from crisis.simulation.importers._common import (
    Records,
    build_city,
    drop_isolated,
    looks_like_lonlat,
    project,
)

if TYPE_CHECKING:
    import pandas as pd

#: Buses at or above this voltage (kV) are high-voltage substations.
HV_KV = 50.0


def _point(geo: Any) -> list[list[float]] | None:
    """Coordinates of a pandapower ``geo`` cell (GeoJSON text or mapping) as a vertex list."""
    if geo is None or (isinstance(geo, float) and np.isnan(geo)):
        return None
    data = json.loads(geo) if isinstance(geo, str) else geo
    coords = np.asarray(data.get("coordinates", []), dtype=float).reshape(-1, 2)
    return coords.tolist() if coords.size else None


def _bus_coordinates(net: Any) -> dict[int, tuple[float, float]]:
    coords: dict[int, tuple[float, float]] = {}
    if "geo" in net.bus.columns:
        for idx, geo in zip(net.bus.index, net.bus["geo"], strict=True):
            point = _point(geo)
            if point:
                coords[int(idx)] = (point[0][0], point[0][1])
    elif "bus_geodata" in net and len(net.bus_geodata):
        for idx, row in net.bus_geodata.iterrows():
            coords[int(idx)] = (float(row["x"]), float(row["y"]))
    return coords


def _in_service(table: pd.DataFrame) -> np.ndarray:
    if "in_service" not in table.columns:
        return np.ones(len(table), dtype=bool)
    return table["in_service"].fillna(False).to_numpy(dtype=bool)


def pandapower_records(
    net: Any,
    *,
    people_per_mw: float = 1200.0,
    gens_as_sources: bool = False,
    origin: tuple[float, float] | None = None,
    name: str = "pandapower net",
) -> tuple[Records, tuple[float, float] | None]:
    """The assets of a pandapower net, in city-file form.

    Args:
        net: A ``pandapowerNet``.
        people_per_mw: People a megawatt of load stands for (``population`` of each bus).
        gens_as_sources: Treat every in-service generator as a source, not only slack ones.
        origin: Longitude/latitude of the projection origin; default: the south-west corner
            of the buses.
        name: How errors name the net.

    Returns:
        The records and the projection origin used (``None`` when positions are not
        longitude/latitude and were kept as they are).
    """
    records = Records(source=name)
    buses = net.bus.index[_in_service(net.bus)].astype(int)
    bus_ok = set(buses.tolist())
    coords = _bus_coordinates(net)
    known = [coords[b] for b in buses if b in coords]
    lon = np.array([c[0] for c in known])
    lat = np.array([c[1] for c in known])
    if known and looks_like_lonlat(lon, lat):
        origin = origin or (float(lon.min()), float(lat.min()))
    else:
        origin = None

    def xy(points: list[list[float]]) -> tuple[float, float]:
        pts = np.asarray(points, dtype=float)
        if origin is not None:
            px, py = project(pts[:, 0], pts[:, 1], origin)
            return float(px.mean()), float(py.mean())
        return float(pts[:, 0].mean()), float(pts[:, 1].mean())

    def bus_xy(bus: int) -> tuple[float, float]:
        return xy([list(coords[bus])]) if bus in coords else (0.0, 0.0)

    load = _bus_sum(net, "load", bus_ok)
    slack = {int(b) for b in net.ext_grid["bus"][_in_service(net.ext_grid)]}
    if len(net.gen):
        gen_ok = _in_service(net.gen)
        if not gens_as_sources and "slack" in net.gen.columns:
            gen_ok &= net.gen["slack"].fillna(False).to_numpy(dtype=bool)
        slack |= {int(b) for b in net.gen["bus"][gen_ok]}
    for bus in buses:
        vn = float(net.bus.at[bus, "vn_kv"])
        kind = "hv substation" if vn >= HV_KV else ("substation" if load.get(bus) else "node")
        props: dict[str, Any] = {
            "id": f"bus-{bus}",
            "sector": "power",
            "class": kind,
            "network": "power",
            "population": round(load.get(bus, 0.0) * people_per_mw, 1),
        }
        if bus in slack:
            props["source"] = True
        records.add(f"bus {bus}", *bus_xy(bus), props)

    open_sw = ~net.switch["closed"].fillna(True).to_numpy(dtype=bool) if len(net.switch) else []
    cut: dict[str, set[int]] = {"l": set(), "t": set()}
    cut3: set[tuple[int, int]] = set()
    for (_, sw), is_open in zip(net.switch.iterrows(), open_sw, strict=True):
        if is_open and sw["et"] in cut:
            cut[sw["et"]].add(int(sw["element"]))
        elif is_open and sw["et"] == "t3":
            cut3.add((int(sw["element"]), int(sw["bus"])))

    def branch(table: str, i: int, a: int, b: int, cls: str, geo: Any = None) -> None:
        for end, bus in (("from", a), ("to", b)):
            if bus not in net.bus.index:
                raise ContentError(f"{name}: {table} {i}: {end} bus {bus} does not exist")
        if a not in bus_ok or b not in bus_ok:
            return
        pts = _point(geo)
        if pts:
            pos = xy(pts)
        else:
            (xa, ya), (xb, yb) = bus_xy(a), bus_xy(b)
            pos = ((xa + xb) / 2, (ya + yb) / 2)
        props = {
            "id": f"{table}-{i}",
            "sector": "power",
            "class": cls,
            "network": "power",
            "from": f"bus-{a}",
            "to": f"bus-{b}",
        }
        records.add(f"{table} {i}", *pos, props)

    line = net.line
    geos = line["geo"] if "geo" in line.columns else [None] * len(line)
    kinds = line["type"] if "type" in line.columns else ["cs"] * len(line)
    for i, ok, a, b, kind, geo in zip(
        line.index, _in_service(line), line["from_bus"], line["to_bus"], kinds, geos, strict=True
    ):
        if ok and int(i) not in cut["l"]:
            cls = "overhead line" if kind == "ol" else "cable"
            branch("line", int(i), int(a), int(b), cls, geo)
    trafo = net.trafo
    for i, ok, a, b in zip(
        trafo.index, _in_service(trafo), trafo["hv_bus"], trafo["lv_bus"], strict=True
    ):
        if ok and int(i) not in cut["t"]:
            branch("trafo", int(i), int(a), int(b), "transformer")
    for table, cls in (("impedance", "impedance"), ("dcline", "dc line")):
        frame = net.get(table, None)
        if frame is None or not len(frame):
            continue
        for i, ok, a, b in zip(
            frame.index, _in_service(frame), frame["from_bus"], frame["to_bus"], strict=True
        ):
            if ok:
                branch(table, int(i), int(a), int(b), cls)
    if len(net.switch):
        sw = net.switch
        for i, is_open, et, a, b in zip(
            sw.index, open_sw, sw["et"], sw["bus"], sw["element"], strict=True
        ):
            if et == "b" and not is_open:
                branch("switch", int(i), int(a), int(b), "switch")
    _trafo3w(net, records, bus_ok, cut3, bus_xy)
    return records, origin


def _bus_sum(net: Any, table: str, buses: set[int]) -> dict[int, float]:
    frame = net[table]
    if not len(frame):
        return {}
    ok = _in_service(frame)
    scaling = frame["scaling"].fillna(1.0).to_numpy() if "scaling" in frame.columns else 1.0
    p = np.abs(frame["p_mw"].fillna(0.0).to_numpy()) * scaling
    out: dict[int, float] = {}
    for bus, value in zip(frame["bus"].to_numpy()[ok], np.asarray(p)[ok], strict=True):
        if int(bus) in buses:
            out[int(bus)] = out.get(int(bus), 0.0) + float(value)
    return out


def _trafo3w(
    net: Any, records: Records, bus_ok: set[int], cut3: set[tuple[int, int]], bus_xy: Any
) -> None:
    frame = net.get("trafo3w", None)
    if frame is None or not len(frame):
        return
    for i, ok, hv, mv, lv in zip(
        frame.index,
        _in_service(frame),
        frame["hv_bus"],
        frame["mv_bus"],
        frame["lv_bus"],
        strict=True,
    ):
        # As pandapower's own graph does, a winding whose bus is out of service (or cut by
        # an open switch) drops out and the windings that remain still join their buses.
        ends = {
            side: int(bus)
            for side, bus in (("hv", hv), ("mv", mv), ("lv", lv))
            if int(bus) in bus_ok and (int(i), int(bus)) not in cut3
        }
        if not ok or len(ends) < 2:
            continue
        star = f"trafo3w-{int(i)}"
        x, y = bus_xy(next(iter(ends.values())))
        records.add(
            f"trafo3w {i}",
            x,
            y,
            {"id": star, "sector": "power", "class": "transformer", "network": "power"},
        )
        for side, bus in ends.items():
            props = {
                "id": f"{star}-{side}",
                "sector": "power",
                "class": "connector",
                "network": "power",
                "from": star,
                "to": f"bus-{bus}",
            }
            records.add(f"trafo3w {i} ({side} side)", x, y, props)


def from_pandapower(
    net: Any,
    *,
    name: str = "grid",
    people_per_mw: float = 1200.0,
    gens_as_sources: bool = False,
    isolated: str = "error",
) -> City:
    """A City holding the power network of a pandapower net.

    Args:
        net: A ``pandapowerNet``.
        name: The city's name.
        people_per_mw: People a megawatt of load stands for.
        gens_as_sources: Treat every in-service generator as a source.
        isolated: ``"error"`` (default) to refuse buses and branches that reach no source
            even with nothing damaged, or ``"drop"`` to leave them out.

    Raises:
        ContentError: Naming the bus or branch at fault.
    """
    records, _ = pandapower_records(
        net, people_per_mw=people_per_mw, gens_as_sources=gens_as_sources
    )
    if not any(f["properties"].get("source") for f in records.features):
        raise ContentError("pandapower net: no in-service external grid or slack generator")
    return build_city(drop_isolated(records, isolated), name)
