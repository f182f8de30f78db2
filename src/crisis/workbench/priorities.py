"""Everything the priorities of a workspace consist of, from the one risk definition.

The matrix, the ranking, their agreement (Kendall's τ), the flip points of the impact weights
and of single AHP judgements, and — when the judgements are too inconsistent — the ones to
revise. The priorities page, the JSON API and the command line all show this one bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crisis.workbench.ahp import AHPResult, Revision, revisions
from crisis.workbench.matrix import RiskMatrix, ScenarioChoice, risk_matrix
from crisis.workbench.prioritise import CRITERIA, Agreement, RankedHazard, agreement, rank
from crisis.workbench.risk import Basis
from crisis.workbench.sensitivity import (
    JudgementStep,
    PairFlip,
    WeightSensitivity,
    judgement_steps,
    pair_flips,
    sensitivity,
)
from crisis.workbench.workspace import Workspace


@dataclass(frozen=True)
class Priorities:
    """Everything the priorities page and ``/ranking`` show, from one risk definition."""

    weights: AHPResult | None
    revisions: list[Revision]
    matrix: RiskMatrix | None
    ranking: list[RankedHazard]
    agreement: Agreement | None
    sensitivity: list[WeightSensitivity]
    pair_flips: list[PairFlip]
    judgement_steps: list[JudgementStep]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "criteria": list(CRITERIA),
            "ahp": None if self.weights is None else self.weights.as_dict(),
            "inconsistent_judgements": [r.as_dict() for r in self.revisions],
            "ranking": [r.as_dict() for r in self.ranking],
            "agreement": None if self.agreement is None else self.agreement.as_dict(),
            "sensitivity": [s.as_dict() for s in self.sensitivity],
            "neighbour_flips": [p.as_dict() for p in self.pair_flips],
            "judgement_steps": [j.as_dict() for j in self.judgement_steps],
        }


def gather(
    workspace: Workspace, *, scenario: ScenarioChoice = "both", basis: Basis = "weighted"
) -> Priorities:
    """The matrix, the ranking, their agreement and the ranking's stability."""
    register = workspace.hazard_register
    result = workspace.weights()
    weights = workspace.criteria_weights()
    found = (
        revisions(workspace.pairwise, CRITERIA)
        if workspace.pairwise is not None and result is not None and not result.consistent
        else []
    )
    if not register.hazards:
        return Priorities(result, found, None, [], None, [], [], [])
    ranking = rank(register, weights, scenario=scenario, basis=basis)
    several = len(register.hazards) > 1
    return Priorities(
        weights=result,
        revisions=found,
        matrix=risk_matrix(register, scenario=scenario, basis=basis, dimension_weights=weights),
        ranking=ranking,
        agreement=agreement(ranking),
        sensitivity=sensitivity(register, weights, scenario=scenario, basis=basis)
        if several
        else [],
        pair_flips=pair_flips(register, weights, scenario=scenario, basis=basis) if several else [],
        judgement_steps=judgement_steps(
            register, workspace.pairwise, scenario=scenario, basis=basis
        )
        if several and workspace.pairwise is not None
        else [],
    )
