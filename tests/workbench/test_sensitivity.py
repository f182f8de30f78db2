"""Flip points: the smallest weight changes that alter the top 3 or swap two neighbours."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from crisis.exceptions import ContentError
from crisis.workbench.prioritise import CRITERIA, rank
from crisis.workbench.register import Register
from crisis.workbench.sensitivity import judgement_steps, pair_flips, sensitivity
from crisis.workbench.workspace import Workspace


def _top3(register: Register, weights: dict[str, float]) -> tuple[str, ...]:
    return tuple(r.hazard_id for r in rank(register, weights)[:3])


def _order(register: Register, weights: dict[str, float]) -> list[str]:
    return [r.hazard_id for r in rank(register, weights)]


def _moved(weights: dict[str, float], criterion: str, delta: float) -> dict[str, float]:
    rest = 1.0 - weights[criterion]
    out = {c: w * (1.0 - weights[criterion] - delta) / rest for c, w in weights.items()}
    out[criterion] = weights[criterion] + delta
    return out


def _probe(weights: dict[str, float], criterion: str, delta: float, sign: int) -> float:
    # Just past the flip point (clear of the 1e-6 rounding of scores), inside the range.
    low, high = -weights[criterion], 1.0 - weights[criterion]
    return min(max(delta + sign * 1e-4, low), high)


def test_top3_flip_points_really_flip_and_nothing_flips_before(demo: Workspace) -> None:
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
            assert flip.top_before == base and flip.top_after != base
            assert flip.cause is not None and flip.cause.kind in ("class", "score")
            moved = _moved(weights, criterion, _probe(weights, criterion, flip.delta, sign))
            assert _top3(register, moved) == flip.top_after
            for share in (0.25, 0.5, 0.99):
                assert _top3(register, _moved(weights, criterion, flip.delta * share)) == base
    assert found >= 5


def test_flip_points_agree_with_a_brute_force_scan(small_register: Register) -> None:
    weights = dict.fromkeys(CRITERIA, 1 / 5)
    for result in sensitivity(small_register, weights):
        grid = np.linspace(0, 1 - weights[result.criterion], 400)[1:]
        base = _top3(small_register, weights)
        changed = [
            d for d in grid
            if _top3(small_register, _moved(weights, result.criterion, d)) != base
        ]  # fmt: skip
        if result.up is None:
            assert not changed
        else:
            assert changed and min(changed) >= result.up.delta - 1e-9
            assert min(changed) - result.up.delta < grid[1] - grid[0] + 1e-9


def test_neighbour_flips_swap_exactly_that_pair(demo: Workspace) -> None:
    register = demo.hazard_register
    weights = demo.criteria_weights()
    assert weights is not None
    order = _order(register, weights)
    flips = pair_flips(register, weights)
    assert [(p.upper, p.lower) for p in flips] == list(pairwise(order))
    swapped = 0
    for flip in flips:
        if flip.criterion is None:
            continue
        assert flip.delta is not None
        sign = 1 if flip.delta > 0 else -1
        after = _order(register, _moved(weights, flip.criterion, _probe(
            weights, flip.criterion, flip.delta, sign)))  # fmt: skip
        assert after.index(flip.lower) < after.index(flip.upper)
        before = _order(register, _moved(weights, flip.criterion, flip.delta * 0.99))
        assert before.index(flip.upper) < before.index(flip.lower)
        swapped += 1
    assert swapped >= len(flips) - 2


def test_single_judgement_steps_are_reported(demo: Workspace) -> None:
    assert demo.pairwise is not None
    steps = judgement_steps(demo.hazard_register, demo.pairwise)
    assert len(steps) == 20  # ten pairs, one step either way
    base = tuple(r.hazard_id for r in rank(demo.hazard_register, demo.criteria_weights())[:3])
    for step in steps:
        assert step.changes_top == (step.top_after != base)
        assert step.before != step.after
    with pytest.raises(ContentError):
        judgement_steps(demo.hazard_register, [[1, 2], ["1/2", 1]])


def test_the_highest_basis_ignores_weights_except_for_ties(small_register: Register) -> None:
    weights = dict.fromkeys(CRITERIA, 1 / 5)
    for result in sensitivity(small_register, weights, basis="highest"):
        for flip in (result.up, result.down):
            assert flip is None or flip.cause is None or flip.cause.kind == "score"
