"""Measures on people (evacuation, public information) and difficulty levels."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crisis.exceptions import SimulationError
from crisis.exercises import PlanError, bundled, validate_plan
from crisis.exercises.models import Exercise, Level, Measure, Text
from crisis.simulation.city import City

FLOOD = bundled("river-flood")
QUAKE = bundled("valley-earthquake")
assert FLOOD is not None and QUAKE is not None


def _with(exercise: Exercise, *measures: Measure) -> Exercise:
    return exercise.model_copy(update={"measures": [*exercise.measures, *measures]})


EVACUATE = Measure(
    id="evacuate",
    kind="evacuate",
    params={"share": 0.5, "cost_per_person": 80},
    title=Text(en="Evacuate a district"),
)
CAMPAIGN = Measure(id="info", kind="public_information", title=Text(en="Campaign"))


def test_evacuation_costs_per_resident_moved_and_acts_on_people(city: City) -> None:
    exercise = _with(FLOOD, EVACUATE, CAMPAIGN)
    d = int(city.district_population.argmax())
    district = city.district_ids[d]
    plan = validate_plan(
        exercise, city, [{"measure": "evacuate", "district": district}, {"measure": "info"}]
    )
    residents = round(0.5 * city.district_population[d])
    assert plan.placements[0].cost == pytest.approx(residents * 80)
    assert plan.placements[1].cost == 150_000
    # Nothing for the simulator: both act on people.
    assert plan.interventions(exercise) == []
    effects = plan.effects(exercise, city)
    assert effects.evacuated[d] == 0.5 and effects.information is not None
    assert plan.as_list()[0] == {"measure": "evacuate", "district": district}


@pytest.mark.parametrize(
    ("placement", "message"),
    [
        ({"measure": "evacuate"}, "needs one of the city's districts; none was given"),
        ({"measure": "evacuate", "district": "Atlantis"}, "got 'Atlantis'"),
        ({"measure": "evacuate", "district": "D01", "asset": "bus-46"}, "placed on a district"),
        ({"measure": "barrier", "asset": "bus-147", "district": "D01"}, "takes no district"),
    ],
)
def test_bad_district_placements_are_refused(city: City, placement, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError, match=message):
        validate_plan(_with(FLOOD, EVACUATE), city, [placement])


def test_evacuating_the_same_district_twice_is_refused(city: City) -> None:
    twice = [{"measure": "evacuate", "district": "D01"}] * 2
    with pytest.raises(PlanError, match="placement 2: measure 'evacuate' on D01 is already"):
        validate_plan(_with(FLOOD, EVACUATE), city, twice)


def test_no_evacuation_before_an_earthquake() -> None:
    with pytest.raises(ValidationError, match="an evacuation needs a forecast hazard"):
        Exercise.model_validate({**QUAKE.model_dump(), "measures": [EVACUATE.model_dump()]})


def test_bad_effect_settings_name_the_field(city: City) -> None:
    bad = EVACUATE.model_copy(update={"params": {"share": 1.5}})
    with pytest.raises(SimulationError, match=r"params.share' = 1.5"):
        validate_plan(_with(FLOOD, bad), city, [{"measure": "evacuate", "district": "D01"}])


def test_a_level_sets_budget_and_hazard_and_unknown_levels_are_named() -> None:
    easy = Level(id="easy", title=Text(en="Easy"), budget=2_000_000, show=["hazard", "hints"])
    exercise = FLOOD.model_copy(update={"levels": [easy]})
    played = exercise.at_level("easy")
    assert played.budget == 2_000_000 and played.levels == [easy]
    assert FLOOD.at_level(None).budget == FLOOD.budget
    with pytest.raises(SimulationError, match="has no level 'hard'; levels: easy"):
        exercise.at_level("hard")
    with pytest.raises(ValidationError, match="'map' cannot be shown"):
        Level(id="x", title=Text(en="X"), show=["map"])
