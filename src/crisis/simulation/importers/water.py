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
    network: Any, *, litres_per_person_day: float = 150.0, name: str = "water network"
) -> Records:
    """The assets of a wntr ``WaterNetworkModel``, in city-file form.

    Args:
        network: A ``wntr.network.WaterNetworkModel``.
        litres_per_person_day: Water use of one person, turning base demand into people.
        name: How errors name the network (the file name).
    """
    if litres_per_person_day <= 0:
        raise ContentError(
            f"litres_per_person_day is {litres_per_person_day}, must be a positive number"
        )
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
    return records


def from_epanet(
    path: str | os.PathLike[str] | Any,
    *,
    name: str | None = None,
    litres_per_person_day: float = 150.0,
    isolated: str = "error",
) -> City:
    """A City holding the water network of an EPANET ``.inp`` file (or a wntr model).

    Args:
        path: Path of the ``.inp`` file, or a ``wntr.network.WaterNetworkModel``.
        name: The city's name (default: the file's stem).
        litres_per_person_day: Water use of one person, turning base demand into people.
        isolated: ``"error"`` to refuse elements that reach no reservoir or tank, ``"drop"``
            to leave them out.

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
    records = epanet_records(network, litres_per_person_day=litres_per_person_day, name=label)
    if not any(f["properties"].get("source") for f in records.features):
        raise ContentError(f"{label}: the network has no reservoir or tank to supply it")
    return build_city(drop_isolated(records, isolated), name)
