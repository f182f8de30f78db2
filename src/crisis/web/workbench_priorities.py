"""Prioritisation pages: matrix, ranking, their agreement, flip points, AHP weights, two analysts.

The weights two analysts set are versions of the workspace, each with its author; comparing
their rankings applies each version's weights to the current register.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, ContentError
from crisis.store import workspaces
from crisis.store.tables import User
from crisis.store.workbench_tables import WorkbenchVersion
from crisis.web import workbench_service as service
from crisis.web.params import Id
from crisis.web.security import csrf_protect, get_db
from crisis.web.workbench_common import (
    SCENARIO_LABELS,
    Access,
    access,
    criterion_labels,
    form_int,
    language,
    level_labels,
    page,
    workspace_user,
)
from crisis.workbench.ahp import (
    CR_THRESHOLD,
    pairwise_from_judgements,
    parse_judgement,
    revisions,
)
from crisis.workbench.anchors import bundled_likelihood
from crisis.workbench.matrix import SCENARIO_CHOICES
from crisis.workbench.priorities import Priorities, gather
from crisis.workbench.prioritise import CRITERIA, TOP, compare_rankings, rank
from crisis.workbench.risk import IMPACT_EMPHASIS, risk_band, risk_index
from crisis.workbench.sensitivity import SCALE
from crisis.workbench.workspace import Workspace

router = APIRouter(dependencies=[Depends(csrf_protect)])


def pairs() -> list[tuple[str, str]]:
    """The criteria pairs the AHP form asks about, in order."""
    return list(combinations(CRITERIA, 2))


def judgements_of(workspace: Workspace) -> dict[str, str]:
    """The form's value for each pair (``"likelihood:people"`` → ``"3"``), equal by default."""
    values = {f"{a}:{b}": "1" for a, b in pairs()}
    if workspace.pairwise is None:
        return values
    index = {c: k for k, c in enumerate(CRITERIA)}
    for a, b in pairs():
        number = parse_judgement(workspace.pairwise[index[a]][index[b]])
        values[f"{a}:{b}"] = min(SCALE, key=lambda s: abs(float(Fraction(s)) - number))
    return values


def _cell(value: Fraction) -> float | str:
    # Whole numbers as numbers, fractions as exact text ("1/3"), as workspace files write them.
    return float(value) if value.denominator == 1 else f"1/{value.denominator}"


def matrix_of(judgements: dict[str, str]) -> tuple[tuple[float | str, ...], ...]:
    """The full pairwise matrix from one judgement per pair, exact (``1/3`` kept as text).

    Raises:
        ContentError: A judgement off Saaty's scale (the cell is named).
    """
    parsed: dict[tuple[str, str], object] = {}
    for a, b in pairs():
        value = judgements.get(f"{a}:{b}", "1")
        if value not in SCALE:
            raise ContentError(f"judgement ({a}, {b}): {value!r} is not on Saaty's scale")
        parsed[(a, b)] = value
    pairwise_from_judgements(CRITERIA, parsed)  # validates
    index = {c: k for k, c in enumerate(CRITERIA)}
    n = len(CRITERIA)
    cells: list[list[float | str]] = [[1.0] * n for _ in range(n)]
    for (a, b), judgement in parsed.items():
        ratio = Fraction(str(judgement))
        cells[index[a]][index[b]] = _cell(ratio)
        cells[index[b]][index[a]] = _cell(1 / ratio)
    return tuple(tuple(row) for row in cells)


def _heatmap(found: Priorities, lang: str) -> list[dict[str, Any]]:
    """The matrix as rows (likelihood 5 … 1) of cells, each with its scenarios."""
    assert found.matrix is not None
    labels = bundled_likelihood()
    ranks = {r.hazard_id: r for r in found.ranking}
    rows = []
    for likelihood in range(5, 0, -1):
        cells = []
        for impact in range(1, 6):
            risk = round(risk_index(likelihood, impact))
            entries = [
                {
                    "entry": e,
                    "rank": ranks[e.hazard_id].rank,
                    "governing": ranks[e.hazard_id].scenario == e.scenario,
                }
                for e in found.matrix.cell(likelihood, impact)
            ]
            entries.sort(key=lambda x: (x["rank"], not x["governing"]))
            cells.append(
                {"impact": impact, "risk": risk, "band": risk_band(risk), "entries": entries}
            )
        rows.append(
            {"likelihood": likelihood, "label": labels.label(likelihood, lang), "cells": cells}
        )
    return rows


