"""AHP weights and consistency, checked against Saaty's published house example."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.exceptions import ContentError
from crisis.workbench.ahp import ahp, pairwise_from_judgements, validate_pairwise

# Saaty, T. L. (1990). How to make a decision: The analytic hierarchy process. European
# Journal of Operational Research 48(1), 9–26. The "choosing the best house" example: eight
# criteria compared pairwise by a family. Published priority vector (three decimals):
# 0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333; λmax = 9.669, C.I. = 0.238,
# C.R. = 0.169 (with RI(8) = 1.41), i.e. above the 0.10 threshold.
HOUSE_CRITERIA = [
    "size of house", "transportation", "neighbourhood", "age of house",
    "yard space", "modern facilities", "general condition", "financing",
]  # fmt: skip
HOUSE = [
    [1, 5, 3, 7, 6, 6, "1/3", "1/4"],
    ["1/5", 1, "1/3", 5, 3, 3, "1/5", "1/7"],
    ["1/3", 3, 1, 6, 3, 4, 6, "1/5"],
    ["1/7", "1/5", "1/6", 1, "1/3", "1/4", "1/7", "1/8"],
    ["1/6", "1/3", "1/3", 3, 1, "1/2", "1/5", "1/6"],
    ["1/6", "1/3", "1/4", 4, 2, 1, "1/5", "1/6"],
    [3, 5, "1/6", 7, 5, 5, 1, "1/2"],
    [4, 7, 5, 8, 6, 6, 2, 1],
]
HOUSE_WEIGHTS = [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]


def test_saaty_1990_house_example_weights_and_consistency() -> None:
    result = ahp(HOUSE, HOUSE_CRITERIA)
    assert np.round(result.weights, 3).tolist() == HOUSE_WEIGHTS
    assert round(result.lambda_max, 3) == 9.669
    assert round(result.ci, 3) == 0.238
    assert round(result.cr, 3) == 0.169
    assert not result.consistent
    assert result.as_dict()["flag"] == "CR 0.169 exceeds 0.1"


def test_geometric_mean_weights_are_close_to_the_eigenvector() -> None:
    result = ahp(HOUSE, HOUSE_CRITERIA)
    assert sum(result.geometric_weights) == pytest.approx(1.0)
    assert (
        np.abs(np.subtract(result.weights, result.geometric_weights)).max() < 0.05
    )  # the matrix is inconsistent (CR 0.17)
    assert int(np.argmax(result.geometric_weights)) == HOUSE_CRITERIA.index("financing")


def test_a_consistent_matrix_has_zero_cr_and_exact_weights() -> None:
    w = np.array([0.5, 0.25, 0.125, 0.125])
    matrix = (w[:, None] / w[None, :]).tolist()
    result = ahp(matrix)
    assert result.weights == pytest.approx(tuple(w))
    assert result.lambda_max == pytest.approx(4.0)
    assert result.cr == pytest.approx(0.0, abs=1e-9)
    assert result.consistent


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 3], [-3, 1]], "cell (2, 1) [b vs a]: judgements must be positive"),
        ([[1, 3], [3, 1]], "cell (2, 1) [b vs a]: must be the reciprocal of cell (1, 2) = 3"),
        ([[1, 12], ["1/12", 1]], "cell (1, 2) [a vs b]: 12 is not on Saaty's scale"),
        ([[2, "1/2"], [2, 1]], "cell (1, 1) [a]: diagonal must be 1"),
        ([[1, "x"], [1, 1]], "cell (1, 2) [a vs b]: expected a number"),
        ([[1, 2], [0.5]], "row 2 (b) has 1 cells; expected 2"),
    ],
)
def test_impossible_matrices_name_the_cell(matrix: list[list[object]], message: str) -> None:
    with pytest.raises(ContentError) as info:
        validate_pairwise(matrix, ["a", "b"])
    assert message in str(info.value)


def test_rounded_reciprocals_are_accepted() -> None:
    a = validate_pairwise([[1, 3], [0.333, 1]])
    assert a[1, 0] == pytest.approx(0.333)


def test_judgements_fill_the_matrix_and_reject_unknown_criteria() -> None:
    matrix = pairwise_from_judgements(["a", "b", "c"], {("a", "b"): 3, ("c", "a"): "1/5"})
    assert matrix[1][0] == pytest.approx(1 / 3)
    assert matrix[0][2] == pytest.approx(5.0)
    assert matrix[1][2] == 1.0
    with pytest.raises(ContentError, match="unknown criterion 'd'"):
        pairwise_from_judgements(["a", "b"], {("a", "d"): 3})
    with pytest.raises(ContentError, match="given twice"):
        pairwise_from_judgements(["a", "b"], {("a", "b"): 3, ("b", "a"): "1/3"})


def test_inconsistent_judgements_are_named_with_a_value_that_fits() -> None:
    from crisis.workbench.ahp import revisions

    # Consistent weights 4:2:1:1:1, then one judgement turned round: people vs economy
    # should be 2 but reads 1/3.
    w = np.array([4.0, 2.0, 1.0, 1.0, 1.0])
    names = ["people", "economy", "environment", "infrastructure", "society"]
    matrix = (w[:, None] / w[None, :]).tolist()
    matrix[0][1], matrix[1][0] = 1 / 3, 3.0
    before = ahp(matrix, names)
    assert before.cr > 0.0
    found = revisions(matrix, names)
    assert found, "an inconsistent matrix must name a judgement to revise"
    first = found[0]
    assert (first.first, first.second) == ("people", "economy")
    assert first.current == pytest.approx(1 / 3)
    assert first.implied == pytest.approx(2.0)
    assert first.suggested == pytest.approx(2.0)
    assert first.cr_after == pytest.approx(0.0, abs=1e-9) and first.cr_after < before.cr
    assert first.as_dict()["current_text"] == "1/3" and first.as_dict()["suggested_text"] == "2"
    # Putting the suggested value in really gives the CR reported.
    matrix[0][1], matrix[1][0] = first.suggested, 1 / first.suggested
    assert ahp(matrix, names).cr == pytest.approx(first.cr_after, abs=1e-9)


def test_revisions_of_saatys_house_lower_its_cr() -> None:
    from crisis.workbench.ahp import revisions

    found = revisions(HOUSE, HOUSE_CRITERIA)
    assert len(found) == 3
    assert [r.cr_after for r in found] == sorted(r.cr_after for r in found)
    assert all(r.cr_after < 0.169 for r in found)
    a_consistent_one = [[1, 2, 4], ["1/2", 1, 2], ["1/4", "1/2", 1]]
    assert revisions(a_consistent_one) == []
