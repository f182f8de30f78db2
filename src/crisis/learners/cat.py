"""The adaptive knowledge test (CAT): which item next, when to stop, what the answers say.

Ability is estimated for each competence area by EAP. Abilities in different areas go
together (someone strong in risk assessment is rarely a novice in response planning), so the
answers in the other areas set each area's prior through an assumed correlation
(``area_correlation``, 0 for unrelated areas); with no answers yet it is the standard normal.
The next item is chosen in three steps:

1. **content balancing** – among areas still open (standard error above the target or fewer
   than the minimum items), the area with the fewest items so far; within it, the competences
   asked least so far;
2. **maximum information** – the items of those competences ranked by Fisher information at the
   area's current estimate;
3. **exposure control** – one of the ``randomesque`` most informative, at random (so two
   learners at the same ability do not see the same sequence and no item is over-exposed).

The test stops when every area's standard error is at or below ``se_target`` (after
``min_per_area`` items each), at ``max_items``, or when the bank runs out. The whole state is
a small pydantic model (:class:`CatState`), so a web app can store it between requests; the
random choice at step *n* is seeded by ``(seed, n)`` and so replays identically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from crisis.competences.models import Catalogue
from crisis.exceptions import ConflictError, ContentError
from crisis.learners.irt import (
    QUADRATURE,
    Estimate,
    eap,
    information,
    probability,
)
from crisis.learners.items import Item, ItemBank

#: θ at which levels 1, 2, 3, 4 begin; below the first is level 0 ("not yet"). They equal the
#: initial item difficulties per level (see :mod:`crisis.learners.items`).
CUT_SCORES: tuple[float, float, float, float] = (-1.5, -0.5, 0.5, 1.5)
#: How far a competence's ability may differ from its area's, in θ units.
COMPETENCE_SPREAD = 0.6


def level_of(theta: float, cuts: tuple[float, ...] = CUT_SCORES) -> int:
    """The proficiency level 0..4 for an ability θ."""
    return int(np.searchsorted(np.asarray(cuts), theta, side="right"))


def level_probabilities(estimate: Estimate, cuts: tuple[float, ...] = CUT_SCORES) -> list[float]:
    """Posterior probability of each level 0..4: the posterior of θ between the cut scores."""
    return [float(p) for p in estimate.interval_probabilities(cuts)]


def most_probable_level(
    estimate: Estimate, cuts: tuple[float, ...] = CUT_SCORES
) -> tuple[int, float]:
    """The level whose band holds the most posterior probability, and that probability.

    This places a learner in the level they are most probably at (the rule that makes the
    fewest wrong placements); it can differ from :func:`level_of` of the posterior mean when
    the posterior is skewed, as guessing makes it near the bottom of the scale.
    """
    probabilities = level_probabilities(estimate, cuts)
    level = int(np.argmax(probabilities))
    return level, probabilities[level]


def continuous_level(theta: float, cuts: tuple[float, ...] = CUT_SCORES) -> float:
    """θ on the level scale: a cut score maps to ``level - 0.5``; clipped to 0..4.

    Rounding it gives :func:`level_of` (up to ties); used to weigh test evidence against a
    self-rating in the same units.
    """
    points = np.asarray(cuts, dtype=float)
    marks = np.arange(len(points)) + 0.5
    if theta <= points[0]:
        value = marks[0] - (points[0] - theta) / (points[1] - points[0])
    elif theta >= points[-1]:
        value = marks[-1] + (theta - points[-1]) / (points[-1] - points[-2])
    else:
        value = float(np.interp(theta, points, marks))
    return float(np.clip(value, 0.0, len(points)))


class CatConfig(BaseModel):
    """Settings of an adaptive test."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_items: Annotated[int, Field(ge=1, le=500)] = 52
    se_target: Annotated[float, Field(gt=0, le=1)] = 0.45
    min_per_area: Annotated[int, Field(ge=0)] = 4
    #: How exposure is controlled: ``progressive`` (a random part that fades as the test goes
    #: on) or ``randomesque`` (one of the ``randomesque`` most informative at random).
    exposure: Literal["progressive", "randomesque"] = "progressive"
    randomesque: Annotated[int, Field(ge=1)] = 3
    #: Items shown to this share of earlier tests or more are passed over while others remain
    #: (when the test is given the exposure rates, see :class:`AdaptiveTest`).
    max_exposure: Annotated[float, Field(gt=0, le=1)] = 0.25
    #: Assumed correlation between a person's abilities in different areas; answers in the
    #: other areas then inform each area's prior. 0 treats the areas as unrelated.
    area_correlation: Annotated[float, Field(ge=0, le=0.95)] = 0.6


