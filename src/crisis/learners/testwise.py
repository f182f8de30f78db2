"""Test-wise learners: simulated people who know nothing and answer from the options' form.

Each strategy picks an option without reading for meaning: the longest, the shortest, the
one sharing most words with the stem, always the same position, or one at random. Sent
through the real adaptive test (:class:`crisis.learners.cat.AdaptiveTest`: selection,
stopping, scoring) and the competence profile built from its result, a sound item bank and
model leave them at "Not yet" or "Basic" almost everywhere. :func:`testwise_check` runs each
strategy several times and reports the share of competences where it ended at level 1 or
below; ``crisis items check --testwise`` and the test suite hold it to at least 90 %.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from crisis.competences.models import Catalogue
from crisis.learners.cat import AdaptiveTest, CatConfig
from crisis.learners.cues import content_words, stem_text
from crisis.learners.items import Item, ItemBank
from crisis.learners.profile import CompetenceProfile, build_profile

#: A strategy: the option index a test-wise learner picks for an item.
Strategy = Callable[[Item, np.random.Generator], int]
#: The highest level a test-wise learner may reach: "Basic".
PASS_LEVEL = 1
#: Share of competences that must end at or below :data:`PASS_LEVEL`.
REQUIRED_SHARE = 0.9


def _pick(scores: list[float], rng: np.random.Generator) -> int:
    """The option with the highest score; ties broken at random."""
    best = max(scores)
    tied = [k for k, score in enumerate(scores) if score == best]
    return int(tied[int(rng.integers(len(tied)))])


def longest(item: Item, rng: np.random.Generator) -> int:
    """The option with the most characters."""
    return _pick([len(o.get("en")) for o in item.options], rng)


def shortest(item: Item, rng: np.random.Generator) -> int:
    """The option with the fewest characters."""
    return _pick([-len(o.get("en")) for o in item.options], rng)


def stem_words(item: Item, rng: np.random.Generator) -> int:
    """The option that repeats the most content words of the scenario and stem."""
    stem = content_words(stem_text(item))
    return _pick([len(content_words(o.get("en")) & stem) for o in item.options], rng)


def always(position: int) -> Strategy:
    """Always the option at ``position`` (0 = a), or the last one if there are fewer."""

    def choose(item: Item, rng: np.random.Generator) -> int:
        return min(position, len(item.options) - 1)

    return choose


def at_random(item: Item, rng: np.random.Generator) -> int:
    """Any option, uniformly."""
    return int(rng.integers(len(item.options)))


#: The strategies checked, by name.
STRATEGIES: dict[str, Strategy] = {
    "longest option": longest,
    "shortest option": shortest,
    "most stem words": stem_words,
    **{f"always {string.ascii_lowercase[k]}": always(k) for k in range(4)},
    "at random": at_random,
}


def take_test(
    bank: ItemBank,
    catalogue: Catalogue,
    strategy: Strategy,
    *,
    seed: int,
    rng: np.random.Generator,
    config: CatConfig | None = None,
    exposure: Mapping[str, float] | None = None,
) -> tuple[AdaptiveTest, CompetenceProfile]:
    """One adaptive test answered by ``strategy``; the finished test and the profile from it."""
    test = AdaptiveTest.start(bank, catalogue, seed=seed, config=config, exposure=exposure)
    while (item := test.next_item()) is not None:
        test.answer(item.id, strategy(item, rng))
    return test, build_profile(catalogue, test=test.result())


@dataclass(frozen=True)
class TestwiseResult:
    """How one strategy fared over several tests.

    Attributes:
        strategy: Its name.
        tests: Tests taken.
        correct: Share of answers that were right.
        levels: Profile level → how many competence entries ended there, over all tests.
    """

    __test__ = False  # not a pytest class, despite the name

    strategy: str
    tests: int
    correct: float
    levels: dict[int, int]

    @property
    def low_share(self) -> float:
        """Share of competence entries at :data:`PASS_LEVEL` or below."""
        total = sum(self.levels.values())
        low = sum(n for level, n in self.levels.items() if level <= PASS_LEVEL)
        return low / total if total else 1.0

    @property
    def passed(self) -> bool:
        """Whether the strategy stayed low in at least :data:`REQUIRED_SHARE` of entries."""
        return self.low_share >= REQUIRED_SHARE

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "strategy": self.strategy,
            "tests": self.tests,
            "correct": round(self.correct, 3),
            "levels": {str(k): v for k, v in sorted(self.levels.items())},
            "not_yet_or_basic": round(self.low_share, 3),
            "passed": self.passed,
        }


def testwise_check(
    bank: ItemBank,
    catalogue: Catalogue,
    *,
    tests: int = 10,
    seed: int = 0,
    config: CatConfig | None = None,
    strategies: Mapping[str, Strategy] | None = None,
) -> list[TestwiseResult]:
    """Send every strategy through ``tests`` adaptive tests and tally the levels it reached."""
    out: list[TestwiseResult] = []
    for name, strategy in (strategies or STRATEGIES).items():
        rng = np.random.default_rng([seed, len(out)])
        levels: Counter[int] = Counter()
        right = answered = 0
        for run in range(tests):
            test, profile = take_test(
                bank, catalogue, strategy, seed=seed * 10_000 + run, rng=rng, config=config
            )
            result = test.result()
            right += sum(a.correct for a in result.areas)
            answered += result.items
            levels.update(entry.level for entry in profile.levels)
        out.append(TestwiseResult(name, tests, right / answered if answered else 0.0, dict(levels)))
    return out
