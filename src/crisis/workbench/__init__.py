"""The workbench: hazard register, risk prioritisation, resilience scorecard."""

from crisis.workbench.actionplan import Action, action_plan
from crisis.workbench.ahp import AHPResult, ahp, revisions
from crisis.workbench.history import diff, restore, snapshot
from crisis.workbench.matrix import RiskMatrix, likelihood_class, risk_matrix
from crisis.workbench.prioritise import CRITERIA, agreement, compare_rankings, rank
from crisis.workbench.register import Hazard, Register, save_hazard
from crisis.workbench.risk import assess, risk_band, risk_index
from crisis.workbench.scorecard import ScorecardRound, bundled_scorecard, essential_scores
from crisis.workbench.sensitivity import judgement_steps, pair_flips, sensitivity
from crisis.workbench.taxonomy import bundled_taxonomy
from crisis.workbench.workspace import Workspace, demo_workspace, load_workspace

__all__ = [
    "CRITERIA",
    "AHPResult",
    "Action",
    "Hazard",
    "Register",
    "RiskMatrix",
    "ScorecardRound",
    "Workspace",
    "action_plan",
    "agreement",
    "ahp",
    "assess",
    "bundled_scorecard",
    "bundled_taxonomy",
    "compare_rankings",
    "demo_workspace",
    "diff",
    "essential_scores",
    "judgement_steps",
    "likelihood_class",
    "load_workspace",
    "pair_flips",
    "rank",
    "restore",
    "revisions",
    "risk_band",
    "risk_index",
    "risk_matrix",
    "save_hazard",
    "sensitivity",
    "snapshot",
]