class CatState(BaseModel):
    """Everything needed to resume a test: store it, load it, carry on."""

    model_config = ConfigDict(extra="forbid")

    seed: int
    config: CatConfig = CatConfig()
    #: Item ids in the order they were asked.
    asked: list[str] = []
    #: Item id → chosen option index.
    answers: dict[str, int] = {}
    #: The item shown and not yet answered.
    pending: str | None = None
    finished: bool = False


@dataclass(frozen=True)
class AreaResult:
    """Ability in one competence area."""

    area: str
    theta: float
    se: float
    #: The most probable level (:func:`most_probable_level`) and its posterior probability.
    level: int
    items: int
    correct: int
    level_probability: float = 1.0


@dataclass(frozen=True)
class CompetenceResult:
    """Test evidence for one competence: its area's estimate refined by its own items."""

    competence: str
    area: str
    theta: float
    se: float
    #: The most probable level (:func:`most_probable_level`) and its posterior probability.
    level: int
    items: int
    correct: int
    level_probability: float = 1.0


class AdaptiveTest:
    """An adaptive test session over one item bank and one framework's areas.

    Args:
        bank: The item bank.
        catalogue: Gives each competence its area; items on unknown competences are skipped.
        state: A stored state to resume; see :meth:`start` for a new test.
        exposure: Item id → share of earlier tests that showed the item, where known; items
            at or above ``config.max_exposure`` are passed over while others remain.
    """

    def __init__(
        self,
        bank: ItemBank,
        catalogue: Catalogue,
        state: CatState,
        *,
        exposure: Mapping[str, float] | None = None,
    ) -> None:
        self.bank = bank
        self.state = state
        self.area_of: dict[str, str] = {c.id: c.area for c in catalogue.framework.competences}
        self.areas: list[str] = [a.id for a in catalogue.framework.areas]
        self._a = bank.a
        self._b = bank.b
        self._c = bank.c
        self._answer = np.array([item.answer for item in bank.items])
        self._area_index = np.array(
            [
                self.areas.index(self.area_of[i.competence]) if i.competence in self.area_of else -1
                for i in bank.items
            ]
        )
        self._usable = [k for k, item in enumerate(bank.items) if item.competence in self.area_of]
        rates = exposure or {}
        self._rate = np.array([float(rates.get(item.id, 0.0)) for item in bank.items])
        for iid in [*state.asked, *state.answers]:
            if iid not in bank:
                raise ContentError(f"stored test refers to item {iid!r}, not in the item bank")

    @classmethod
    def start(
        cls,
        bank: ItemBank,
        catalogue: Catalogue,
        *,
        seed: int,
        config: CatConfig | None = None,
        exposure: Mapping[str, float] | None = None,
    ) -> AdaptiveTest:
        """Begin a new test; ``seed`` fixes the exposure-control draws."""
        state = CatState(seed=int(seed), config=config or CatConfig())
        return cls(bank, catalogue, state, exposure=exposure)

    # -- asking ---------------------------------------------------------------------------

    def next_item(self) -> Item | None:
        """The item to show now (the pending one again if unanswered), or ``None`` when done."""
        state = self.state
        if state.pending is not None:
            return self.bank.item(state.pending)
        if state.finished:
            return None
        choice = self._select()
        if choice is None:
            state.finished = True
            return None
        item = self.bank.items[choice]
        state.pending = item.id
        state.asked.append(item.id)
        return item

    def answer(self, item_id: str, option: int) -> bool:
        """Record the learner's option for the pending item; return whether it was correct.

        Raises:
            ConflictError: The item was already answered, or is not the one being asked.
            ContentError: ``option`` is not one of the item's options.
        """
        state = self.state
        if item_id in state.answers:
            raise ConflictError(f"item {item_id} has already been answered in this test")
        if state.pending != item_id:
            shown = state.pending or "none"
            raise ConflictError(f"item {item_id} was not asked (the item being asked is {shown})")
        item = self.bank.item(item_id)
        if isinstance(option, bool) or not isinstance(option, int):
            raise ContentError(f"answer to item {item_id} must be an option number")
        if not 0 <= option < len(item.options):
            raise ContentError(
                f"answer to item {item_id}: option {option} does not exist "
                f"(the item has {len(item.options)} options, numbered from 0)"
            )
        state.answers[item_id] = option
        state.pending = None
        return option == item.answer

    @property
    def finished(self) -> bool:
        """Whether the test has ended (after :meth:`next_item` returned ``None``)."""
        return self.state.finished

    def _select(self) -> int | None:
        config = self.state.config
        if len(self.state.asked) >= config.max_items:
            return None
        asked = set(self.state.asked)
        remaining = [k for k in self._usable if self.bank.items[k].id not in asked]
        if not remaining:
            return None
        estimates = self.area_estimates()
        counts = self._count_by("area")
        open_areas = [
            area
            for area in self.areas
            if counts.get(area, 0) < config.min_per_area or estimates[area].se > config.se_target
        ]
        by_area: dict[str, list[int]] = {}
        for k in remaining:
            by_area.setdefault(self.area_of[self.bank.items[k].competence], []).append(k)
        candidates_areas = [area for area in open_areas if by_area.get(area)]
        if not candidates_areas:
            return None
        area = min(
            candidates_areas,
            key=lambda a: (counts.get(a, 0), -estimates[a].se, self.areas.index(a)),
        )
        pool = by_area[area]
        per_competence = self._count_by("competence")
        least = min(per_competence.get(self.bank.items[k].competence, 0) for k in pool)
        pool = [k for k in pool if per_competence.get(self.bank.items[k].competence, 0) == least]
        rate = self._rate[pool]
        allowed = rate < config.max_exposure
        # When every candidate has reached the limit, the least exposed ones are used.
        idx = np.array(pool)[allowed if allowed.any() else rate <= rate.min()]
        info = information(estimates[area].theta, self._a[idx], self._b[idx], self._c[idx])
        rng = np.random.default_rng([self.state.seed, len(self.state.asked)])
        if config.exposure == "randomesque":
            order = np.argsort(-info, kind="stable")[: config.randomesque]
            return int(idx[order[int(rng.integers(len(order)))]])
        # Progressive method: a random part that fades as the test goes on, so the first
        # items vary most between learners and the last ones are the most informative.
        weight = len(self.state.asked) / config.max_items
        score = (1 - weight) * rng.uniform(0, info.max(), size=len(idx)) + weight * info
        return int(idx[int(np.argmax(score))])

    def _count_by(self, what: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for iid in self.state.asked:
            competence = self.bank.item(iid).competence
            key = self.area_of.get(competence, "") if what == "area" else competence
            counts[key] = counts.get(key, 0) + 1
        return counts

    # -- estimating -----------------------------------------------------------------------

    def _responses(self) -> list[tuple[Item, bool]]:
        return [
            (self.bank.item(iid), option == self.bank.item(iid).answer)
            for iid, option in self.state.answers.items()
        ]

    def _area_prior(self, responses: list[tuple[Item, bool]], area: str) -> tuple[float, float]:
        """Prior for an area's θ given the answers in the other areas.

        With abilities standard-normal and correlated ``ρ`` between areas, and the other
        areas' ability known as ``N(m, s²)``, the area's ability is ``N(ρ m, 1 - ρ² + ρ² s²)``.
        """
        others = [(i, c) for i, c in responses if self.area_of.get(i.competence) != area]
        rest = _eap_of(others) if others else None
        return self._conditional(rest)

    def _conditional(self, rest: Estimate | None) -> tuple[float, float]:
        rho = self.state.config.area_correlation
        if rho == 0 or rest is None:
            return 0.0, 1.0
        return rho * rest.theta, float(np.sqrt(1 - rho**2 + rho**2 * rest.se**2))

    def area_estimates(self) -> dict[str, Estimate]:
        """EAP ability and its standard error per area, from the answers so far.

        Computed on arrays (one log-likelihood row per answer) because item selection asks
        for it at every step; :meth:`result` gives the same numbers.
        """
        answered = list(self.state.answers.items())
        if not answered:
            return {area: _grid_eap(np.zeros_like(QUADRATURE), 0.0, 1.0) for area in self.areas}
        idx = np.array([self.bank.position(iid) for iid, _ in answered])
        right = np.array(
            [option == self._answer[k] for (_, option), k in zip(answered, idx, strict=True)]
        )
        p = probability(QUADRATURE[:, None], self._a[idx], self._b[idx], self._c[idx])
        p = np.clip(p, 1e-12, 1 - 1e-12)
        loglik = np.where(right[None, :], np.log(p), np.log1p(-p))  # (points, answers)
        item_area = self._area_index[idx]
        per_area = np.stack([loglik[:, item_area == j].sum(axis=1) for j in range(len(self.areas))])
        total = per_area.sum(axis=0)
        out = {}
        for j, area in enumerate(self.areas):
            has_other = bool(np.any(item_area != j))
            rest = _grid_eap(total - per_area[j], 0.0, 1.0) if has_other else None
            mean, sd = self._conditional(rest)
            out[area] = _grid_eap(per_area[j], mean, sd)
        return out

    def result(self) -> TestResult:
        """Abilities per area and per competence, each with its most probable level.

        The level is the band between :data:`CUT_SCORES` that holds the most of the
        posterior (:func:`most_probable_level`), reported with that probability.

        A competence's θ is estimated from its own items, with the rest of its area (itself
        informed by the other areas) as the prior, widened by :data:`COMPETENCE_SPREAD`.
        """
        responses = self._responses()
        estimates = self.area_estimates()
        areas = []
        competences = []
        for area in self.areas:
            mine = [(i, c) for i, c in responses if self.area_of.get(i.competence) == area]
            est = estimates[area]
            prior_mean, prior_sd = self._area_prior(responses, area)
            level, chance = most_probable_level(est)
            areas.append(AreaResult(area, est.theta, est.se, level, len(mine), _n(mine), chance))
            for cid in sorted({i.competence for i, _ in mine}):
                own = [(i, c) for i, c in mine if i.competence == cid]
                rest = _eap_of(
                    [(i, c) for i, c in mine if i.competence != cid],
                    prior_mean=prior_mean,
                    prior_sd=prior_sd,
                )
                est_c = _eap_of(
                    own,
                    prior_mean=rest.theta,
                    prior_sd=float(np.hypot(rest.se, COMPETENCE_SPREAD)),
                )
                level_c, chance_c = most_probable_level(est_c)
                competences.append(
                    CompetenceResult(
                        cid, area, est_c.theta, est_c.se, level_c, len(own), _n(own), chance_c
                    )
                )
        overall = _eap_of(responses)
        return TestResult(
            areas=areas,
            competences=competences,
            theta=overall.theta,
            se=overall.se,
            items=len(responses),
        )


@dataclass(frozen=True)
class TestResult:
    """What an adaptive test measured.

    Attributes:
        areas: Per area: θ, SE, level, items answered, correct.
        competences: Per competence that had items: θ, SE and level.
        theta: One ability over all answers (for an overall score).
        se: Its standard error.
        items: Items answered.
    """

    __test__ = False  # not a pytest class, despite the name

    areas: list[AreaResult]
    competences: list[CompetenceResult]
    theta: float
    se: float
    items: int

    def area(self, area_id: str) -> AreaResult:
        """The result of one area."""
        for result in self.areas:
            if result.area == area_id:
                return result
        raise ContentError(f"no area {area_id!r} in this test result")

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "theta": round(self.theta, 3),
            "se": round(self.se, 3),
            "items": self.items,
            "areas": [vars(a) for a in self.areas],
            "competences": [vars(c) for c in self.competences],
        }


