"""Workbench tasks of units: what a learner's practice workspace must hold for each.

Each learner gets a private **practice workspace** (an ordinary workbench workspace that
only they can open; analysts' city workspaces stay closed to learners). A workbench unit is
complete when some saved version of it holds the task's artefact — a version, not only the
newest state, so that later practice does not undo evidence already given:

============ =================================================================
task         the artefact
============ =================================================================
register     a hazard register with at least :data:`MIN_HAZARDS` hazards
matrix       at least :data:`MIN_HAZARDS` hazards whose scenarios fall in at least two
             risk bands of the matrix (the learner told high risks from lower ones)
weights      pairwise (AHP) judgements of the criteria with CR ≤ 0.10
scorecard    a scorecard round with at least :data:`MIN_ANSWERS` answered questions
actionplan   an action plan with at least one action, saved
impact       a hazard whose impact classes were estimated with the simulator
============ =================================================================
"""

from __future__ import annotations

from typing import Any

from crisis.workbench.matrix import risk_matrix
from crisis.workbench.workspace import Workspace

#: Hazards a register (and a matrix) must hold.
MIN_HAZARDS = 3
#: Answered questions a scorecard round must hold.
MIN_ANSWERS = 10
#: Mark the workbench writes into a hazard's sources when it applies a simulator estimate.
SIMULATOR_NOTE = "Simulator ensemble"


def practice_name(user_id: int) -> str:
    """The name of a learner's practice workspace."""
    return f"practice-{user_id}"


def task_evidence(task: str, workspace: Workspace, plan: list[dict[str, Any]] | None) -> str | None:
    """What the artefact is when ``workspace`` holds it for ``task``, else ``None``."""
    hazards = workspace.hazard_register.hazards
    if task == "register":
        if len(hazards) >= MIN_HAZARDS:
            return f"{len(hazards)} hazards in the register"
        return None
    if task == "matrix":
        if len(hazards) < MIN_HAZARDS:
            return None
        bands = {entry.band for entry in risk_matrix(workspace.hazard_register).entries}
        if len(bands) >= 2:
            return f"{len(hazards)} hazards in {len(bands)} risk bands"
        return None
    if task == "weights":
        result = workspace.weights()
        if result is not None and result.consistent:
            return f"criteria weights with CR {result.cr:.2f}"
        return None
    if task == "scorecard":
        best = max((len(r.answers) for r in workspace.rounds), default=0)
        if best >= MIN_ANSWERS:
            return f"a scorecard round with {best} answers"
        return None
    if task == "actionplan":
        if plan:
            return f"an action plan with {len(plan)} actions"
        return None
    if task == "impact":
        for hazard in hazards:
            if any(SIMULATOR_NOTE in source for source in hazard.sources):
                return f"impact of {hazard.id} estimated with the simulator"
        return None
    raise ValueError(f"unknown workbench task {task!r}")


def handed_in(task: str, workspace: Workspace, plan: list[dict[str, Any]] | None) -> list[str]:
    """Lines describing the learner's artefact, for the instructor who gives feedback."""
    register = workspace.hazard_register
    if task in ("register", "matrix", "impact"):
        out = []
        for entry in risk_matrix(register).ranked():
            out.append(
                f"{entry.title} ({entry.scenario.replace('_', ' ')}): likelihood class "
                f"{entry.likelihood_class}, impact {entry.impact_class}, risk {entry.risk} "
                f"({entry.band})"
            )
        for hazard in register.hazards:
            out += [f"{hazard.title}: {s}" for s in hazard.sources if SIMULATOR_NOTE in s]
        return out
    if task == "weights":
        result = workspace.weights()
        if result is None:
            return []
        return [f"{c}: {w:.3f}" for c, w in result.weight_map().items()] + [f"CR {result.cr:.3f}"]
    if task == "scorecard":
        return [
            f"{r.label} ({r.level}, {r.date.isoformat()}): {len(r.answers)} answers"
            for r in workspace.rounds
        ]
    if task == "actionplan":
        return [str(a.get("title") or a.get("action") or a) for a in plan or []]
    return []
