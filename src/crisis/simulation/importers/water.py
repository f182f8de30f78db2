"""Import an EPANET ``.inp`` water network (read by wntr) as the water network of a city.

==============  ==========================================  =====================
EPANET          asset                                       id
==============  ==========================================  =====================
junction        node ``junction``                           ``junction-<name>``
reservoir       node ``reservoir``, a source                ``reservoir-<name>``
tank            node ``tank``, a source                     ``tank-<name>``
pipe            link ``pipe``                               ``pipe-<name>``
pump            link ``pump`` (a pumping station)           ``pump-<name>``
valve           link ``valve``                              ``valve-<name>``
==============  ==========================================  =====================

EPANET names nodes and links in separate name spaces (Net3 has a junction *and* a pipe
called ``10``), hence the prefixes. The connectivity model is a topological first cut of
the hydraulics: flow direction, check valves, pump curves and pressures are left to the
high-fidelity check (:mod:`crisis.simulation.fidelity`). A link that starts *closed* and
that no control ever opens is an isolation valve shut for good and is left out; links that
controls open and close (pumps on a timer, a tank's fill pipe) are kept. A junction's
``population`` is its base demand in people, at ``litres_per_person_day``. Elevations are
the model's (metres), coordinates are the model's, taken as projected metres.

Tanks are finite stores (``tank_storage``, on by default). A tank is a source only while
it is refilled or while its store lasts: it *needs* (supply groups) any pump and any
reservoir of its part of the network, and its ``backup_hours`` are its hours of storage —
the usable volume (between minimum and maximum level) of the tanks in its connected part
of the network divided by the average demand of that part (wntr's expected demand,
patterns included). The connectivity model lets any tank of a part feed any of its
junctions, so the tanks of a part drain together and share one figure. When every pump
(or every reservoir) is down, the tank keeps supplying for those hours and then runs dry,
and it supplies again once the refill is back; like a generator, the store bridges one
loss per event. A tank of a part without demand, or with no volume, gets
:data:`DEFAULT_TANK_HOURS`. ``tank_storage=False`` keeps tanks as sources that never run
dry; a number gives every tank that many hours.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from crisis.exceptions import ContentError, FormatError
from crisis.simulation.city import City
from crisis.simulation.importers._common import Records, build_city, drop_isolated

_NODE_CLASS = {"Junction": "junction", "Reservoir": "reservoir", "Tank": "tank"}
#: Hours of storage of a tank that serves no demand (or whose volume is unknown).
DEFAULT_TANK_HOURS = 24.0


def read_inp(path: str | os.PathLike[str]) -> Any:
    """Read an EPANET ``.inp`` file with wntr; :class:`FormatError` naming file and line."""
    import wntr

    file = Path(path)
    if not file.is_file():
        raise FormatError(f"{file}: no such EPANET file")
    try:
        return wntr.network.WaterNetworkModel(str(file))
    except Exception as exc:  # wntr raises bare EPANET, value and key errors
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise FormatError(f"{file.name}: not a readable EPANET file ({message})") from None


def _controlled_links(wn: Any) -> set[str]:
    names: set[str] = set()
    for _, control in wn.controls():
        for action in control.actions():
            target, _attr = action.target()
            names.add(getattr(target, "name", ""))
    return names


def epanet_records(
    network: Any,
    *,
    litres_per_person_day: float = 150.0,
    name: str = "water network",
    tank_storage: bool | float = True,
) -> Records:
    """The assets of a wntr ``WaterNetworkModel``, in city-file form.

    Args:
        network: A ``wntr.network.WaterNetworkModel``.
        litres_per_person_day: Water use of one person, turning base demand into people.
        name: How errors name the network (the file name).
        tank_storage: ``True`` to make tanks finite stores with hours of storage from their
            volume and the demand they serve, a number of hours for every tank, ``False``
            for tanks that never run dry (see the module docstring).
    """
    if litres_per_person_day <= 0:
        raise ContentError(
            f"litres_per_person_day is {litres_per_person_day}, must be a positive number"
        )
    if tank_storage is not True and tank_storage is not False and not tank_storage > 0:
        raise ContentError(f"tank_storage is {tank_storage}, must be true, false or hours > 0")
    records = Records(source=name)
    people_per_m3s = 86_400.0 * 1000.0 / litres_per_person_day
    position: dict[str, tuple[float, float]] = {}
    level_of: dict[str, float] = {}
    for node_name, node in network.nodes():
        kind = _NODE_CLASS.get(type(node).__name__)
        if kind is None:
            continue
        x, y = (float(c) for c in (node.coordinates or (0.0, 0.0)))
        position[node_name] = (x, y)
        props: dict[str, Any] = {
            "id": f"{kind}-{node_name}",
            "sector": "water",
            "class": kind,
            "network": "water",
        }
        if kind == "junction":
            base = sum(float(d.base_value) for d in node.demand_timeseries_list)
            props["elevation"] = float(node.elevation)
            props["population"] = round(max(base, 0.0) * people_per_m3s, 1)
        else:
            props["source"] = True
            level = node.elevation if kind == "tank" else node.base_head
            props["elevation"] = float(level)
        level_of[node_name] = props["elevation"]
        records.add(f"{kind} '{node_name}'", x, y, props)

    kept = _controlled_links(network)
    joins: list[tuple[str, str, str]] = []
    for link_name, link in network.links():
        kind = "pump" if link.link_type == "Pump" else link.link_type.lower()
        if kind not in ("pipe", "pump", "valve"):
            continue
        status = str(getattr(link, "initial_status", "Open"))
        if status == "Closed" and link_name not in kept:
            continue
        a, b = link.start_node_name, link.end_node_name
        ends = []
        for node_name in (a, b):
            node_kind = _NODE_CLASS.get(type(network.get_node(node_name)).__name__, "junction")
            ends.append(f"{node_kind}-{node_name}")
        points = [position[a], *[tuple(v) for v in (link.vertices or [])], position[b]]
        x, y = np.asarray(points, dtype=float).mean(axis=0)
        props = {
            "id": f"{kind}-{link_name}",
            "sector": "water",
            "class": kind,
            "network": "water",
            "from": ends[0],
            "to": ends[1],
            "elevation": (level_of[a] + level_of[b]) / 2.0,
        }
        records.add(f"{kind} '{link_name}'", float(x), float(y), props)
        joins.append((a, b, props["id"]))
    if tank_storage is not False:
        hours = None if tank_storage is True else float(tank_storage)
        _tank_storage(network, records, joins, hours)
    return records


def _tank_storage(
    network: Any, records: Records, joins: list[tuple[str, str, str]], hours: float | None
) -> None:
    """Give each tank its refill groups and its hours of storage (``hours``, or from volume).

    ``joins`` holds ``(from node, to node, link asset id)`` of every imported link.
    Connectivity lets any tank of a connected part supply any of its junctions, so the
    tanks of one part drain together: each gets the part's storage over the part's demand.
    """
    from scipy import sparse
    from scipy.sparse import csgraph

    kind_of = {n: _NODE_CLASS.get(type(node).__name__) for n, node in network.nodes()}
    names = [n for n, k in kind_of.items() if k is not None]
    tanks = [n for n in names if kind_of[n] == "tank"]
    if not tanks:
        return
    at = {n: i for i, n in enumerate(names)}
    rows = [at[a] for a, _, _ in joins]
    cols = [at[b] for _, b, _ in joins]
    graph = sparse.csr_matrix((np.ones(len(joins)), (rows, cols)), shape=(len(names),) * 2)
    _, label = csgraph.connected_components(graph, directed=False)
    volume = np.zeros(label.max() + 1)
    demand = np.zeros(label.max() + 1)
    if hours is None:
        import wntr

        for tank in tanks:
            node = network.get_node(tank)
            usable = node.get_volume(node.max_level) - node.get_volume(node.min_level)
            volume[label[at[tank]]] += max(float(usable), 0.0)
        expected = wntr.metrics.average_expected_demand(network)  # m³/s, patterns included
        for node_name, value in expected.items():
            if node_name in at:
                demand[label[at[node_name]]] += max(float(value), 0.0)
    props_of = {f["properties"]["id"]: f["properties"] for f in records.features}
    for tank in tanks:
        part = label[at[tank]]
        mine = label == part
        pumps = [link for a, _, link in joins if link.startswith("pump-") and mine[at[a]]]
        intakes = [f"reservoir-{n}" for n in names if kind_of[n] == "reservoir" and mine[at[n]]]
        if not intakes:
            continue  # nothing refills it: a tank on its own stays a source
        tank_hours = hours
        if tank_hours is None:
            exact = volume[part] / (demand[part] * 3600.0) if demand[part] > 0 else 0.0
            tank_hours = round(exact, 1) if exact >= 0.1 else DEFAULT_TANK_HOURS
        props = props_of[f"tank-{tank}"]
        refill = [pumps, intakes]
        props["needs"] = [{"type": "supply", "any_of": ids} for ids in refill if ids]
        props["backup_hours"] = tank_hours


def from_epanet(
    path: str | os.PathLike[str] | Any,
    *,
    name: str | None = None,
    litres_per_person_day: float = 150.0,
    isolated: str = "error",
    tank_storage: bool | float = True,
) -> City:
    """A City holding the water network of an EPANET ``.inp`` file (or a wntr model).

    Args:
        path: Path of the ``.inp`` file, or a ``wntr.network.WaterNetworkModel``.
        name: The city's name (default: the file's stem).
        litres_per_person_day: Water use of one person, turning base demand into people.
        isolated: ``"error"`` to refuse elements that reach no reservoir or tank, ``"drop"``
            to leave them out.
        tank_storage: ``True`` (default) to make each tank a finite store that runs dry its
            hours of storage after every pump or reservoir refilling it is down; a number
            of hours for every tank; ``False`` for tanks that never run dry.

    Raises:
        FormatError: The file cannot be read (its name and EPANET's reason).
        ContentError: Naming the junction, pipe, pump or valve at fault.
    """
    if isinstance(path, str | os.PathLike):
        label = Path(path).name
        network = read_inp(path)
        name = name or Path(path).stem
    else:
        network, label = path, "water network"
        name = name or str(getattr(network, "name", None) or "water network")
    records = epanet_records(
        network, litres_per_person_day=litres_per_person_day, name=label, tank_storage=tank_storage
    )
    if not any(f["properties"].get("source") for f in records.features):
        raise ContentError(f"{label}: the network has no reservoir or tank to supply it")
    return build_city(drop_isolated(records, isolated), name)
