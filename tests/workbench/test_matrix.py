"""The one risk definition: likelihood classes, the risk index, its bands, the 5×5 matrix."""

from __future__ import annotations

import pytest

from crisis.exceptions import ContentError
from crisis.workbench.matrix import risk_matrix
from crisis.workbench.register import parse_register
from crisis.workbench.risk import (
    cell_bands,
    impact_class,
    likelihood_class,
    risk_band,
    risk_index,
)

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


def test_a_rare_catastrophe_outranks_a_yearly_nuisance_and_the_bands_say_so() -> None:
    catastrophe, nuisance = risk_index(1, 5), risk_index(5, 1)
    assert (catastrophe, nuisance) == (60, 40)
    assert risk_band(catastrophe) == "high" and risk_band(nuisance) == "medium"
    # One impact class weighs 1.5 likelihood classes: the matrix is asymmetric.
    bands = cell_bands()
    assert bands[(1, 5)] != bands[(5, 1)]
    assert bands[(1, 1)] == "low" and bands[(5, 5)] == "very high"
    assert [risk_band(r) for r in (0, 24.9, 25, 49.9, 50, 74.9, 75, 100)] == [
        "low", "low", "medium", "medium", "high", "high", "very high", "very high",
    ]  # fmt: skip
    with pytest.raises(ContentError, match="0–100"):
        risk_band(101)


def test_the_index_grows_with_either_class() -> None:
    for lk in range(1, 6):
        for im in range(1, 5):
            assert risk_index(lk, im + 1) > risk_index(lk, im)
            assert risk_index(min(lk + 1, 5), im) >= risk_index(lk, im)


@pytest.mark.parametrize(("weighted", "expected"), [(1.0, 1), (2.49, 2), (2.5, 3), (4.6, 5)])
def test_weighted_impact_rounds_half_up_to_its_class(weighted: float, expected: int) -> None:
    assert impact_class(weighted) == expected


def test_highest_dimension_and_weighted_combination_are_both_reported() -> None:
    register = parse_register({"city": "C", "hazards": [
        hazard_data("h", (0.2, [5, 1, 1, 1, 2]), (0.01, [5, 5, 5, 5, 5])),
    ]})  # fmt: skip
    entry = risk_matrix(register, scenario="most_probable").entries[0]
    assert entry.likelihood_class == 5
    assert entry.impact_highest == 5 and entry.highest_dimensions == ("people",)
    assert entry.impact_weighted == pytest.approx(2.0)
    assert entry.impact_class == 2 and entry.risk == 55 and entry.band == "high"
    assert sum(entry.contributions.values()) == pytest.approx(entry.impact_weighted)
    highest = risk_matrix(register, scenario="most_probable", basis="highest").entries[0]
    assert highest.impact_class == 5 and highest.risk == 100
    people_only = risk_matrix(
        register, scenario="most_probable",
        dimension_weights={"people": 1, "economy": 0, "environment": 0, "infrastructure": 0,
                           "society": 0},
    ).entries[0]  # fmt: skip
    assert people_only.impact_class == 5


def test_matrix_cells_hold_the_scenarios(small_register: object) -> None:
    matrix = risk_matrix(small_register)  # type: ignore[arg-type]
    assert len(matrix.entries) == 8
    assert [e.hazard_id for e in matrix.cell(5, 5)] == ["alpha", "alpha"]
    assert [e.hazard_id for e in matrix.cell(1, 3)] == ["gamma", "gamma"]
    assert matrix.ranked()[0].hazard_id == "alpha"
    grid = matrix.as_dict()["grid"]
    assert grid[0][4] == ["alpha:most_probable", "alpha:most_severe"]  # type: ignore[index]


def test_unknown_dimension_weight_is_named() -> None:
    register = parse_register(
        {"city": "C", "hazards": [hazard_data("h", (0.2, [1] * 5), (0.1, [1] * 5))]}
    )
    with pytest.raises(ContentError, match="unknown weight 'health'"):
        risk_matrix(register, dimension_weights={"health": 1.0})
    with pytest.raises(ContentError, match="basis"):
        risk_matrix(register, basis="average")  # type: ignore[arg-type]
