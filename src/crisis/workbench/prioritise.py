"""Ranking the hazards by the one risk definition, agreement with the matrix and between analysts.

A hazard's risk is that of its *governing* scenario — the higher of its two scenarios by the
definition in :mod:`crisis.workbench.risk` (or the one scenario asked for). Hazards are
ranked by the risk index of their matrix cell, then by the finer score of the unrounded
weighted impact, then by annual probability, then by id. The AHP weights the five impact
dimensions; likelihood is the other axis of risk, not a criterion competing with them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from crisis.exceptions import ContentError
from crisis.workbench.anchors import DIMENSIONS
from crisis.workbench.matrix import ScenarioChoice
from crisis.workbench.register import SCENARIOS, Hazard, Register
from crisis.workbench.risk import Basis, ScenarioRisk, assess, normalise_weights

#: The criteria the AHP weighs: the five impact dimensions.
CRITERIA: tuple[str, ...] = DIMENSIONS
TOP = 3


@dataclass(frozen=True)
class RankedHazard:
    """One hazard's place in the ranking, with the scenario that decides it."""

    rank: int
    hazard_id: str
    title: str
    risk: int
    band: str
    score: float
    scenario: str
    likelihood_class: int
    annual_probability: float
    impact_weighted: float
    impact_class: int
    impact_highest: int
    highest_dimensions: tuple[str, ...]
    contributions: dict[str, float]
    combines: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            **self.__dict__,
            "highest_dimensions": list(self.highest_dimensions),
            "combines": list(self.combines),
        }


def governing(
    hazard: Hazard,
    weights: Mapping[str, float] | None = None,
    *,
    scenario: ScenarioChoice = "both",
    basis: Basis = "weighted",
) -> ScenarioRisk:
    """The scenario of ``hazard`` that sets its risk (the higher one, with ``"both"``)."""
    names = SCENARIOS if scenario == "both" else (scenario,)
    assessed = [assess(hazard, n, basis=basis, dimension_weights=weights) for n in names]
    return max(assessed, key=lambda e: e.key)


def rank(
    register: Register,
    weights: Mapping[str, float] | None = None,
    *,
    scenario: ScenarioChoice = "both",
    basis: Basis = "weighted",
) -> list[RankedHazard]:
    """Rank the register's hazards by risk, highest first.

    Args:
        register: The hazards.
        weights: One weight per impact dimension (normalised here); equal when ``None``.
        scenario: Which scenario to use, or ``"both"`` for the higher of the two.
        basis: Impact as the weighted combination (default) or the highest dimension.
    """
    if not register.hazards:
        raise ContentError("the register has no hazards to rank")
    w = normalise_weights(weights)
    entries = [(h, governing(h, w, scenario=scenario, basis=basis)) for h in register.hazards]
    entries.sort(key=lambda item: (-item[1].key[0], -item[1].key[1], -item[1].key[2], item[0].id))
    return [
        RankedHazard(
            rank=position,
            hazard_id=hazard.id,
            title=hazard.title,
            risk=entry.risk,
            band=entry.band,
            score=entry.score,
            scenario=entry.scenario,
            likelihood_class=entry.likelihood_class,
            annual_probability=entry.annual_probability,
            impact_weighted=entry.impact_weighted,
            impact_class=entry.impact_class,
            impact_highest=entry.impact_highest,
            highest_dimensions=entry.highest_dimensions,
            contributions=entry.contributions,
            combines=hazard.combines,
        )
        for position, (hazard, entry) in enumerate(entries, start=1)
    ]


@dataclass(frozen=True)
class Agreement:
    """How the matrix order and the ranking compare on one register.

    The matrix orders hazards by the index of the cell of their governing scenario; equal
    cells (and different cells of equal index) are ties there. The ranking breaks those ties
    by the finer score, so the two can differ only inside a tie.
    """

    kendall_tau: float | None
    ranking: list[str]
    matrix_risk: dict[str, int]
    ties: list[tuple[str, ...]]
    discordant: list[tuple[str, str]]

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "kendall_tau": self.kendall_tau,
            "ranking": self.ranking,
            "matrix_risk": self.matrix_risk,
            "ties": [list(t) for t in self.ties],
            "discordant": [list(p) for p in self.discordant],
        }


def agreement(ranking: Sequence[RankedHazard]) -> Agreement:
    """Kendall's τ-b between the matrix order (cell index, ties kept) and ``ranking``."""
    from scipy import stats

    ids = [r.hazard_id for r in ranking]
    risks = {r.hazard_id: r.risk for r in ranking}
    discordant = [
        (a.hazard_id, b.hazard_id)
        for k, a in enumerate(ranking)
        for b in ranking[k + 1 :]
        if a.risk < b.risk
    ]
    groups: dict[int, list[str]] = {}
    for item in ranking:
        groups.setdefault(item.risk, []).append(item.hazard_id)
    ties = [tuple(g) for g in groups.values() if len(g) > 1]
    tau: float | None = None
    if len(ranking) >= 2 and len(groups) > 1:
        value = float(
            stats.kendalltau([r.risk for r in ranking], [-r.rank for r in ranking]).statistic
        )
        tau = None if math.isnan(value) else value
    elif len(ranking) == 1:
        tau = 1.0
    return Agreement(tau, ids, risks, ties, discordant)


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
