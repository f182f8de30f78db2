"""Our power-supply result equals pandapower's ``unsupplied_buses`` on mv_oberrhein."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.simulation.cascade import cascade
from crisis.simulation.importers import from_pandapower

pytestmark = pytest.mark.slow

SCENARIOS = 240


@pytest.fixture(scope="module")
def grid():
    import pandapower.networks as pn

    net = pn.mv_oberrhein()
    return net, from_pandapower(net, name="mv_oberrhein")


def _outages(net, city, rng):
    """Damage matrix and the pandapower elements it stands for, per scenario."""
    lines = net.line.index.to_numpy()
    trafos = net.trafo.index.to_numpy()
    buses = net.bus.index.to_numpy()
    damaged = np.zeros((city.n_assets, SCENARIOS), dtype=bool)
    plan = []
    for s in range(SCENARIOS):
        share = rng.choice([0.01, 0.03, 0.05, 0.10, 0.20])
        out_lines = lines[rng.random(lines.size) < share]
        out_trafos = trafos[rng.random(trafos.size) < 0.1]
        out_buses = buses[rng.random(buses.size) < (0.02 if s % 4 == 0 else 0.0)]
        plan.append((out_lines, out_trafos, out_buses))
        for prefix, elements in (("line", out_lines), ("trafo", out_trafos), ("bus", out_buses)):
            for e in elements:
                asset = city.index.get(f"{prefix}-{e}")
                if asset is not None:  # a line cut by an open switch is not in the city
                    damaged[asset, s] = True
    return damaged, plan


def test_unsupplied_buses_match_pandapower_for_random_outages(grid):
    import pandapower.topology as top

    net, city = grid
    rng = np.random.default_rng(20260501)
    damaged, plan = _outages(net, city, rng)
    working = cascade(city, damaged)

    bus_rows = {b: city.index[f"bus-{b}"] for b in net.bus.index}
    line_ok, trafo_ok, bus_ok = (
        net.line.in_service.copy(),
        net.trafo.in_service.copy(),
        net.bus.in_service.copy(),
    )
    nontrivial = 0
    try:
        for s, (out_lines, out_trafos, out_buses) in enumerate(plan):
            net.line.loc[:, "in_service"] = line_ok
            net.trafo.loc[:, "in_service"] = trafo_ok
            net.bus.loc[:, "in_service"] = bus_ok
            net.line.loc[out_lines, "in_service"] = False
            net.trafo.loc[out_trafos, "in_service"] = False
            net.bus.loc[out_buses, "in_service"] = False
            expected = {int(b) for b in top.unsupplied_buses(net)}
            ours = {
                b
                for b, row in bus_rows.items()
                if not working[row, s] and b not in set(out_buses.tolist())
            }
            assert ours == expected, f"scenario {s}: {sorted(ours ^ expected)} differ"
            nontrivial += bool(expected)
    finally:
        net.line.loc[:, "in_service"] = line_ok
        net.trafo.loc[:, "in_service"] = trafo_ok
        net.bus.loc[:, "in_service"] = bus_ok
    # The check must be able to fail: most scenarios leave some buses unsupplied.
    assert nontrivial > SCENARIOS // 2


def test_open_switches_cut_lines_and_sources_are_the_external_grids(grid):
    net, city = grid
    open_lines = net.switch[(net.switch.et == "l") & ~net.switch.closed].element
    assert len(open_lines) == 6
    for line in open_lines:
        assert f"line-{line}" not in city.index
    sources = {city.ids[i] for i in np.flatnonzero(city.source)}
    assert sources == {f"bus-{b}" for b in net.ext_grid.bus}