def _eap_of(
    responses: list[tuple[Item, bool]], *, prior_mean: float = 0.0, prior_sd: float = 1.0
) -> Estimate:
    return eap(
        [c for _, c in responses],
        [i.irt.a for i, _ in responses],
        [i.irt.b for i, _ in responses],
        [i.irt.c for i, _ in responses],
        prior_mean=prior_mean,
        prior_sd=prior_sd,
    )


def _grid_eap(loglik: npt.NDArray[np.float64], mean: float, sd: float) -> Estimate:
    """EAP over the fixed quadrature grid, given the log-likelihood at each grid point."""
    log_post = loglik - 0.5 * ((QUADRATURE - mean) / sd) ** 2
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    theta = float(w @ QUADRATURE)
    se = float(np.sqrt(max(w @ (QUADRATURE - theta) ** 2, 0.0)))
    return Estimate(theta=theta, se=se, points=QUADRATURE, weights=w)


def _n(responses: list[tuple[Item, bool]]) -> int:
    return sum(1 for _, c in responses if c)


def simulate_answers(
    test: AdaptiveTest,
    abilities: Mapping[str, float],
    rng: np.random.Generator,
    *,
    guessing: float | None = None,
) -> int:
    """Run ``test`` to the end for a simulated learner who answers by the item's model.

    Args:
        test: A started test.
        abilities: True θ per area.
        rng: Random source for the answers.
        guessing: The learner's chance of guessing right on an item they do not know; by
            default each item's own lower asymptote (one over its options). 0 simulates a
            learner who is never right by chance.

    Returns:
        The number of items answered.
    """
    while (item := test.next_item()) is not None:
        theta = abilities[test.area_of[item.competence]]
        c = item.irt.c if guessing is None else guessing
        right = rng.random() < float(probability(theta, item.irt.a, item.irt.b, c))
        wrong = [k for k in range(len(item.options)) if k != item.answer]
        test.answer(item.id, item.answer if right else int(rng.choice(wrong)))
    return len(test.state.answers)
