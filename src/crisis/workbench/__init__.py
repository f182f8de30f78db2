"""The workbench: hazard register, risk prioritisation, resilience scorecard."""

from crisis.workbench.actionplan import Action, action_plan
from crisis.workbench.ahp import AHPResult, ahp
from crisis.workbench.history import diff, restore, snapshot
from crisis.workbench.matrix import RiskMatrix, likelihood_class, risk_matrix
from crisis.workbench.prioritise import CRITERIA, compare_rankings, rank, sensitivity
from crisis.workbench.register import Hazard, Register, save_hazard
from crisis.workbench.scorecard import ScorecardRound, bundled_scorecard, essential_scores
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
    "ahp",
    "bundled_scorecard",
    "bundled_taxonomy",
    "compare_rankings",
    "demo_workspace",
    "diff",
    "essential_scores",
    "likelihood_class",
    "load_workspace",
    "rank",
    "restore",
    "risk_matrix",
    "save_hazard",
    "sensitivity",
    "snapshot",
]
