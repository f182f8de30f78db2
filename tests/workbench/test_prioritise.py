"""Weighted ranking, its sensitivity to the weights, and agreement between analysts."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.exceptions import ContentError
from crisis.workbench.prioritise import CRITERIA, compare_rankings, rank, sensitivity
from crisis.workbench.register import Register
from crisis.workbench.workspace import Workspace


def _weights(**given: float) -> dict[str, float]:
    return {c: given.get(c, 0.0) for c in CRITERIA}


def test_equal_weights_rank_by_overall_severity(small_register: Register) -> None:
    ranking = rank(small_register)
    assert [r.hazard_id for r in ranking] == ["alpha", "beta", "gamma", "delta"]
    assert ranking[0].score == pytest.approx(1.0)
    assert sum(ranking[1].contributions.values()) == pytest.approx(ranking[1].score)


def test_weights_change_the_order(small_register: Register) -> None:
    people_first = rank(small_register, _weights(people=1.0))
    assert [r.hazard_id for r in people_first][:2] in (["alpha", "gamma"], ["gamma", "alpha"])
    likelihood_only = rank(small_register, _weights(likelihood=1.0))
    assert likelihood_only[-1].hazard_id == "gamma"


def test_bad_weights_are_named(small_register: Register) -> None:
    with pytest.raises(ContentError, match="weight for 'people' is missing"):
        rank(small_register, {"likelihood": 1.0})
    with pytest.raises(ContentError, match="must be non-negative"):
        rank(small_register, {**_weights(people=1.0), "economy": -0.5})


def _top3(register: Register, weights: dict[str, float]) -> tuple[str, ...]:
    return tuple(r.hazard_id for r in rank(register, weights)[:3])


def _moved(weights: dict[str, float], criterion: str, delta: float) -> dict[str, float]:
    rest = 1.0 - weights[criterion]
    out = {c: w * (1.0 - weights[criterion] - delta) / rest for c, w in weights.items()}
    out[criterion] = weights[criterion] + delta
    return out


def test_sensitivity_reports_the_smallest_flip_and_it_really_flips(demo: Workspace) -> None:
    register = demo.hazard_register
    weights = demo.criteria_weights()
    assert weights is not None
    base = _top3(register, weights)
    results = {s.criterion: s for s in sensitivity(register, weights)}
    assert set(results) == set(CRITERIA)
    found = 0
    for criterion, result in results.items():
        for flip, sign in ((result.up, 1), (result.down, -1)):
            if flip is None:
                continue
            found += 1
            assert flip.top_before == base
            assert flip.top_after != base
            low, high = -weights[criterion], 1.0 - weights[criterion]
            probe = min(max(flip.delta + sign * 1e-7, low), high)
            assert _top3(register, _moved(weights, criterion, probe)) == flip.top_after
            # Just short of the threshold nothing has changed yet.
            assert _top3(register, _moved(weights, criterion, flip.delta * 0.99)) == base
    assert found >= 6


def test_sensitivity_scan_agrees_with_brute_force(small_register: Register) -> None:
    weights = dict.fromkeys(CRITERIA, 1 / 6)
    for result in sensitivity(small_register, weights):
        grid = np.linspace(0, 1 - weights[result.criterion], 200)[1:]
        changed = [d for d in grid if _top3(small_register, _moved(weights, result.criterion, d))
                   != _top3(small_register, weights)]  # fmt: skip
        if result.up is None:
            assert not changed
        else:
            assert changed and min(changed) >= result.up.delta - 1e-9
            assert min(changed) - result.up.delta < grid[1] - grid[0] + 1e-9


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
