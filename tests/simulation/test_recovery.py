"""Repair order, backups and service over time, checked by hand and against a reference."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from crisis.simulation.city import SERVICES, City
from crisis.simulation.cityfile import city_from_records
from crisis.simulation.generate import generate_city
from crisis.simulation.hazards import Impact
from crisis.simulation.metrics import scenario_metrics, service_population
from crisis.simulation.recovery import priority_order, simulate

from .conftest import tank_city_records
from .oracle import hours_one, schedule_one

POWER, WATER, HEALTH = (SERVICES.index(s) for s in ("power", "water", "health"))


def _flooded(city: City) -> Impact:
    """L1 (10 h of work) and S2 (5 h) are damaged; one power crew."""
    damaged = np.zeros((city.n_assets, 1), dtype=bool)
    hours = np.zeros((city.n_assets, 1))
    for asset, work in (("L1", 10), ("S2", 5)):
        damaged[city.index[asset]] = True
        hours[city.index[asset]] = work
    return Impact.from_dense(damaged, hours)


def test_hand_computed_cascade_repair_order_and_metrics(small_city: City) -> None:
    # By hand (criticality policy: S2 serves 3,000 people, L1 none, so S2 goes first):
    #   S2 repaired at 0 + 5 = 5 h, L1 at 5 + 10 = 15 h.
    #   Hour 0: L1 is down, so S1, L2 and S2 have no path to G. D1 and D2 have no power.
    #     The pump P loses S2 and starts its 6 h generator: water still flows.
    #     The hospital H has neither S1 nor S2: no health care.
    #   Hour 6: the generator is dry; P stops; both districts lose water.
    #   Hour 15: L1 is back, the grid is fed, P and H restart: all services at 100 %.
    # Q_power = 0 for hours 0–14 -> EOH 15 h; Q_water = 0 for hours 6–14 -> EOH 9 h.
    # People-hours without power: (1,000 + 3,000) × 15 = 60,000; vulnerable:
    #   (0.1 × 1,000 + 0.3 × 3,000) × 15 = 15,000. Without water: 4,000 × 9 = 36,000.
    # Normalised resilience of power over 24 h: 9 / 24 = 0.375. Recovered (≥ 90 %) at 15 h.
    line = _flooded(small_city)
    timeline = simulate(small_city, line, horizon=24, trace=True, policy="criticality")
    assert timeline.completion[small_city.index["S2"], 0] == 5
    assert timeline.completion[small_city.index["L1"], 0] == 15
    assert timeline.backup_start[small_city.index["P"], 0] == 0
    q = timeline.served[:, :, 0]
    assert q[POWER].tolist() == [0.0] * 15 + [1.0] * 9
    assert q[WATER].tolist() == [1.0] * 6 + [0.0] * 9 + [1.0] * 9
    assert q[HEALTH].tolist() == [0.0] * 15 + [1.0] * 9
    pop, vul = service_population(small_city)
    m = scenario_metrics(timeline.served, timeline.served_vulnerable, pop, vul)
    assert m["eoh"][POWER, 0] == 15 and m["eoh"][WATER, 0] == 9
    assert m["people_hours"][POWER, 0] == 60_000
    assert m["vulnerable_hours"][POWER, 0] == pytest.approx(15_000)
    assert m["people_hours"][WATER, 0] == 36_000
    assert m["resilience"][POWER, 0] == pytest.approx(0.375)
    assert m["robustness"][WATER, 0] == 0 and m["t90"][POWER, 0] == 15
    assert m["t90"][WATER, 0] == 15 and m["recovery"][POWER, 0] == 1
    # Each district: 15 h without power and health care, 9 h without water.
    assert timeline.district_outage is not None
    assert timeline.district_outage[POWER, :, 0].tolist() == [15, 15]
    assert timeline.district_outage[WATER, :, 0].tolist() == [9, 9]
    assert timeline.district_outage[HEALTH, :, 0].tolist() == [15, 15]


def test_nearest_first_changes_the_order_and_the_outcome(small_city: City) -> None:
    # Nearest to the power depot (G at x = 0) first: L1 (x = 1) before S2 (x = 4).
    #   L1 back at 10 h, S2 at 15 h. From hour 10 S1 is fed: D1 (1,000 of 4,000 people) has
    #   power, Q_power = 0.25 for hours 10–14. EOH = 10 + 5 × 0.75 = 13.75 h.
    #   The hospital has power from S1 at 10 h but no water until the pump's S2 returns.
    timeline = simulate(small_city, _flooded(small_city), horizon=24, policy="nearest")
    q = timeline.served[:, :, 0]
    assert q[POWER].tolist() == [0.0] * 10 + [0.25] * 5 + [1.0] * 9
    assert q[HEALTH].tolist() == [0.0] * 15 + [1.0] * 9
    assert float((1 - q[POWER]).sum()) == pytest.approx(13.75)
    assert timeline.district_outage is not None
    assert timeline.district_outage[POWER, :, 0].tolist() == [10, 15]  # D1 back at 10 h


def test_mutual_aid_crew_arrives_after_its_delay(small_city: City) -> None:
    # No local crew, one mutual-aid crew after 20 h (minus a 4 h warning = 16 h):
    # S2 done at 16 + 5 = 21 h, L1 at 31 h.
    from crisis.simulation.city import Crews

    city = small_city.replace(
        crews={"power": Crews(local=0, mutual_aid=1, mutual_aid_delay_hours=20)},
        warning_hours=4.0,
    )
    timeline = simulate(city, _flooded(city), horizon=48, policy="criticality")
    assert timeline.completion[city.index["S2"], 0] == 21
    assert timeline.completion[city.index["L1"], 0] == 31


def test_repairs_past_the_horizon_are_not_recovered(small_city: City) -> None:
    # S2 first (5 h), then L1 ends at 15 h, past a 12 h horizon.
    timeline = simulate(small_city, _flooded(small_city), horizon=12, policy="criticality")
    assert timeline.completion[small_city.index["S2"], 0] == 5
    assert np.isinf(timeline.completion[small_city.index["L1"], 0])
    pop, vul = service_population(small_city)
    m = scenario_metrics(timeline.served, timeline.served_vulnerable, pop, vul)
    assert np.isnan(m["t90"][POWER, 0])


def _random_outages(city: City, scenarios: int, rng: np.random.Generator) -> Impact:
    """Random outages: some at hour 0, some later (as a rising flood), some waiting to dry."""
    from crisis.simulation.hazards import Outages

    hit = rng.uniform(size=(city.n_assets, scenarios)) < 0.04
    a, j = np.nonzero(hit)
    down = np.where(rng.uniform(size=a.size) < 0.5, 0, rng.integers(0, 12, a.size))
    ready = down + np.where(rng.uniform(size=a.size) < 0.5, 0, rng.integers(0, 20, a.size))
    outages = Outages.of(
        j,
        a,
        2,
        np.full(scenarios, 0.01 / scenarios),
        hours=rng.uniform(1, 30, a.size),
        crew=rng.uniform(size=a.size) < 0.8,
        down=down,
        ready=ready,
    )
    return Impact.from_outages(city.n_assets, outages)


def _check_against_reference(city: City, impact: Impact, horizon: int, **kwargs) -> None:
    timeline = simulate(city, impact, horizon=horizon, trace=True, policy="criticality")
    assert timeline.working is not None
    order = priority_order(city, "criticality")
    for s in range(impact.n_scenarios):
        lo, hi = impact.ptr[s], impact.ptr[s + 1]
        outages = [
            (
                int(impact.asset[i]),
                float(impact.down[i]),
                float(impact.ready[i]),
                float(impact.hours[i]),
                bool(impact.needs_crew[i]),
            )
            for i in range(lo, hi)
        ]
        up, reach = schedule_one(city, outages, order, horizon)
        np.testing.assert_allclose(timeline.up[lo:hi], up, rtol=1e-12)
        expected = hours_one(
            city,
            [(o[0], o[1], u) for o, u in zip(outages, up, strict=True)],
            horizon,
            reach=reach,
            **kwargs,
        )
        for t in range(horizon):
            assert timeline.working[t, :, s].tolist() == expected[t], (s, t)


@pytest.mark.parametrize("seed", [11, 12])
def test_hour_loop_equals_reference(seed: int) -> None:
    city = generate_city(300, rng=seed)
    impact = _random_outages(city, 4, np.random.default_rng(seed))
    _check_against_reference(city, impact, 60)


def test_hour_loop_with_fuel_deliveries_equals_reference() -> None:
    from crisis.simulation.city import Fuel

    city = generate_city(300, rng=5).replace(fuel=Fuel(first_hours=6, interval_hours=10))
    impact = _random_outages(city, 4, np.random.default_rng(5))
    _check_against_reference(city, impact, 72, deliveries=[6, 16, 26, 36, 46, 56, 66])


def test_priority_policies_put_their_first_choice_first(small_city: City) -> None:
    ids = small_city.ids
    assert ids[priority_order(small_city, "criticality")[0]] in {"P", "H"}
    assert ids[priority_order(small_city, "sources")[0]] in {"G", "R"}


@pytest.mark.parametrize(
    ("storage_hours", "water"),
    [
        # The pump stops at 0 h; the tank supplies for 8 h, then J2 has no source until the
        # line is repaired at 20 h and the pump refills the tank.
        (8.0, [1.0] * 8 + [0.0] * 12 + [1.0] * 4),
        # 30 h of storage outlast the 20 h repair: nobody notices.
        (30.0, [1.0] * 24),
        # No store: the tank is empty the moment its refill stops.
        (0.0, [0.0] * 20 + [1.0] * 4),
    ],
)
def test_tank_runs_dry_after_its_storage_hours(storage_hours: float, water: list[float]) -> None:
    meta, features = tank_city_records(storage_hours)
    city = city_from_records(meta, features)
    impact = _line_out(city, 20)
    timeline = simulate(city, impact, horizon=24, trace=True)
    assert timeline.served[WATER, :, 0].tolist() == water
    assert timeline.working is not None
    tank = city.index["T"]
    assert timeline.working[:, tank, 0].tolist() == [w > 0 for w in water]
    assert timeline.district_outage is not None
    assert timeline.district_outage[WATER, 0, 0] == water.count(0.0)


def _line_out(city: City, hours: float, *more: tuple[str, float]) -> Impact:
    damaged = np.zeros((city.n_assets, 1), dtype=bool)
    work = np.zeros((city.n_assets, 1))
    for asset, h in (("L1", hours), *more):
        damaged[city.index[asset]] = True
        work[city.index[asset]] = h
    return Impact.from_dense(damaged, work)


def test_a_tank_refills_at_its_rate_and_drains_again() -> None:
    # 8 h of storage, refilled in 16 h from empty (half an hour of storage per hour).
    # The line is out 0–10 h: the tank runs dry at 8 h and refills from 10 h. The
    # substation is lost at 20 h for 20 h: the tank holds 5 h by then and is dry from 25 h.
    from crisis.simulation.hazards import Outages

    meta, features = tank_city_records(8.0)
    features[8]["properties"]["refill_hours"] = 16
    city = city_from_records(meta, features)
    both = Outages.of(
        [0, 0],
        [city.index["L1"], city.index["S1"]],
        2,
        np.array([0.01]),
        hours=[10, 20],
        down=[0, 20],
        crew=False,
    )
    timeline = simulate(city, Impact.from_outages(city.n_assets, both), horizon=30, trace=True)
    water = [1.0] * 8 + [0.0] * 2 + [1.0] * 15 + [0.0] * 5
    assert timeline.served[WATER, :, 0].tolist() == water
    tank = city.index["T"]
    assert timeline.stores[0] == [
        (0, tank, 1, 8.0),  # drains from hour 0
        (8, tank, 4, 0.0),  # empty
        (10, tank, 2, 0.0),  # supply back: refills
        (20, tank, 1, 5.0),  # drains again with 5 h in it
        (25, tank, 4, 0.0),
    ]


def test_hour_loop_equals_reference_with_tanks_as_stores() -> None:
    from pathlib import Path

    import wntr

    from crisis.simulation.hazards import Outages
    from crisis.simulation.importers import from_epanet

    city = from_epanet(Path(wntr.__file__).parent / "library" / "networks" / "Net3.inp")
    assert city.group_storage.sum() == 6  # three tanks: any pump, any reservoir
    rng = np.random.default_rng(5)
    pumps = np.array([c == "pump" for c in city.asset_class])
    # Pumps fail in every scenario, so the tanks drain; a few pipes fail as well.
    hit = pumps[:, None] | (rng.uniform(size=(city.n_assets, 4)) < 0.02)
    a, j = np.nonzero(hit)
    impact = Impact.from_outages(
        city.n_assets,
        Outages.of(j, a, 2, np.full(4, 0.0025), hours=rng.uniform(4, 40, a.size), crew=True),
    )
    timeline = simulate(city, impact, horizon=48, trace=True, policy="criticality")
    assert timeline.working is not None
    tanks = np.array([c == "tank" for c in city.asset_class])
    assert not timeline.working[:, tanks, :].all()  # some tank ran dry
    _check_against_reference(city, impact, 48)


def _two_hospitals(capacity: float | None) -> City:
    """The small city with a second hospital H2; D2 may use either, D1 only H.

    With ``capacity`` each hospital can care for that many people.
    """
    from .conftest import small_city_records

    meta, features = small_city_records()
    h2 = {**features[-1], "properties": {**features[-1]["properties"], "id": "H2"}}
    features.append(h2)
    if capacity is not None:
        for f in features[-2:]:
            f["properties"]["capacity"] = capacity
    meta["districts"][1]["services"]["health"] = ["H", "H2"]
    return city_from_records(meta, features)


def test_a_hospital_over_capacity_lowers_health_care() -> None:
    # D1 (1,000 people) goes to H; D2 (3,000) to H or H2; each hospital takes 2,500.
    # With both running, everyone is cared for (D2 split between them). H2 is damaged
    # for 10 h: D2's patients move to H, which has room for 1,500 of them, so 2,500 of
    # 4,000 people are cared for (Q = 0.625) until H2 is back. Without capacities, H alone
    # would care for everyone.
    for capacity, during in ((2500.0, 0.625), (None, 1.0)):
        city = _two_hospitals(capacity)
        damaged = np.zeros((city.n_assets, 1), dtype=bool)
        damaged[city.index["H2"]] = True
        timeline = simulate(
            city, Impact.from_dense(damaged, damaged * 10.0), horizon=24, trace=True
        )
        assert timeline.served[HEALTH, :, 0].tolist() == [during] * 10 + [1.0] * 14, capacity
    assert timeline.district_served is not None


def test_demand_above_capacity_lowers_health_care_in_an_epidemic() -> None:
    from crisis.simulation.hazards import Epidemic, sample_hazards

    roomy = _two_hospitals(2500.0)
    impact = sample_hazards([Epidemic(hospital_load=10, r0=3)], roomy, 1, 3, horizon=240)
    assert impact.health_demand is not None and impact.health_demand.max() > 1.25
    q = simulate(roomy, impact, horizon=240).served[HEALTH, :, 0]
    # 5,000 beds for 4,000 people: full care until demand passes 1.25× normal (and staff
    # thins), then less.
    busy = impact.health_demand[:, 0] * 4000 > 5000 * impact.workforce[:, 0]
    assert q[~busy].min() == pytest.approx(1.0) and q[busy].max() < 1.0


def test_health_care_follows_demand_staff_and_hospitals_hour_by_hour() -> None:
    # The flow is re-solved only when its answer can change; here every hour is checked
    # against beds by hand. 5,000 beds (2,500 while H2 is out, hours 8-15) for 4,000
    # people times demand / staff: Q = min(1, staffed beds / (4,000 x demand)).
    from crisis.simulation.hazards import Outages

    city = _two_hospitals(2500.0)
    ratio = [1.0, 1.0, 1.2, 1.1, 1.5, 1.0, 0.9, 1.2]  # both hospitals
    ratio += [0.5, 0.7, 0.6, 0.55, 0.62, 0.7, 0.7, 0.7]  # H2 out: half the beds
    ratio += [0.7, 1.3, 1.0, 1.0]  # H2 back
    staff = [1.0] * 20 + [0.5, 0.5, 0.0, 1.0]  # the last hours: staff thins, then returns
    demand = [r * w for r, w in zip(ratio, staff, strict=False)] + [0.6, 0.65, 0.5, 1.2]
    outage = Outages.of([0], [city.index["H2"]], 2, np.array([0.01]), hours=8.0, down=8.0)
    impact = dataclasses.replace(
        Impact.from_outages(city.n_assets, outage),
        health_demand=np.array(demand)[:, None],
        workforce=np.array(staff)[:, None],
    )
    timeline = simulate(city, impact, horizon=24, trace=True)
    assert timeline.working is not None
    h2_out = ~timeline.working[:, city.index["H2"], 0]
    assert np.flatnonzero(h2_out).tolist() == list(range(8, 16))
    beds = np.where(h2_out, 2500.0, 5000.0) * np.array(staff)
    expected = np.minimum(1.0, beds / (4000.0 * np.array(demand)))
    np.testing.assert_allclose(timeline.served[HEALTH, :, 0], expected, rtol=1e-6)
    assert expected[9] < 1.0 and expected[12] == 1.0 and expected[21] < 1.0  # a real test


def test_an_epidemic_shorter_than_the_run_is_refused_by_name() -> None:
    from crisis.exceptions import SimulationError
    from crisis.simulation.hazards import Epidemic, sample_hazards

    city = _two_hospitals(2500.0)
    impact = sample_hazards([Epidemic(hospital_load=10, r0=3)], city, 1, 3, horizon=48)
    # The hour loop would read past the 48 hours of demand; the run says why instead.
    with pytest.raises(SimulationError, match="'health_demand' covers 48 hours; the run needs 240"):
        simulate(city, impact, horizon=240)
    assert simulate(city, impact, horizon=48).served.shape[1] == 48


def _road_town() -> City:
    """A depot D and three intersections X, Y, Z on a road; a plant G feeds substation S,
    which stands by Z, 3 km from the depot (one crew, 30 km/h: 0.1 h each way)."""
    from .conftest import _asset

    def road(asset_id: str, a: str, b: str, x: float) -> dict:
        return _asset(
            asset_id,
            "transport",
            x,
            network="roads",
            **{"from": a, "to": b, "class": "road segment"},
        )

    features = [
        _asset("D", "transport", 0, network="roads", source=True, **{"class": "depot"}),
        _asset("X", "transport", 1000, network="roads", **{"class": "intersection"}),
        _asset("Y", "transport", 2000, network="roads", **{"class": "intersection"}),
        _asset("Z", "transport", 3000, network="roads", **{"class": "intersection"}),
        road("R1", "D", "X", 500),
        road("R2", "X", "Y", 1500),
        road("R3", "Y", "Z", 2500),
        _asset("G", "power", 0, network="power", source=True, **{"class": "plant"}),
        _asset("S", "power", 3000, network="power", population=500, **{"class": "substation"}),
        _asset("L", "power", 1500, network="power", **{"from": "G", "to": "S", "class": "cable"}),
    ]
    features[-2]["geometry"]["coordinates"] = [3000.0, 0.0]
    meta = {
        "name": "Road town",
        "crews": {"power": {"local": 1}, "transport": {"local": 1}},
        "districts": [
            {"id": "D1", "population": 500, "vulnerable_share": 0.1, "services": {"power": ["S"]}}
        ],
    }
    return city_from_records(meta, features)


def test_a_flooded_road_delays_the_crew() -> None:
    # S is damaged (5 h of work). The road R2 between the depot and S is under water from
    # hour 0 to hour 20: the power crew can leave only then, drives 0.1 h, works 5 h.
    # Without the flooded road it is back after 5.1 h (rounded up: hour 6).
    from crisis.simulation.hazards import Outages

    city = _road_town()
    s, r2 = city.index["S"], city.index["R2"]
    assert city.crew_speed_kmh == 30
    dry = Outages.of([0], [s], 2, np.array([0.01]), hours=[5.0], crew=True)
    wet = Outages.of(
        [0, 0],
        [s, r2],
        2,
        np.array([0.01]),
        hours=[5.0, 0.0],
        crew=[True, False],
        ready=[0.0, 20.0],
        damaged=[True, False],
    )
    power = SERVICES.index("power")
    fast = simulate(city, Impact.from_outages(city.n_assets, dry), horizon=40)
    slow = simulate(city, Impact.from_outages(city.n_assets, wet), horizon=40)
    assert fast.up[0] == pytest.approx(5.1)
    assert slow.up[0] == pytest.approx(25.1)
    assert fast.served[power, :, 0].tolist() == [0.0] * 6 + [1.0] * 34
    assert slow.served[power, :, 0].tolist() == [0.0] * 26 + [1.0] * 14
