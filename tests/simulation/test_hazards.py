"""Hazards: seeded, in range, and shaped the way their physics says."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.exceptions import SimulationError
from crisis.simulation.city import SECTORS, City
from crisis.simulation.generate import generate_city
from crisis.simulation.hazards import (
    Blackout,
    Cyber,
    Drought,
    Earthquake,
    Epidemic,
    Flood,
    Heatwave,
    parse_hazard,
    sample_hazards,
)
from crisis.simulation.hazards.base import HAZARD_KINDS, damage_probability, vulnerable_rows


@pytest.fixture(scope="module")
def city() -> City:
    return generate_city(2000, rng=3)


@pytest.mark.parametrize(
    "hazard", [Earthquake(), Flood(), Heatwave(), Epidemic(), Cyber(), Blackout(), Drought()]
)
def test_same_seed_same_scenarios(city: City, hazard) -> None:
    a = sample_hazards([hazard], city, 8, 42)
    b = sample_hazards([hazard], city, 8, 42)
    np.testing.assert_array_equal(a.damaged, b.damaged)
    np.testing.assert_array_equal(a.repair_hours, b.repair_hours)
    assert a.probability.shape == (8,) and (a.probability > 0).all()
    assert (a.repair_hours[a.damaged] > 0).all() and (a.repair_hours[~a.damaged] == 0).all()


def test_flood_damages_low_ground_and_a_rarer_flood_more(city: City) -> None:
    small = sample_hazards([Flood(return_period=10)], city, 40, 1)
    big = sample_hazards([Flood(return_period=1000)], city, 40, 1)
    assert big.damaged.sum() > small.damaged.sum() > 0
    hit = big.damaged.any(axis=1)
    assert city.elevation[hit].mean() < city.elevation.mean() - 5
    assert (big.cause[big.damaged] == HAZARD_KINDS.index("flood")).all()
    assert big.probability.sum() == pytest.approx(1 / 1000)


def test_barrier_keeps_an_asset_dry_until_overtopped(city: City) -> None:
    rows = vulnerable_rows(city, "flood")
    walled = city.replace(flood_protection=np.where(city.elevation < 8, 10.0, 0.0))
    dry = sample_hazards([Flood(return_period=100)], walled, 20, 1)
    assert not dry.damaged[rows][walled.flood_protection[rows] > 0].any()


def test_earthquake_damage_rate_follows_the_fragility_curve(city: City) -> None:
    quake = Earthquake(magnitude=6.5, intra_sigma=0.0, inter_sigma=0.0)
    impact = sample_hazards([quake], city, 400, 9)
    rows = vulnerable_rows(city, "earthquake")
    p = damage_probability(city, "earthquake", impact.intensity[rows], rows)
    observed = impact.damaged[rows].mean(axis=1)
    assert np.abs(observed - p[:, 0]).max() < 0.12  # 400 Bernoulli draws per asset
    near = np.hypot(city.x[rows] - city.x.mean(), city.y[rows] - city.y.mean())
    assert impact.intensity[rows][near.argmin(), 0] > impact.intensity[rows][near.argmax(), 0]


def test_epidemic_thins_workforce_and_fills_hospitals(city: City) -> None:
    impact = sample_hazards([Epidemic(r0=3)], city, 5, 2, horizon=336)
    assert impact.workforce is not None and impact.health_demand is not None
    assert impact.workforce[-1].mean() < impact.workforce[0].mean() < 1
    assert impact.health_demand[-1].mean() > impact.health_demand[0].mean() > 1
    assert not impact.damaged.any()


def test_cyber_spreads_over_control_links_and_segmentation_stops_it(city: City) -> None:
    open_ = sample_hazards([Cyber(initial=3, hop_probability=1.0)], city, 20, 4)
    pumps = np.asarray([c == "pumping station" for c in city.asset_class])
    assert open_.damaged[pumps].any()
    walled = city.replace(segmented=pumps)
    closed = sample_hazards([Cyber(initial=3, hop_probability=1.0)], walled, 20, 4)
    assert not closed.damaged[pumps].any()
    assert not closed.crew.any()


def test_compound_flood_and_blackout(city: City) -> None:
    both = sample_hazards([Flood(), Blackout()], city, 10, 5)
    plants = city.source & (city.sector == SECTORS.index("power"))
    assert both.damaged[plants].all()
    assert both.probability.sum() == pytest.approx(1 / 100)


def test_drought_dries_water_sources(city: City) -> None:
    impact = sample_hazards([Drought(share=1.0)], city, 3, 1)
    reservoirs = city.source & (city.sector == SECTORS.index("water"))
    assert impact.damaged[reservoirs].all() and impact.damaged.sum() == 3 * reservoirs.sum()


def test_out_of_range_parameter_names_field_and_value() -> None:
    with pytest.raises(SimulationError, match=r"scenario.yaml:3: field 'return_period' = -5"):
        parse_hazard({"kind": "flood", "return_period": -5}, "scenario.yaml:3")
    with pytest.raises(SimulationError, match="field 'kind'"):
        parse_hazard({"kind": "meteor"})
    with pytest.raises(SimulationError, match="field 'wind'"):
        parse_hazard({"kind": "flood", "wind": 3})
