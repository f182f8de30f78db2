"""Workbench tasks of units: what a learner's practice workspace must hold for each.

Each learner gets a private **practice workspace** (an ordinary workbench workspace that
only they can open; analysts' city workspaces stay closed to learners). A workbench unit is
complete when a version of it saved after the learner first opened the unit holds the task's
artefact, made or changed since then — a version, not only the newest state, so that later
practice does not undo evidence already given; and made since the unit was opened, so that
one artefact does not complete every unit that sets the same task at once:

============ =================================================================
task         the artefact
============ =================================================================
register     a hazard register with at least :data:`MIN_HAZARDS` hazards, at least one
             of them added or edited since the unit was opened
matrix       at least :data:`MATRIX_HAZARDS` hazards whose likelihood and impacts the
             learner set or reviewed (added, or saved again from the hazard's form) since
             the unit was opened, their scenarios in at least :data:`MATRIX_BANDS` risk
             bands of the matrix (the learner told high risks from lower ones)
weights      pairwise (AHP) judgements of the criteria with CR ≤ 0.10, changed since
scorecard    a scorecard round with at least :data:`MIN_ANSWERS` answered questions, new
             or changed since
actionplan   an action plan with at least one action, saved (changed) since
impact       a hazard whose impact classes were estimated with the simulator, applied
             since the unit was opened
============ =================================================================

"Since" compares with ``before``, the practice workspace as it stood when the unit was
opened (``None`` when there was none yet: everything in it is new).
"""

from __future__ import annotations

from typing import Any

from crisis.workbench.matrix import risk_matrix
from crisis.workbench.register import Hazard, Register
from crisis.workbench.workspace import Workspace

#: Hazards a register must hold.
MIN_HAZARDS = 3
#: Hazards a matrix task must have assessed since the unit was opened …
MATRIX_HAZARDS = 5
#: … and the risk bands (of low, medium, high, very high) their scenarios must span.
MATRIX_BANDS = 3
#: Answered questions a scorecard round must hold.
MIN_ANSWERS = 10
#: Mark the workbench writes into a hazard's sources when it applies a simulator estimate.
SIMULATOR_NOTE = "Simulator ensemble"

#: A saved state of the practice workspace: the workspace and its action plan.
State = tuple[Workspace, list[dict[str, Any]] | None]


def practice_name(user_id: int) -> str:
    """The name of a learner's practice workspace."""
    return f"practice-{user_id}"


def _new_or_edited(workspace: Workspace, before: State | None) -> list[Hazard]:
    """Hazards added, or saved again (their version counter moves), since ``before``."""
    hazards = list(workspace.hazard_register.hazards)
    if before is None:
        return hazards
    old = list(before[0].hazard_register.hazards)
    return [h for h in hazards if h not in old]


def task_evidence(
    task: str,
    workspace: Workspace,
    plan: list[dict[str, Any]] | None,
    before: State | None = None,
) -> str | None:
    """What the artefact is when ``workspace`` holds it for ``task``, made or changed since
    ``before`` (the state when the unit was opened), else ``None``."""
    hazards = workspace.hazard_register.hazards
    if task == "register":
        if len(hazards) >= MIN_HAZARDS and _new_or_edited(workspace, before):
            return f"{len(hazards)} hazards in the register"
        return None
    if task == "matrix":
        assessed = _new_or_edited(workspace, before)
        if len(assessed) < MATRIX_HAZARDS:
            return None
        register = Register(city=workspace.hazard_register.city, hazards=tuple(assessed))
        bands = {entry.band for entry in risk_matrix(register).entries}
        if len(bands) >= MATRIX_BANDS:
            named = ", ".join(b for b in ("low", "medium", "high", "very high") if b in bands)
            return f"{len(assessed)} hazards assessed, in {len(bands)} risk bands ({named})"
        return None
    if task == "weights":
        result = workspace.weights()
        if result is None or not result.consistent:
            return None
        if before is not None and before[0].pairwise == workspace.pairwise:
            return None
        return f"criteria weights with CR {result.cr:.2f}"
    if task == "scorecard":
        old_rounds = list(before[0].rounds) if before is not None else []
        best = max((len(r.answers) for r in workspace.rounds if r not in old_rounds), default=0)
        if best >= MIN_ANSWERS:
            return f"a scorecard round with {best} answers"
        return None
    if task == "actionplan":
        if plan and (before is None or before[1] != plan):
            return f"an action plan with {len(plan)} actions"
        return None
    if task == "impact":
        for hazard in _new_or_edited(workspace, before):
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
