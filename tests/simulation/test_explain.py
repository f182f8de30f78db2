"""Causal chains of outages."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.simulation.city import City
from crisis.simulation.ensemble import replay, run_ensemble
from crisis.simulation.explain import explain_asset, explain_district
from crisis.simulation.generate import generate_city
from crisis.simulation.hazards import HAZARD_KINDS, Impact
from crisis.simulation.recovery import simulate


def _damage(city: City, *items: tuple[str, float, float]) -> Impact:
    shape = (city.n_assets, 1)
    damaged, hours = np.zeros(shape, bool), np.zeros(shape)
    cause, depth = np.zeros(shape, np.int8), np.full(shape, np.nan)
    for asset, work, water in items:
        i = city.index[asset]
        damaged[i], hours[i], depth[i] = True, work, water
        cause[i] = HAZARD_KINDS.index("flood")
    return Impact.from_dense(damaged, hours, cause=cause, intensity=depth)


def _flood(city: City) -> Impact:
    return _damage(city, ("L1", 10, 0.8), ("S2", 5, 1.1))


def test_district_water_chain_names_pump_backup_and_flooded_line(small_city: City) -> None:
    impact = _flood(small_city)
    timeline = simulate(small_city, impact, horizon=24, trace=True, policy="criticality")
    text = explain_district(small_city, impact, timeline, "D1", "water").text()
    assert text.splitlines() == [
        "District D1 lost water 06:00–15:00",
        "  ← asset P stopped at 06:00: needs supply from any of S2 — all down",
        "    ← backup ran out at 06:00 (draining since 00:00, 6 h)",
        "    ← asset S2 cut off from every source since 00:00: path blocked at L1",
        "      ← asset L1 damaged by flood (depth 0.80 m); repaired at 15:00",
    ]


def test_district_water_chain_names_the_tank_that_ran_dry(tank_city: City) -> None:
    impact = _damage(tank_city, ("L1", 20, 1.3))
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
    timeline = simulate(small_city, impact, horizon=24, trace=True, policy="criticality")
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


def _check_causal_order(city: City, impact: Impact, timeline, found) -> int:
    """Every cause is down at the hour it explains, began no later, and so do its children."""
    import math

    working = timeline.working[:, :, 0]
    walker_up = {}
    for i in range(int(impact.ptr[0]), int(impact.ptr[1])):
        back = math.ceil(timeline.up[i])
        walker_up[int(impact.asset[i])] = (float(impact.down[i]), back)
    checked = 0
    for top in found.causes:
        for cause in top.walk():
            checked += 1
            assert cause.since <= cause.hour and cause.began <= cause.hour, cause.text
            assert not working[cause.hour, cause.asset], cause.text
            if cause.kind == "out":
                down, back = walker_up[cause.asset]
                assert down <= cause.hour < back, cause.text
            if cause.kind in ("needs", "cut"):
                assert not working[cause.hour, cause.members].any(), cause.text
            for child in cause.children:
                assert child.hour == cause.hour, (cause.text, child.text)
                assert child.asset in (*cause.members, cause.asset), (cause.text, child.text)
    return checked


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_every_cause_happens_no_later_than_its_effect_on_random_cities(seed: int) -> None:
    from crisis.simulation.city import Fuel
    from crisis.simulation.hazards import Outages

    city = generate_city(400, rng=seed).replace(fuel=Fuel(first_hours=30, interval_hours=40))
    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(3):
        hit = rng.uniform(size=city.n_assets) < 0.05
        a = np.flatnonzero(hit)
        down = np.where(rng.uniform(size=a.size) < 0.6, 0, rng.integers(0, 30, a.size))
        outages = Outages.of(
            np.zeros(a.size, dtype=np.int64),
            a,
            2,
            np.array([0.01]),
            hours=rng.uniform(2, 60, a.size),
            crew=rng.uniform(size=a.size) < 0.7,
            down=down,
            ready=down + rng.integers(0, 10, a.size),
            intensity=rng.uniform(0.1, 2.0, a.size),
        )
        impact = Impact.from_outages(city.n_assets, outages)
        timeline = simulate(city, impact, horizon=120, trace=True)
        for district in city.district_ids:
            found = explain_district(city, impact, timeline, district)
            checked += _check_causal_order(city, impact, timeline, found)
        for asset in (city.ids[i] for i in a[:10]):
            found = explain_asset(city, impact, timeline, asset)
            checked += _check_causal_order(city, impact, timeline, found)
    assert checked > 100


@pytest.mark.slow
def test_demo_flood_explanations_keep_causal_order() -> None:
    from crisis.simulation.demo import demo_city

    city = demo_city()
    result = run_ensemble(city, {"kind": "flood", "return_period": 100}, 12, seed=1, horizon=168)
    checked = 0
    for scenario in range(12):
        planned, impact, timeline = replay(result, city, scenario)
        for district in city.district_ids:
            found = explain_district(planned, impact, timeline, district)
            checked += _check_causal_order(planned, impact, timeline, found)
    assert checked > 50
