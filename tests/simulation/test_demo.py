"""The demo city: built from mv_oberrhein and Net3, cached, and usable by every hazard."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from crisis.simulation import demo
from crisis.simulation.cascade import cascade
from crisis.simulation.city import SECTORS, SERVICES
from crisis.simulation.ensemble import run_ensemble
from crisis.simulation.hazards import Flood, sample_hazards
from crisis.simulation.recovery import simulate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def city():
    return demo.build_demo_city()


def test_demo_city_holds_every_sector_around_the_real_networks(city):
    classes = Counter(city.asset_class)
    assert classes["substation"] == 147 and classes["transformer"] == 2
    assert classes["junction"] == 92 and classes["pump"] == 2
    assert classes["hospital"] == 3 and classes["fire station"] == 5
    assert classes["shelter"] == 8 and classes["flood gauge"] == 6
    assert classes["bridge"] >= 2 and classes["depot"] == 2
    assert classes["cell tower"] > 10
    assert set(SECTORS) - {"other"} <= {SECTORS[s] for s in np.unique(city.sector)}
    # Districts cover everyone the grid serves, and each gets every service.
    assert city.district_population.sum() == pytest.approx(
        city.population[np.array([c == "substation" for c in city.asset_class])].sum(),
        abs=city.n_districts,
    )
    for s, service in enumerate(SERVICES):
        served = set(city.link_district[city.link_service == s].tolist())
        assert served == set(range(city.n_districts)), service


def test_pumps_stop_when_their_substations_fail(city):
    pump = city.asset_index("pump-335")
    (group,) = [g for g in city.groups_of(pump) if city.sector[city.members_of(g)[0]] == 0]
    damaged = np.zeros((city.n_assets, 1), dtype=bool)
    damaged[city.members_of(group)] = True
    assert not cascade(city, damaged)[pump, 0]
    assert cascade(city, np.zeros_like(damaged))[pump, 0]


def test_flood_hits_the_valley_not_the_hills(city):
    impact = sample_hazards([Flood(return_period=100)], city, 64, 7)
    hit = impact.damaged.any(axis=1)
    assert hit.sum() > 10
    assert city.elevation[hit].max() < 8.0  # the 100-year stage is about 4.8 m
    assert not hit[city.elevation > 10.0].any()
    timeline = simulate(city, impact, horizon=336)
    power = timeline.served[SERVICES.index("power")]
    assert power.min(axis=0).mean() < 0.99  # the flood costs power…
    assert (power[-1] > 0.999).mean() > 0.9  # …and crews restore nearly all of it in 14 days


def test_demo_city_is_cached_as_a_city_folder(city, tmp_path):
    demo.demo_city.cache_clear()
    try:
        built = demo.demo_city(tmp_path)
        assert list(tmp_path.glob("demo-city-*/city.yaml"))
        # Written under a staging name and renamed into place: nothing half-written is left.
        assert not list(tmp_path.glob("*.tmp"))
        demo.demo_city.cache_clear()
        loaded = demo.load_city("demo", cache_dir=tmp_path)
    finally:
        demo.demo_city.cache_clear()
    assert loaded.ids == built.ids == city.ids
    for field in ("x", "elevation", "population", "backup_hours", "repair_median"):
        np.testing.assert_allclose(getattr(loaded, field), getattr(city, field))
    np.testing.assert_array_equal(loaded.group_members, city.group_members)
    np.testing.assert_array_equal(loaded.link_from, city.link_from)
    assert loaded.district_ids == city.district_ids


def test_an_unreadable_cached_demo_city_is_replaced(city, tmp_path):
    folder = demo._cache_folder(tmp_path)
    folder.mkdir()
    (folder / "city.yaml").write_text("{not: [valid", encoding="utf-8")
    demo.demo_city.cache_clear()
    try:
        demo.demo_city(tmp_path)
        demo.demo_city.cache_clear()
        assert demo.read_city(folder).ids == city.ids
    finally:
        demo.demo_city.cache_clear()
    assert not list(tmp_path.glob("*.tmp"))


def test_fidelity_check_of_a_demo_scenario_uses_its_source_networks(city):
    from crisis.simulation.fidelity import fidelity_check

    damaged = np.zeros((city.n_assets, 1), dtype=bool)
    for asset in ("pump-10", "pump-335"):
        damaged[city.asset_index(asset)] = True
    # The tanks still hold water: their refill groups are bridged by their storage.
    working = cascade(city, damaged, city.group_storage[:, None])
    report = fidelity_check(city, working[:, 0])
    assert report.power is not None and report.power.converged
    assert report.power.unsupplied == []
    assert report.water is not None and report.water.converged
    # Topology keeps the tanks feeding every junction; the hydraulics show pressure falling.
    assert report.water.deficient
    assert all(asset.startswith("junction-") for asset, _ in report.water.deficient)


WATER = SERVICES.index("water")


def test_flood_empties_the_tanks_after_their_storage_hours(city):
    storage = city.backup_hours[city.asset_index("tank-1")]
    assert 6 < storage < 24  # Net3's usable tank volume over its average demand
    result = run_ensemble(city, {"kind": "flood", "return_period": 100}, 24, seed=1)
    water = result.served[WATER]  # (hours, scenarios)
    dry = np.flatnonzero(water.min(axis=0) < 0.5)
    assert dry.size >= 3  # some floods leave most people without water…
    # …only once the tanks have run dry (a flooded river intake can cut its own junction,
    # which a district of no water users shares with two others, from the start).
    assert water[: int(np.ceil(storage))].min() > 0.9
    scenario = int(dry[np.argmax(result.metrics["eoh"][WATER, dry])])
    assert result.district_eoh is not None
    # The hardest-hit district may be the one beside the river intake; among the districts
    # that lost water, the tanks running dry explain some.
    ranked = np.argsort(-result.district_eoh[WATER, :, scenario])
    texts = [
        result.explain(city, scenario, city.district_ids[d], "water").text()
        for d in ranked[:6]
        if result.district_eoh[WATER, d, scenario] > 0
    ]
    told = [t for t in texts if "ran dry at" in t]
    assert told and f"({storage:g} h of storage)" in told[0]
    assert all("damaged by flood" in t for t in texts)


def test_three_day_blackout_leaves_hospitals_without_water(city):
    blackout = {"kind": "blackout", "outage_hours": 72, "outage_beta": 0.0}
    result = run_ensemble(city, blackout, 2, seed=1, horizon=96)
    storage = int(np.ceil(city.backup_hours[city.asset_index("tank-1")]))
    water = result.served[WATER, :, 0]
    assert (water[:storage] == 1.0).all() and water[storage:72].max() < 0.5
    assert water[80:].min() == 1.0  # power, pumps and tanks are back
    lines = result.explain(city, 0, "hospital-1").lines
    assert lines[1] == f"hospital hospital-1 was out {storage:02d}:00–72:00"
    chain = "\n".join(lines)
    for step in ("junction-", "tank tank-", "ran dry", "pump pump-", "damaged by blackout"):
        assert step in chain, step
    assert chain.index("ran dry") < chain.index("pump pump-") < chain.index("blackout")


@pytest.mark.slow
def test_topology_aware_repairs_beat_nearest_first_and_own_population_on_the_flood(city):
    # Mean outage hours of water and health care over 200 floods, the same scenarios for
    # every policy: repairing what the most people depend on downstream (once it is dry)
    # does no worse than the better of the older policies.
    flood = {"kind": "flood", "return_period": 100}
    means = {}
    for policy in ("topology", "nearest", "criticality"):
        result = run_ensemble(city, flood, 200, seed=1, policy=policy)
        means[policy] = result.metrics["eoh"].mean(axis=1)
    for service in ("water", "health"):
        k = SERVICES.index(service)
        best_old = min(means["nearest"][k], means["criticality"][k])
        assert means["topology"][k] <= best_old, (service, {p: m[k] for p, m in means.items()})
