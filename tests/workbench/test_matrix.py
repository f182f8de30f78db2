"""Likelihood classes, impact classes and the 5×5 matrix."""

from __future__ import annotations

import pytest

from crisis.exceptions import ContentError
from crisis.workbench.matrix import likelihood_class, risk_band, risk_matrix
from crisis.workbench.register import Register, parse_register

from .conftest import hazard_data


@pytest.mark.parametrize(
    ("probability", "expected"),
    [(1.0, 5), (0.1, 5), (0.099, 4), (0.02, 4), (0.0199, 3), (0.005, 3), (0.004, 2),
     (0.001, 2), (0.0009, 1)],
)  # fmt: skip
def test_likelihood_classes_follow_return_periods(probability: float, expected: int) -> None:
    assert likelihood_class(probability) == expected


def test_probability_outside_range_is_refused() -> None:
    with pytest.raises(ContentError, match=r"got 1\.2"):
        likelihood_class(1.2)


def test_highest_dimension_and_weighted_combination_are_both_reported() -> None:
    register = parse_register({"city": "C", "hazards": [
        hazard_data("h", (0.2, [5, 1, 1, 1, 2]), (0.01, [5, 5, 5, 5, 5])),
    ]})  # fmt: skip
    entry = risk_matrix(register, scenario="most_probable").entries[0]
    assert entry.likelihood_class == 5
    assert entry.impact_highest == 5
    assert entry.highest_dimensions == ("people",)
    assert entry.impact_weighted == pytest.approx(2.0)
    assert entry.risk == 25 and entry.band == "very high"
    weighted = risk_matrix(register, scenario="most_probable", basis="weighted").entries[0]
    assert weighted.impact_class == 2 and weighted.risk == 10
    people_only = risk_matrix(
        register, scenario="most_probable", basis="weighted",
        dimension_weights={"people": 1, "economy": 0, "environment": 0, "infrastructure": 0,
                           "society": 0},
    ).entries[0]  # fmt: skip
    assert people_only.impact_class == 5


def test_matrix_cells_hold_the_scenarios(small_register: Register) -> None:
    matrix = risk_matrix(small_register)
    assert len(matrix.entries) == 8
    assert [e.hazard_id for e in matrix.cell(5, 5)] == ["alpha", "alpha"]
    assert [e.hazard_id for e in matrix.cell(1, 5)] == ["gamma", "gamma"]
    assert matrix.ranked()[0].hazard_id == "alpha"
    grid = matrix.as_dict()["grid"]
    assert grid[0][4] == ["alpha:most_probable", "alpha:most_severe"]  # type: ignore[index]


def test_unknown_dimension_weight_is_named() -> None:
    register = parse_register(
        {"city": "C", "hazards": [hazard_data("h", (0.2, [1] * 5), (0.1, [1] * 5))]}
    )
    with pytest.raises(ContentError, match="unknown weight 'health'"):
        risk_matrix(register, dimension_weights={"health": 1.0})


def test_risk_bands() -> None:
    assert [risk_band(r) for r in (4, 5, 9, 10, 15, 25)] == [
        "low",
        "medium",
        "medium",
        "high",
        "very high",
        "very high",
    ]
