"""Causal chains of outages."""

from __future__ import annotations

import numpy as np

from crisis.simulation.city import City
from crisis.simulation.ensemble import replay, run_ensemble
from crisis.simulation.explain import explain_asset, explain_district
from crisis.simulation.generate import generate_city
from crisis.simulation.hazards import HAZARD_KINDS, Impact
from crisis.simulation.recovery import simulate


def _flood(city: City) -> Impact:
    impact = Impact.empty(city, 1, 0.01)
    for asset, hours, depth in (("L1", 10, 0.8), ("S2", 5, 1.1)):
        i = city.index[asset]
        impact.damaged[i] = impact.crew[i] = True
        impact.repair_hours[i] = hours
        impact.cause[i] = HAZARD_KINDS.index("flood")
        impact.intensity[i] = depth
    return impact


def test_district_water_chain_names_pump_backup_and_flooded_line(small_city: City) -> None:
    impact = _flood(small_city)
    timeline = simulate(small_city, impact, horizon=24, trace=True)
    text = explain_district(small_city, impact, timeline, "D1", "water").text()
    assert text.splitlines() == [
        "District D1 lost water 06:00–15:00",
        "  ← asset P stopped at 06:00: needs supply from any of S2 — all down",
        "    ← backup ran out at 06:00 (started 00:00, 6 h)",
        "    ← asset S2 cut off from every source since 00:00: path blocked at L1",
        "      ← asset L1 damaged by flood (depth 0.80 m); repaired at 15:00",
    ]


def test_district_water_chain_names_the_tank_that_ran_dry(tank_city: City) -> None:
    impact = Impact.empty(tank_city, 1, 0.01)
    line = tank_city.index["L1"]
    impact.damaged[line] = impact.crew[line] = True
    impact.repair_hours[line] = 20
    impact.cause[line] = HAZARD_KINDS.index("flood")
    impact.intensity[line] = 1.3
    timeline = simulate(tank_city, impact, horizon=24, trace=True)
    text = explain_district(tank_city, impact, timeline, "D1", "water").text()
    assert text.splitlines()[:6] == [
        "District D1 lost water 08:00–20:00",
        "  ← junction J2 cut off from every source since 08:00: path blocked at T, PU",
        "    ← tank T ran dry at 08:00: no refill from any of PU since 00:00 (8 h of storage)",
        "      ← pump PU stopped at 00:00: needs supply from any of S1 — all down",
        "        ← substation S1 cut off from every source since 00:00: path blocked at L1",
        "          ← cable L1 damaged by flood (depth 1.30 m); repaired at 20:00",
    ]


def test_asset_chain_changes_when_a_repair_changes_the_cause(small_city: City) -> None:
    impact = _flood(small_city)
    timeline = simulate(small_city, impact, horizon=24, trace=True)
    found = explain_asset(small_city, impact, timeline, "S2")
    assert found.intervals == [(0, 15)]
    assert found.lines == [
        "asset S2 was out 00:00–15:00",
        "  ← asset S2 damaged by flood (depth 1.10 m); repaired at 05:00",
        "  then from 05:00:",
        "  ← asset S2 cut off from every source since 00:00: path blocked at L1",
        "    ← asset L1 damaged by flood (depth 0.80 m); repaired at 15:00",
    ]
    assert explain_asset(small_city, impact, timeline, "R").lines == ["asset R worked throughout"]


def test_explain_from_an_ensemble_replays_the_same_scenario() -> None:
    city = generate_city(600, rng=4)
    result = run_ensemble(
        city, {"kind": "flood", "return_period": 200}, 20, seed=2, chunk_size=8, horizon=96
    )
    worst = result.representative("power", 1.0)
    assert result.metrics["eoh"][0, worst] > 0
    _, _, timeline = replay(result, city, worst)
    np.testing.assert_array_equal(timeline.served[:, :, 0], result.served[:, :, worst])
    assert timeline.district_served is not None
    hit = int(np.argmin(timeline.district_served[0, :, :, 0].sum(axis=0)))
    district = city.district_ids[hit]
    found = result.explain(city, worst, district, "power")
    assert found.lines[0] == f"Scenario {worst} of 20 (seed 2):"
    assert found.lines[1].startswith(f"District {district} ")
    assert sum(hi - lo for lo, hi in found.intervals) > 0
    assert any("damaged by flood" in line for line in found.lines)
