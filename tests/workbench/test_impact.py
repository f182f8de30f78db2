"""Mapping simulator ensemble results onto people and infrastructure impact classes."""

from __future__ import annotations

import pytest

from crisis.exceptions import ContentError
from crisis.workbench.impact import (
    PEOPLE_BOUNDS,
    SimulatedImpact,
    Spread,
    apply_estimate,
    estimate_impact,
    from_summary,
    impact_class,
    simulate_impact,
)
from crisis.workbench.workspace import Workspace


@pytest.mark.parametrize(
    ("hours", "expected"), [(0.0, 1), (2.99, 1), (3.0, 2), (95.9, 3), (96.0, 4), (500.0, 5)]
)
def test_people_classes(hours: float, expected: int) -> None:
    assert impact_class(hours, PEOPLE_BOUNDS) == expected


def test_uncertainty_is_carried_through_percentiles() -> None:
    result = SimulatedImpact(
        population=100_000,
        # worst service per resident: 2 h, 30 h, 100 h
        people_hours={"power": Spread(200_000, 3_000_000, 10_000_000),
                      "water": Spread(100_000, 1_000_000, 9_000_000)},
        outage_hours={"power": Spread(2, 30, 200), "water": Spread(1, 10, 400)},
    )  # fmt: skip
    estimate = estimate_impact(result)
    people, infra = estimate["people"], estimate["infrastructure"]
    assert people.value == Spread(2, 30, 100)
    assert (people.p5, people.level, people.p95) == (1, 3, 4)
    assert (infra.p5, infra.level, infra.p95) == (1, 3, 5)
    assert infra.value == Spread(2, 30, 400)
    assert infra.as_dict()["range"] == [1, 5]


def test_simulator_summary_is_read_per_service() -> None:
    summary = {
        "power": {"eoh": {"p5": 1.0, "p50": 5.0, "p95": 30.0, "mean": 8.0},
                  "people_hours": {"p5": 1e4, "p50": 5e4, "p95": 3e5}},
        "water": {"eoh": {"p5": 0.0, "p50": 2.0, "p95": 10.0},
                  "people_hours": {"p5": 0.0, "p50": 2e4, "p95": 1e5}},
    }  # fmt: skip
    result = from_summary(summary, population=50_000)
    assert result.people_hours["water"] == Spread(0.0, 2e4, 1e5)
    assert estimate_impact(result)["infrastructure"].level == 2
    with pytest.raises(ContentError, match="service 'gas' needs eoh"):
        from_summary({"gas": {"eoh": {"p50": 1}}}, population=10)


def test_bad_inputs() -> None:
    with pytest.raises(ContentError, match="p5 ≤ p50 ≤ p95"):
        Spread(5, 1, 10)
    with pytest.raises(ContentError, match="population must be positive"):
        SimulatedImpact(
            population=0, people_hours=Spread(0, 0, 0), outage_hours={"power": Spread(0, 0, 0)}
        )


def test_estimate_fills_the_chosen_scenario_only(demo: Workspace) -> None:
    blackout = demo.hazard_register.get("blackout")
    result = SimulatedImpact(
        320_000, {"power": Spread(1e5, 3.2e6, 2e7)}, {"power": Spread(10, 60, 200)}
    )
    updated = apply_estimate(blackout, "most_severe", estimate_impact(result))
    assert updated.most_severe.impacts.people == 2
    assert updated.most_severe.impacts.infrastructure == 3
    assert updated.most_severe.impacts.economy == blackout.most_severe.impacts.economy
    assert updated.most_probable == blackout.most_probable
    assert updated.version == blackout.version


def test_simulated_blackouts_map_to_classes_that_grow_with_duration() -> None:
    from crisis.simulation.generate import generate_city

    city = generate_city(400, rng=7)
    short = simulate_impact(city, {"kind": "blackout", "outage_hours": 12, "outage_beta": 0},
                            scenarios=20, horizon=240, rng=1)  # fmt: skip
    long = simulate_impact(city, {"kind": "blackout", "outage_hours": 150, "outage_beta": 0},
                           scenarios=20, horizon=240, rng=1)  # fmt: skip
    # Twelve hours without power city-wide: minor on both dimensions.
    assert short["infrastructure"].level == 2 and short["people"].level == 2
    assert short["infrastructure"].value.p50 == pytest.approx(12.0, rel=0.05)
    # Six days: essential services lost for a week, classes 4 and 4.
    assert long["infrastructure"].level == 4 and long["people"].level == 4


def test_simulator_mapping_and_the_background_job(demo: Workspace) -> None:
    from crisis.workbench.impact import estimate_impact_job, estimates_from_result, simulator_hazard

    flood = demo.hazard_register.get("river-flood")
    assert simulator_hazard(flood, "most_severe") == {"kind": "flood", "return_period": 200.0}
    assert simulator_hazard(demo.hazard_register.get("unemployment"), "most_severe") is None
    with pytest.raises(ContentError, match="scenarios: must be 1–2000"):
        estimate_impact_job({"hazard": {"kind": "blackout"}, "scenarios": 0}, lambda f: None)
    seen: list[float] = []
    blackout = simulator_hazard(demo.hazard_register.get("blackout"), "most_severe")
    result = estimate_impact_job({"hazard": blackout, "scenarios": 10, "seed": 1}, seen.append)
    assert seen[0] < seen[-1] == 1.0
    estimates = estimates_from_result(result)
    assert set(estimates) == {"people", "infrastructure"}
    assert estimates["people"].p5 <= estimates["people"].level <= estimates["people"].p95
