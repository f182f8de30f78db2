"""Weighted multi-criteria prioritisation of hazards, its sensitivity, and agreement.

The criteria are the likelihood class and the five impact dimensions, each scaled from its
1–5 class to [0, 1]; a hazard's score is the weighted sum, with weights typically from
:func:`crisis.workbench.ahp.ahp`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crisis.exceptions import ContentError
from crisis.workbench.anchors import DIMENSIONS
from crisis.workbench.matrix import ScenarioChoice, likelihood_class, normalise_weights
from crisis.workbench.register import SCENARIOS, Hazard, Register

CRITERIA: tuple[str, ...] = ("likelihood", *DIMENSIONS)
TOP = 3


@dataclass(frozen=True)
class RankedHazard:
    """One hazard's place in the ranking."""

    rank: int
    hazard_id: str
    title: str
    score: float
    contributions: dict[str, float]

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Flip:
    """The smallest change of one weight that changes the top of the ranking."""

    delta: float
    new_weight: float
    top_before: tuple[str, ...]
    top_after: tuple[str, ...]


@dataclass(frozen=True)
class WeightSensitivity:
    """How far one weight can move, up and down, before the top 3 change."""

    criterion: str
    weight: float
    up: Flip | None
    down: Flip | None

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON (``None`` where no change in range flips the top)."""
        return {
            "criterion": self.criterion,
            "weight": self.weight,
            "up": None if self.up is None else self.up.__dict__,
            "down": None if self.down is None else self.down.__dict__,
        }


def criterion_values(hazard: Hazard, scenario: ScenarioChoice = "both") -> dict[str, float]:
    """The hazard's value on each criterion, scaled from class 1–5 to [0, 1].

    With ``scenario="both"`` the two scenarios are averaged.
    """
    names = SCENARIOS if scenario == "both" else (scenario,)
    totals = dict.fromkeys(CRITERIA, 0.0)
    for name in names:
        chosen = hazard.scenario(name)
        classes = {"likelihood": likelihood_class(chosen.likelihood), **chosen.impacts.as_dict()}
        for criterion in CRITERIA:
            totals[criterion] += (classes[criterion] - 1) / 4.0
    return {c: v / len(names) for c, v in totals.items()}


def _values(register: Register, scenario: ScenarioChoice) -> npt.NDArray[np.float64]:
    if not register.hazards:
        raise ContentError("the register has no hazards to rank")
    rows = [criterion_values(h, scenario) for h in register.hazards]
    return np.array([[row[c] for c in CRITERIA] for row in rows])


def _order(scores: npt.NDArray[np.float64], ids: Sequence[str]) -> list[int]:
    # Ties are broken by id so that a ranking never depends on register order.
    return sorted(range(len(ids)), key=lambda k: (-round(float(scores[k]), 12), ids[k]))


def rank(
    register: Register,
    weights: Mapping[str, float] | None = None,
    *,
    scenario: ScenarioChoice = "both",
) -> list[RankedHazard]:
    """Rank the register's hazards by weighted score, highest first.

    Args:
        register: The hazards.
        weights: One weight per criterion in :data:`CRITERIA` (normalised here); equal
            weights when ``None``.
        scenario: Which scenario to score, or ``"both"`` averaged.
    """
    w = normalise_weights(weights, CRITERIA)
    x = _values(register, scenario)
    wv = np.array([w[c] for c in CRITERIA])
    scores = x @ wv
    ids = register.ids()
    ranking = []
    for position, k in enumerate(_order(scores, ids), start=1):
        hazard = register.hazards[k]
        contributions = {c: float(x[k, j] * wv[j]) for j, c in enumerate(CRITERIA)}
        ranking.append(
            RankedHazard(position, hazard.id, hazard.title, float(scores[k]), contributions)
        )
    return ranking


def _top(scores: npt.NDArray[np.float64], ids: Sequence[str], top: int) -> tuple[str, ...]:
    return tuple(ids[k] for k in _order(scores, ids)[:top])


def sensitivity(
    register: Register,
    weights: Mapping[str, float] | None = None,
    *,
    scenario: ScenarioChoice = "both",
    top: int = TOP,
) -> list[WeightSensitivity]:
    """For each weight, the smallest change up and down that changes the top-``top`` list.

    A weight ``w_k`` moves to ``w_k + d`` and the other weights are rescaled to keep their
    proportions and sum ``1 − w_k − d``. Every score is then linear in ``d``, so the changes
    of order happen where two score lines cross; the nearest crossing that actually changes
    the top set or its order is reported.
    """
    w = normalise_weights(weights, CRITERIA)
    x = _values(register, scenario)
    ids = register.ids()
    wv = np.array([w[c] for c in CRITERIA])
    base_top = _top(x @ wv, ids, top)
    results = []
    for k, criterion in enumerate(CRITERIA):
        others = np.delete(np.arange(len(CRITERIA)), k)
        rest = wv[others].sum()
        shares = wv[others] / rest if rest > 1e-12 else np.full(len(others), 1 / len(others))
        q = x[:, others] @ shares
        intercept = wv[k] * x[:, k] + (1.0 - wv[k]) * q
        slope = x[:, k] - q

        def weights_at(
            d: float,
            k: int = k,
            others: npt.NDArray[np.int64] = others,
            shares: npt.NDArray[np.float64] = shares,
        ) -> npt.NDArray[np.float64]:
            out = np.empty(len(CRITERIA))
            out[k] = wv[k] + d
            out[others] = (1.0 - wv[k] - d) * shares
            return out

        crossings = []
        n = len(ids)
        for i in range(n):
            for j in range(i + 1, n):
                ds = slope[i] - slope[j]
                if abs(ds) > 1e-12:
                    crossings.append(float(-(intercept[i] - intercept[j]) / ds))
        flips: dict[int, Flip | None] = {}
        for sign, limit in ((1, 1.0 - wv[k]), (-1, wv[k])):
            flips[sign] = None
            candidates = sorted(d for d in crossings if 0 < sign * d <= limit + 1e-12)
            candidates = candidates if sign > 0 else candidates[::-1]
            for d in candidates:
                probe = d + sign * max(1e-9, 1e-9 * abs(d))
                if sign * probe > limit:
                    probe = sign * limit
                after = _top(x @ weights_at(probe), ids, top)
                if after != base_top:
                    flips[sign] = Flip(d, float(wv[k] + d), base_top, after)
                    break
        results.append(WeightSensitivity(criterion, float(wv[k]), flips[1], flips[-1]))
    return results


@dataclass(frozen=True)
class RankingComparison:
    """Agreement between two analysts' rankings of the same hazards."""

    kendall_tau: float
    spearman_rho: float
    common: int
    moved: list[tuple[str, int, int, int]]
    only_first: list[str]
    only_second: list[str]

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "kendall_tau": self.kendall_tau,
            "spearman_rho": self.spearman_rho,
            "common": self.common,
            "moved": [
                {"hazard_id": h, "rank_first": a, "rank_second": b, "shift": s}
                for h, a, b, s in self.moved
            ],
            "only_first": self.only_first,
            "only_second": self.only_second,
        }


