from __future__ import annotations

import pytest

from crisis.exercises import PlanError, bundled, eligible, validate_plan
from crisis.simulation.city import City

FLOOD = bundled("river-flood")
assert FLOOD is not None


def test_valid_plan_costs_the_simulators_unit_costs(city: City) -> None:
    plan = validate_plan(
        FLOOD,
        city,
        [{"measure": "barrier", "asset": "bus-147"}, {"measure": "power-crews"}],
    )
    assert plan.cost == 60_000 * 1.5 + 2 * 120_000
    assert plan.interventions(FLOOD)[0] == {
        "kind": "flood_protect",
        "height_m": 1.5,
        "label": "barrier",
        "assets": ["bus-147"],
    }


@pytest.mark.parametrize(
    ("placements", "message"),
    [
        ([{"measure": "moat", "asset": "bus-147"}], "placement 1: measure 'moat' is not in"),
        ([{"measure": "barrier", "asset": "nowhere"}], "the city has no asset 'nowhere'"),
        ([{"measure": "barrier", "asset": "road-4-0-e"}], "cannot be applied to road-4-0-e"),
        ([{"measure": "raise", "asset": "hospital-2"}], "it applies to substation"),
        ([{"measure": "barrier"}], "needs an asset"),
        ([{"measure": "warning", "asset": "bus-147"}], "city-wide; it takes no asset"),
        ([{"measure": "warning"}, {"measure": "warning"}], "placement 2: measure 'warning' is"),
        ([{"measure": "warning", "cost": 0}], "unexpected field 'cost'"),
        ("not a list", "must be a list"),
    ],
)
def test_bad_plans_are_refused_with_the_place(city: City, placements, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError, match=message):
        validate_plan(FLOOD, city, placements)


def test_over_budget_is_refused_and_says_by_how_much(city: City) -> None:
    assets = [city.ids[i] for i in eligible(city, FLOOD.measure("generator")).nonzero()[0]][:12]
    placements = [{"measure": "generator", "asset": a} for a in assets]
    with pytest.raises(PlanError, match=r"over the budget of EUR 1,200,000 by EUR 96,000"):
        validate_plan(FLOOD, city, placements)
