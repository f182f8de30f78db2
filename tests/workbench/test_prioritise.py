"""The ranking follows the matrix, agrees with it on the demo city, and two analysts compare."""

from __future__ import annotations

import pytest

from crisis.exceptions import ContentError
from crisis.workbench.matrix import risk_matrix
from crisis.workbench.prioritise import CRITERIA, agreement, compare_rankings, rank
from crisis.workbench.register import Register, parse_register
from crisis.workbench.workspace import Workspace

from .conftest import hazard_data


def _weights(**given: float) -> dict[str, float]:
    return {c: given.get(c, 0.0) for c in CRITERIA}


def test_the_ahp_weighs_impact_dimensions_only() -> None:
    assert CRITERIA == ("people", "economy", "environment", "infrastructure", "society")


def test_ranking_by_risk_with_the_deciding_scenario(small_register: Register) -> None:
    ranking = rank(small_register)
    # gamma (1 in 2,000 years, catastrophic for people and infrastructure only) has a
    # weighted impact of 2.6 (class 3): index 30, below delta's yearly nuisance (40).
    assert [r.hazard_id for r in ranking] == ["alpha", "beta", "delta", "gamma"]
    assert ranking[0].risk == 100 and ranking[0].band == "very high"
    assert ranking[3].risk == 30 and ranking[3].likelihood_class == 1
    assert ranking[3].impact_highest == 5 and ranking[3].highest_dimensions == (
        "people", "infrastructure",
    )  # fmt: skip
    # On the highest dimension, gamma is a rare catastrophe: high, above delta.
    highest = [r.hazard_id for r in rank(small_register, basis="highest")]
    assert highest.index("gamma") < highest.index("delta")
    assert sum(ranking[1].contributions.values()) == pytest.approx(ranking[1].impact_weighted)


def test_the_higher_scenario_decides_and_is_named() -> None:
    register = parse_register({"city": "C", "hazards": [
        hazard_data("quake", (0.01, [2, 2, 1, 2, 2]), (0.001, [5, 5, 3, 5, 5])),
    ]})  # fmt: skip
    (only,) = rank(register)
    # 1 in 1,000 years is class 2; weighted impact 4.6 rounds to class 5.
    assert only.scenario == "most_severe" and only.risk == 10 + 15 * 4
    (probable,) = rank(register, scenario="most_probable")
    assert probable.scenario == "most_probable"


def test_weights_change_the_order_through_impact_only(small_register: Register) -> None:
    people = rank(small_register, _weights(people=1.0))
    society = rank(small_register, _weights(society=1.0))
    # gamma is catastrophic for people (5) and negligible for society (1).
    assert people.index(next(r for r in people if r.hazard_id == "gamma")) < society.index(
        next(r for r in society if r.hazard_id == "gamma")
    )


def test_bad_weights_are_named(small_register: Register) -> None:
    with pytest.raises(ContentError, match="weight for 'economy' is missing"):
        rank(small_register, {"people": 1.0})
    with pytest.raises(ContentError, match="unknown weight 'likelihood'"):
        rank(small_register, {**_weights(people=1.0), "likelihood": 1.0})
    with pytest.raises(ContentError, match="must be non-negative"):
        rank(small_register, {**_weights(people=1.0), "economy": -0.5})


def test_matrix_order_and_ranking_agree_on_the_demo_city(demo: Workspace) -> None:
    register = demo.hazard_register
    weights = demo.criteria_weights()
    ranking = rank(register, weights)
    found = agreement(ranking)
    print(f"Kendall tau (matrix cells vs ranking, demo city): {found.kendall_tau:.3f}")
    assert found.kendall_tau is not None and found.kendall_tau >= 0.8
    assert found.discordant == []
    # Every hazard sits on the matrix in the cell of its deciding scenario, whose index is
    # the ranking's primary key: walking the ranking never climbs to a higher cell.
    matrix = risk_matrix(register, dimension_weights=weights)
    best_cell = {}
    for entry in matrix.entries:
        best_cell[entry.hazard_id] = max(best_cell.get(entry.hazard_id, 0), entry.risk)
    assert [best_cell[r.hazard_id] for r in ranking] == [r.risk for r in ranking]
    assert [r.risk for r in ranking] == sorted((r.risk for r in ranking), reverse=True)
    # Hazards sharing a cell value are the only ties, and the ranking orders them by score.
    for group in found.ties:
        scores = [next(r.score for r in ranking if r.hazard_id == h) for h in group]
        assert scores == sorted(scores, reverse=True)


def test_the_earthquake_is_no_longer_both_second_and_last(demo: Workspace) -> None:
    ranking = rank(demo.hazard_register, demo.criteria_weights())
    matrix = risk_matrix(demo.hazard_register, scenario="most_severe")
    order = [e.hazard_id for e in matrix.ranked()]
    quake = next(r for r in ranking if r.hazard_id == "earthquake")
    assert quake.rank <= 3 and order.index("earthquake") <= 2


def test_identical_rankings_agree_fully(small_register: Register) -> None:
    found = agreement(rank(small_register))
    assert found.kendall_tau == pytest.approx(1.0) and not found.ties


def test_comparing_two_analysts() -> None:
    first = ["a", "b", "c", "d", "e"]
    second = ["a", "c", "b", "e", "d", "f"]
    comparison = compare_rankings(first, second)
    assert comparison.common == 5
    assert comparison.kendall_tau == pytest.approx(0.6)
    assert comparison.spearman_rho == pytest.approx(0.8)
    assert comparison.only_second == ["f"]
    assert {m[0] for m in comparison.moved[:4]} == {"b", "c", "d", "e"}
    same = compare_rankings(first, first)
    assert same.kendall_tau == pytest.approx(1.0) and all(m[3] == 0 for m in same.moved)
    reversed_ = compare_rankings(first, first[::-1])
    assert reversed_.kendall_tau == pytest.approx(-1.0)
    assert reversed_.moved[0][0] in ("a", "e") and abs(reversed_.moved[0][3]) == 4


def test_comparison_needs_shared_hazards() -> None:
    with pytest.raises(ContentError, match="fewer than two"):
        compare_rankings(["a", "b"], ["c", "d"])
    with pytest.raises(ContentError, match="lists a hazard twice"):
        compare_rankings(["a", "a"], ["a"])


def test_empty_register_cannot_be_ranked() -> None:
    with pytest.raises(ContentError, match="no hazards"):
        rank(parse_register({"city": "C"}))
