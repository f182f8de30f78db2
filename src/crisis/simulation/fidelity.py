"""High-fidelity check of one scenario: a power flow and a pressure-driven hydraulic run.

The simulator decides supply by connectivity. For one scenario this module asks the physics
engines the next question about what survives:

* **power** — pandapower's Newton–Raphson power flow on the surviving grid: lines and
  transformers loaded above ``max_loading_percent`` and buses outside
  ``v_min_pu``–``v_max_pu`` (0.95–1.05 p.u., the usual distribution-grid band);
* **water** — wntr's EPANET run with pressure-dependent demand on the surviving network:
  junctions whose lowest pressure over the run is below ``required_pressure_m``, and the
  share of demand delivered.

The city's assets are matched to the engines' elements by the importers' ids
(``bus-3``, ``line-12``, ``pipe-101``, ``pump-10``, …; see
:mod:`crisis.simulation.importers`). A failed bus, line, transformer or switch is taken
out of service; a failed pipe, pump or valve is closed and its controls removed; a failed
reservoir or tank is cut off by closing its links. Assets of the city that the engine does
not have (telecom, roads, …) are ignored.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from crisis.exceptions import SimulationError
from crisis.simulation.city import City


@dataclass
class PowerFlowCheck:
    """Power-flow findings on the surviving grid.

    Attributes:
        converged: Whether the power flow converged (if not, nothing else is reported).
        overloaded: ``(asset id, loading %)`` of lines and transformers above the limit.
        low_voltage: ``(asset id, p.u.)`` of supplied buses below ``v_min_pu``.
        high_voltage: ``(asset id, p.u.)`` of supplied buses above ``v_max_pu``.
        unsupplied: Ids of buses without supply: damaged, cut off from every source, or
            left dead by the power flow.
        message: Why the run did not converge, when it did not.
    """

    converged: bool
    overloaded: list[tuple[str, float]] = field(default_factory=list)
    low_voltage: list[tuple[str, float]] = field(default_factory=list)
    high_voltage: list[tuple[str, float]] = field(default_factory=list)
    unsupplied: list[str] = field(default_factory=list)
    message: str = ""


@dataclass
class WaterPressureCheck:
    """Pressure-driven hydraulic findings on the surviving water network.

    Attributes:
        converged: Whether EPANET solved the run.
        deficient: ``(asset id, lowest pressure m)`` of demand junctions below the required
            pressure at some time of the run.
        delivered_share: Water delivered over water asked for (0–1) across the run.
        message: EPANET's complaint, when the run failed.
    """

    converged: bool
    deficient: list[tuple[str, float]] = field(default_factory=list)
    delivered_share: float = 1.0
    message: str = ""


@dataclass
class FidelityReport:
    """Both checks for one scenario (``None`` where the city has no such network)."""

    power: PowerFlowCheck | None
    water: WaterPressureCheck | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` output and result files."""
        return asdict(self)


def _state(city: City, working: npt.ArrayLike) -> dict[str, bool]:
    state = np.asarray(working, dtype=bool)
    if state.shape != (city.n_assets,):
        raise SimulationError(
            f"a scenario state needs one value per asset ({city.n_assets}), got {state.shape}"
        )
    return dict(zip(city.ids, state.tolist(), strict=True))


def power_flow_check(
    city: City,
    working: npt.ArrayLike,
    net: Any,
    *,
    max_loading_percent: float = 100.0,
    v_min_pu: float = 0.95,
    v_max_pu: float = 1.05,
) -> PowerFlowCheck:
    """Run a power flow on the part of ``net`` that works in this scenario.

    Args:
        city: The city (ids as :func:`~crisis.simulation.importers.from_pandapower` made).
        working: ``(N,)`` assets working in the scenario.
        net: The pandapower net the city's grid came from; it is not changed.
        max_loading_percent: Loading above which a line or transformer is overloaded.
        v_min_pu: Lowest acceptable bus voltage.
        v_max_pu: Highest acceptable bus voltage.
    """
    import pandapower as pp

    up = _state(city, working)
    was_in_service = net.bus["in_service"].to_numpy(dtype=bool).copy()
    net = copy.deepcopy(net)
    for table, prefix in (
        ("bus", "bus"),
        ("line", "line"),
        ("trafo", "trafo"),
        ("trafo3w", "trafo3w"),
        ("impedance", "impedance"),
        ("dcline", "dcline"),
    ):
        frame = net.get(table)
        if frame is None or not len(frame):
            continue
        failed = [i for i in frame.index if up.get(f"{prefix}-{i}", True) is False]
        frame.loc[failed, "in_service"] = False
    if len(net.switch):
        failed = [i for i in net.switch.index if up.get(f"switch-{i}", True) is False]
        net.switch.loc[failed, "closed"] = False
    try:
        pp.runpp(net, numba=False)
    except Exception as exc:  # pandapower raises its own LoadflowNotConverged and others
        return PowerFlowCheck(converged=False, message=" ".join(str(exc).split()))

    result = PowerFlowCheck(converged=True)
    for table, prefix in (("line", "line"), ("trafo", "trafo"), ("trafo3w", "trafo3w")):
        res = net.get(f"res_{table}")
        if res is None or not len(res):
            continue
        loading = res["loading_percent"].to_numpy(dtype=float)
        for i, value in zip(res.index, loading, strict=True):
            if value > max_loading_percent:
                result.overloaded.append((f"{prefix}-{i}", round(float(value), 1)))
    vm = net.res_bus["vm_pu"]
    for i, value, before in zip(vm.index, vm.to_numpy(dtype=float), was_in_service, strict=True):
        if not before:
            continue
        if np.isnan(value) or not net.bus.at[i, "in_service"]:
            result.unsupplied.append(f"bus-{i}")
        elif value < v_min_pu:
            result.low_voltage.append((f"bus-{i}", round(float(value), 4)))
        elif value > v_max_pu:
            result.high_voltage.append((f"bus-{i}", round(float(value), 4)))
    result.overloaded.sort(key=lambda item: -item[1])
    result.low_voltage.sort(key=lambda item: item[1])
    return result


