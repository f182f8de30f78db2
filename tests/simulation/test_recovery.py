"""Repair order, backups and service over time, checked by hand and against a reference."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.simulation.city import SERVICES, City
from crisis.simulation.cityfile import city_from_records
from crisis.simulation.generate import generate_city
from crisis.simulation.hazards import Impact
from crisis.simulation.metrics import scenario_metrics, service_population
from crisis.simulation.recovery import priority_order, simulate

from .conftest import tank_city_records
from .oracle import hours_one

POWER, WATER, HEALTH = (SERVICES.index(s) for s in ("power", "water", "health"))


def _flooded(city: City) -> Impact:
    """L1 (10 h of work) and S2 (5 h) are damaged; one power crew."""
    impact = Impact.empty(city, 1, 0.01)
    for asset, hours in (("L1", 10), ("S2", 5)):
        i = city.index[asset]
        impact.damaged[i] = impact.crew[i] = True
        impact.repair_hours[i] = hours
    return impact


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
    timeline = simulate(small_city, line, horizon=24, trace=True)
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
    timeline = simulate(city, _flooded(city), horizon=48)
    assert timeline.completion[city.index["S2"], 0] == 21
    assert timeline.completion[city.index["L1"], 0] == 31


def test_repairs_past_the_horizon_are_not_recovered(small_city: City) -> None:
    timeline = simulate(small_city, _flooded(small_city), horizon=12)
    assert np.isinf(timeline.completion[small_city.index["L1"], 0])
    pop, vul = service_population(small_city)
    m = scenario_metrics(timeline.served, timeline.served_vulnerable, pop, vul)
    assert np.isnan(m["t90"][POWER, 0])


@pytest.mark.parametrize("seed", [11, 12])
def test_hour_loop_equals_reference(seed: int) -> None:
    city = generate_city(300, rng=seed)
    rng = np.random.default_rng(seed)
    impact = Impact.empty(city, 4, 0.01)
    impact.damaged[:] = rng.uniform(size=impact.damaged.shape) < 0.04
    impact.crew[:] = impact.damaged & (rng.uniform(size=impact.damaged.shape) < 0.8)
    impact.repair_hours[:] = np.where(impact.damaged, rng.uniform(1, 30, impact.damaged.shape), 0)
    horizon = 60
    timeline = simulate(city, impact, horizon=horizon, trace=True)
    assert timeline.working is not None
    for s in range(4):
        expected = hours_one(city, timeline.completion[:, s].tolist(), horizon)
        for t in range(horizon):
            assert timeline.working[t, :, s].tolist() == expected[t], (s, t)


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
    impact = Impact.empty(city, 1, 0.01)
    line = city.index["L1"]
    impact.damaged[line] = impact.crew[line] = True
    impact.repair_hours[line] = 20
    timeline = simulate(city, impact, horizon=24, trace=True)
    assert timeline.served[WATER, :, 0].tolist() == water
    assert timeline.working is not None
    tank = city.index["T"]
    assert timeline.working[:, tank, 0].tolist() == [w > 0 for w in water]
    assert timeline.district_outage is not None
    assert timeline.district_outage[WATER, 0, 0] == water.count(0.0)


def test_hour_loop_equals_reference_with_tanks_as_stores() -> None:
    from pathlib import Path

    import wntr

    from crisis.simulation.importers import from_epanet

    city = from_epanet(Path(wntr.__file__).parent / "library" / "networks" / "Net3.inp")
    assert city.group_storage.sum() == 6  # three tanks: any pump, any reservoir
    rng = np.random.default_rng(5)
    impact = Impact.empty(city, 4, 0.01)
    pumps = np.array([c == "pump" for c in city.asset_class])
    # Pumps fail in every scenario, so the tanks' clocks run; a few pipes fail as well.
    impact.damaged[:] = pumps[:, None] | (rng.uniform(size=impact.damaged.shape) < 0.02)
    impact.crew[:] = impact.damaged
    impact.repair_hours[:] = np.where(impact.damaged, rng.uniform(4, 40, impact.damaged.shape), 0)
    horizon = 48
    timeline = simulate(city, impact, horizon=horizon, trace=True)
    assert timeline.working is not None
    tanks = np.array([c == "tank" for c in city.asset_class])
    assert not timeline.working[:, tanks, :].all()  # some tank ran dry
    for s in range(4):
        expected = hours_one(city, timeline.completion[:, s].tolist(), horizon)
        for t in range(horizon):
            assert timeline.working[t, :, s].tolist() == expected[t], (s, t)