def compare_rankings(first: Sequence[str], second: Sequence[str]) -> RankingComparison:
    """Compare two rankings given as hazard ids from highest priority down.

    Kendall's τ and Spearman's ρ are computed on the hazards both rankings contain, ranked
    within that common set; ``moved`` lists every common hazard by how far it moved (most
    first), with its 1-based ranks in the full lists.

    Raises:
        ContentError: A ranking repeats a hazard, or fewer than two hazards are shared.
    """
    from scipy import stats

    for label, ranking in (("first", first), ("second", second)):
        if len(set(ranking)) != len(ranking):
            raise ContentError(f"the {label} ranking lists a hazard twice")
    rank_a = {h: k for k, h in enumerate(first, start=1)}
    rank_b = {h: k for k, h in enumerate(second, start=1)}
    common = [h for h in first if h in rank_b]
    if len(common) < 2:
        raise ContentError("the two rankings share fewer than two hazards")
    order_b = sorted(common, key=lambda h: rank_b[h])
    within_b = {h: k for k, h in enumerate(order_b, start=1)}
    a_ranks = list(range(1, len(common) + 1))
    b_ranks = [within_b[h] for h in common]
    tau = float(stats.kendalltau(a_ranks, b_ranks).statistic)
    rho = float(stats.spearmanr(a_ranks, b_ranks).statistic)
    moved = sorted(
        ((h, rank_a[h], rank_b[h], rank_b[h] - rank_a[h]) for h in common),
        key=lambda m: (-abs(m[3]), m[1]),
    )
    return RankingComparison(
        kendall_tau=tau,
        spearman_rho=rho,
        common=len(common),
        moved=moved,
        only_first=[h for h in first if h not in rank_b],
        only_second=[h for h in second if h not in rank_a],
    )