def water_pressure_check(
    city: City,
    working: npt.ArrayLike,
    model: Any,
    *,
    required_pressure_m: float = 20.0,
    minimum_pressure_m: float = 0.0,
    hours: int = 24,
) -> WaterPressureCheck:
    """Run EPANET with pressure-dependent demand on the part of ``model`` that works.

    Args:
        city: The city (ids as :func:`~crisis.simulation.importers.from_epanet` made).
        working: ``(N,)`` assets working in the scenario.
        model: The wntr ``WaterNetworkModel`` the city's network came from; not changed.
        required_pressure_m: Pressure at which a junction receives its full demand.
        minimum_pressure_m: Pressure below which it receives nothing.
        hours: Length of the extended-period run.
    """
    import wntr
    from wntr.network import LinkStatus

    if not 0 <= minimum_pressure_m < required_pressure_m:
        raise SimulationError(
            f"required_pressure_m ({required_pressure_m}) must exceed minimum_pressure_m "
            f"({minimum_pressure_m}) ≥ 0"
        )
    up = _state(city, working)
    wn = copy.deepcopy(model)
    closed: set[str] = set()
    for name, link in wn.links():
        kind = "pump" if link.link_type == "Pump" else link.link_type.lower()
        if up.get(f"{kind}-{name}", True) is False:
            closed.add(name)
    for name in (*wn.reservoir_name_list, *wn.tank_name_list):
        kind = "reservoir" if name in wn.reservoir_name_list else "tank"
        if up.get(f"{kind}-{name}", True) is False:
            closed.update(wn.get_links_for_node(name))
    for control_name, control in list(wn.controls()):
        targets = {getattr(a.target()[0], "name", None) for a in control.actions()}
        if targets & closed:
            wn.remove_control(control_name)
    for name in closed:
        link = wn.get_link(name)
        link.initial_status = LinkStatus.Closed
    wn.options.hydraulic.demand_model = "PDD"
    wn.options.hydraulic.required_pressure = required_pressure_m
    wn.options.hydraulic.minimum_pressure = minimum_pressure_m
    wn.options.time.duration = hours * 3600
    wn.options.time.hydraulic_timestep = 3600
    wn.options.time.report_timestep = 3600
    with tempfile.TemporaryDirectory(prefix="crisis-epanet-") as folder:
        try:
            results = wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=str(Path(folder) / "run"))
        except Exception as exc:  # EPANET reports unsolvable networks as exceptions
            return WaterPressureCheck(converged=False, message=" ".join(str(exc).split()))
    junctions = wn.junction_name_list
    pressure = results.node["pressure"][junctions]
    wanted = wntr.metrics.expected_demand(wn)[junctions]
    got = results.node["demand"][junctions]
    common = wanted.index.intersection(got.index)
    asked = float(wanted.loc[common].to_numpy().sum())
    share = float(got.loc[common].to_numpy().clip(min=0).sum()) / asked if asked > 0 else 1.0
    lowest = pressure.min(axis=0)
    has_demand = wanted.max(axis=0) > 0
    check = WaterPressureCheck(converged=True, delivered_share=round(min(share, 1.0), 4))
    for name in junctions:
        if has_demand[name] and lowest[name] < required_pressure_m:
            check.deficient.append((f"junction-{name}", round(float(lowest[name]), 2)))
    check.deficient.sort(key=lambda item: item[1])
    return check


def fidelity_check(
    city: City,
    working: npt.ArrayLike,
    *,
    net: Any = None,
    model: Any = None,
) -> FidelityReport:
    """Both high-fidelity checks of one scenario.

    Args:
        city: The city.
        working: ``(N,)`` assets working in the scenario (a column of the cascade's state).
        net: The pandapower net of the city's grid, or ``None`` to skip the power flow.
        model: The wntr model of its water network, or ``None`` to skip the hydraulics.
            For the demo city leave both out: its own source networks are used.
    """
    from crisis.simulation import demo

    if net is None and model is None and city.name == demo.DEMO_NAME:
        net, model = demo.power_network(), demo.water_network()
    return FidelityReport(
        power=None if net is None else power_flow_check(city, working, net),
        water=None if model is None else water_pressure_check(city, working, model),
    )