@router.get("/{name}/priorities")
def priorities(
    request: Request,
    name: str,
    scenario: str = "both",
    basis: str = "weighted",
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    chosen, chosen_basis = service.view(scenario, basis)
    ws = service.state(db, acc).workspace
    found = gather(ws, scenario=chosen, basis=chosen_basis)
    lang = language(request)
    smallest = min(
        (f for s in found.sensitivity for f in (s.up, s.down) if f is not None),
        key=lambda f: abs(f.delta),
        default=None,
    )
    smallest_of = next((s.criterion for s in found.sensitivity if smallest in (s.up, s.down)), None)
    return page(
        request,
        "workbench/priorities.html",
        acc,
        {
            "found": found,
            "heatmap": _heatmap(found, lang) if found.matrix is not None else [],
            "criteria": CRITERIA,
            "criterion_labels": criterion_labels(lang),
            "level_labels": level_labels(lang),
            "scenario": scenario,
            "basis": basis,
            "scenario_choices": SCENARIO_CHOICES,
            "scenario_labels": SCENARIO_LABELS,
            "titles": {h.id: h.title for h in ws.hazard_register.hazards},
            "by_id": {r.hazard_id: r for r in found.ranking},
            "pair_flips": {p.upper: p for p in found.pair_flips},
            "smallest": smallest,
            "smallest_of": smallest_of,
            "top": found.ranking[:TOP],
            "steps_changing": [j for j in found.judgement_steps if j.changes_top],
            "impact_emphasis": IMPACT_EMPHASIS,
        },
    )


def _weights_page(
    request: Request,
    acc: Access,
    db: Session,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    conflict: WorkbenchVersion | None = None,
    status_code: int = 200,
) -> Response:
    current = service.state(db, acc)
    result = current.workspace.weights()
    found = (
        revisions(current.workspace.pairwise, CRITERIA)
        if result is not None and not result.consistent and current.workspace.pairwise is not None
        else []
    )
    return page(
        request,
        "workbench/weights.html",
        acc,
        {
            "pairs": pairs(),
            "scale": SCALE,
            "values": values or judgements_of(current.workspace),
            "ahp": result,
            "revisions": found,
            "conflicting": {f"{r.first}:{r.second}": r for r in found},
            "threshold": CR_THRESHOLD,
            "criterion_labels": criterion_labels(language(request)),
            "base": current.version,
            "error": error,
            "conflict": conflict,
        },
        status_code=status_code,
    )


@router.get("/{name}/weights")
def weights_page(
    request: Request, name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> Response:
    return _weights_page(request, access(db, user, name), db)


@router.post("/{name}/weights")
async def save_weights(
    request: Request, name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> Response:
    acc = access(db, user, name, "editor")
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if ":" in k and isinstance(v, str)}
    base = form_int(form.get("base", ""), "base", low=1, high=10**9)
    reset = bool(form.get("reset"))
    changed = service.changed_since(db, acc, base, lambda w: w.pairwise)
    if changed is not None:
        return _weights_page(request, acc, db, values=values, conflict=changed, status_code=409)
    try:
        matrix = None if reset else matrix_of(values)
    except ContentError as exc:
        return _weights_page(request, acc, db, values=values, error=str(exc), status_code=422)
    service.set_pairwise(db, acc, matrix)
    return RedirectResponse(f"/workbench/{name}/weights?saved=1", status_code=303)


def _weight_versions(db: Session, acc: Access) -> list[WorkbenchVersion]:
    """Versions that set criteria weights, newest first."""
    found = []
    for row in workspaces.list_versions(db, acc.row):
        change = row.changes or {}
        if "pairwise" in change.get("other", ()) or (
            change.get("created") and workspaces.workspace_of(row).pairwise is not None
        ):
            found.append(row)
    return found


@router.get("/{name}/priorities/compare")
def compare(
    request: Request,
    name: str,
    a: Id | None = None,
    b: Id | None = None,
    scenario: str = "both",
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    chosen, _basis = service.view(scenario, "weighted")
    candidates = _weight_versions(db, acc)
    if a is None or b is None:
        by_author: dict[str, int] = {}
        for row in candidates:
            by_author.setdefault(row.author, row.number)
        picks = list(by_author.values())[:2]
        if len(picks) < 2 and len(candidates) >= 2:
            picks = [candidates[0].number, candidates[1].number]
        if len(picks) == 2:
            a, b = picks[1], picks[0]
    result: dict[str, Any] | None = None
    if a is not None and b is not None:
        first = workspaces.get_version(db, acc.row, form_int(a, "a", low=1, high=10**9))
        second = workspaces.get_version(db, acc.row, form_int(b, "b", low=1, high=10**9))
        current = service.state(db, acc).workspace.hazard_register
        if len(current.hazards) < 2:
            raise ConflictError("the register needs at least two hazards to compare rankings")
        rankings = []
        for row in (first, second):
            weights = workspaces.workspace_of(row).criteria_weights()
            rankings.append(rank(current, weights, scenario=chosen))
        comparison = compare_rankings(
            [r.hazard_id for r in rankings[0]], [r.hazard_id for r in rankings[1]]
        )
        result = {
            "first": first,
            "second": second,
            "rankings": list(zip(rankings[0], rankings[1], strict=True)),
            "comparison": comparison,
        }
    return page(
        request,
        "workbench/compare_rankings.html",
        acc,
        {
            "candidates": candidates,
            "a": a,
            "b": b,
            "result": result,
            "scenario": scenario,
            "scenario_choices": SCENARIO_CHOICES,
            "scenario_labels": SCENARIO_LABELS,
        },
    )
