"""High-fidelity checks: pandapower power flow and wntr pressure-driven hydraulics."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.exceptions import SimulationError
from crisis.simulation.cascade import cascade
from crisis.simulation.fidelity import fidelity_check, power_flow_check, water_pressure_check
from crisis.simulation.importers import from_epanet, from_pandapower


def _feeder():
    """110 kV grid → transformer → bus 1 ═(two parallel 8 km cables)═ bus 2 with 13 MW."""
    import pandapower as pp

    net = pp.create_empty_network()
    hv = pp.create_bus(net, 110, geodata=(7.80, 48.40))
    b1 = pp.create_bus(net, 20, geodata=(7.81, 48.40))
    b2 = pp.create_bus(net, 20, geodata=(7.85, 48.40))
    pp.create_ext_grid(net, hv)
    pp.create_transformer(net, hv, b1, "25 MVA 110/20 kV")
    for _ in range(2):
        pp.create_line(net, b1, b2, 8.0, "NA2XS2Y 1x185 RM/25 12/20 kV")
    pp.create_load(net, b2, p_mw=13.0, q_mvar=2.0)
    return net


def _down(city, *ids):
    damaged = np.zeros((city.n_assets, 1), dtype=bool)
    for asset in ids:
        damaged[city.asset_index(asset)] = True
    return cascade(city, damaged)[:, 0]


def test_losing_one_of_two_parallel_cables_overloads_the_other():
    net = _feeder()
    city = from_pandapower(net)
    intact = power_flow_check(city, _down(city), net)
    assert intact.converged and intact.overloaded == [] and intact.low_voltage == []
    check = power_flow_check(city, _down(city, "line-0"), net)
    assert check.converged
    assert [asset for asset, _ in check.overloaded] == ["line-1"]
    assert check.overloaded[0][1] > 100.0
    assert [asset for asset, _ in check.low_voltage] == ["bus-2"]
    assert net.line.in_service.all()  # the caller's net is left as it was


def test_a_failed_transformer_leaves_the_feeder_unsupplied():
    net = _feeder()
    city = from_pandapower(net)
    check = power_flow_check(city, _down(city, "trafo-0"), net)
    assert check.converged and set(check.unsupplied) == {"bus-1", "bus-2"}


_PUMPED_INP = """[TITLE]
pumped town
[JUNCTIONS]
 J1  10  8
 J2  12  6
[RESERVOIRS]
 R1  12
[PIPES]
 P1  J1  J2  400  200  100  0  Open
[PUMPS]
 PU1  R1  J1  HEAD C1
[CURVES]
 C1  20  45
[OPTIONS]
 Units LPS
[COORDINATES]
 R1 0 0
 J1 10 0
 J2 20 0
[END]
"""


def test_a_failed_pump_leaves_junctions_below_the_required_pressure(tmp_path):
    import wntr

    inp = tmp_path / "pumped.inp"
    inp.write_text(_PUMPED_INP)
    model = wntr.network.WaterNetworkModel(str(inp))
    city = from_epanet(inp)
    intact = water_pressure_check(city, _down(city), model, hours=2)
    assert intact.converged and intact.deficient == []
    assert intact.delivered_share == pytest.approx(1.0, abs=0.01)
    failed = water_pressure_check(city, _down(city, "pump-PU1"), model, hours=2)
    assert failed.converged
    assert {asset for asset, _ in failed.deficient} == {"junction-J1", "junction-J2"}
    assert failed.delivered_share < 0.5
    assert list(tmp_path.iterdir()) == [inp]  # EPANET's work files stay out of the way


def test_fidelity_check_runs_what_it_is_given_and_rejects_a_wrong_state(tmp_path):
    net = _feeder()
    city = from_pandapower(net)
    report = fidelity_check(city, _down(city, "line-0"), net=net)
    assert report.water is None and report.power is not None
    assert report.to_dict()["power"]["overloaded"][0][0] == "line-1"
    with pytest.raises(SimulationError, match="one value per asset"):
        fidelity_check(city, np.ones(3, dtype=bool), net=net)
