"""Test-wise learners who know nothing end at "Not yet" or "Basic" on the bundled bank."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.competences import load_bundled
from crisis.learners import testwise
from crisis.learners.items import load_bundled_items, load_items
from crisis.learners.testwise import REQUIRED_SHARE, STRATEGIES

FIRST_EDITION = Path(__file__).parent / "data" / "items_first_edition"


@pytest.mark.slow
def test_every_test_wise_strategy_stays_at_not_yet_or_basic_on_the_bundled_bank():
    results = testwise.testwise_check(load_bundled_items(), load_bundled(), tests=8, seed=3)
    assert [r.strategy for r in results] == list(STRATEGIES)
    for result in results:
        assert result.low_share >= REQUIRED_SHARE, result.as_dict()
        # None of them does better than blind guessing would on four options by much.
        assert result.correct < 0.4, result.as_dict()


def test_the_first_edition_bank_would_have_failed_the_check():
    """In the first edition the key was nearly always the longest option: a learner who
    always picks it comes out Advanced or Expert almost everywhere."""
    catalogue = load_bundled()
    results = testwise.testwise_check(
        load_items(FIRST_EDITION),
        catalogue,
        tests=3,
        strategies={"longest option": STRATEGIES["longest option"]},
    )
    [longest] = results
    assert not longest.passed
    assert longest.correct > 0.9
    high = sum(n for level, n in longest.levels.items() if level >= 3)
    assert high / sum(longest.levels.values()) > 0.9
