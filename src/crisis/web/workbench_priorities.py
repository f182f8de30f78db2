"""Prioritisation pages: risk matrix, weighted ranking, sensitivity, AHP weights, two analysts.

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

from crisis.exceptions import ConflictError, ContentError, FormatError
from crisis.store import workspaces
from crisis.store.tables import User
from crisis.store.workbench_tables import WorkbenchVersion
from crisis.web.security import csrf_protect, get_db
from crisis.web.workbench_common import (
    SCENARIO_LABELS,
    Access,
    access,
    analyst,
    criterion_labels,
    form_int,
    language,
    page,
    part_changed,
)
from crisis.workbench.ahp import CR_THRESHOLD, ahp, pairwise_from_judgements, parse_judgement
from crisis.workbench.anchors import bundled_likelihood
from crisis.workbench.matrix import risk_band, risk_matrix
from crisis.workbench.prioritise import CRITERIA, compare_rankings, rank, sensitivity
from crisis.workbench.workspace import Workspace

router = APIRouter(dependencies=[Depends(csrf_protect)])

#: Saaty's scale as the form offers it, from "first criterion extremely more important"
#: to "second criterion extremely more important".
SCALE: tuple[str, ...] = (
    *(str(k) for k in range(9, 1, -1)),
    "1",
    *(f"1/{k}" for k in range(2, 10)),
)
SCENARIO_CHOICES = ("both", "most_probable", "most_severe")


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


def _heatmap(workspace: Workspace, scenario: str, basis: str, lang: str) -> list[dict[str, Any]]:
    labels = bundled_likelihood()
    matrix = risk_matrix(workspace.hazard_register, scenario=scenario, basis=basis)  # type: ignore[arg-type]
    rows = []
    for likelihood in range(5, 0, -1):
        cells = []
        for impact in range(1, 6):
            cells.append(
                {
                    "impact": impact,
                    "band": risk_band(likelihood * impact),
                    "entries": matrix.cell(likelihood, impact),
                }
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
    basis: str = "highest",
    user: User = Depends(analyst),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    if scenario not in SCENARIO_CHOICES:
        raise FormatError(f"scenario: must be one of {', '.join(SCENARIO_CHOICES)}")
    if basis not in ("highest", "weighted"):
        raise FormatError("basis: must be 'highest' or 'weighted'")
    ws = workspaces.current(db, acc.row).workspace
    weights = ws.criteria_weights()
    hazards = ws.hazard_register.hazards
    ranking = rank(ws.hazard_register, weights, scenario=scenario) if hazards else []  # type: ignore[arg-type]
    flips = (
        sensitivity(ws.hazard_register, weights, scenario=scenario)  # type: ignore[arg-type]
        if len(hazards) > 1
        else []
    )
    return page(
        request,
        "workbench/priorities.html",
        acc,
        {
            "heatmap": _heatmap(ws, scenario, basis, language(request)) if hazards else [],
            "ranking": ranking,
            "sensitivity": flips,
            "ahp": ws.weights(),
            "criteria": CRITERIA,
            "criterion_labels": criterion_labels(language(request)),
            "scenario": scenario,
            "basis": basis,
            "scenario_choices": SCENARIO_CHOICES,
            "scenario_labels": SCENARIO_LABELS,
            "titles": {h.id: h.title for h in hazards},
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
    state = workspaces.current(db, acc.row)
    return page(
        request,
        "workbench/weights.html",
        acc,
        {
            "pairs": pairs(),
            "scale": SCALE,
            "values": values or judgements_of(state.workspace),
            "ahp": state.workspace.weights(),
            "threshold": CR_THRESHOLD,
            "criterion_labels": criterion_labels(language(request)),
            "base": state.version,
            "error": error,
            "conflict": conflict,
        },
        status_code=status_code,
    )


@router.get("/{name}/weights")
def weights_page(
    request: Request, name: str, user: User = Depends(analyst), db: Session = Depends(get_db)
) -> Response:
    return _weights_page(request, access(db, user, name), db)


@router.post("/{name}/weights")
async def save_weights(
    request: Request, name: str, user: User = Depends(analyst), db: Session = Depends(get_db)
) -> Response:
    acc = access(db, user, name, "editor")
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if ":" in k and isinstance(v, str)}
    base = form_int(form.get("base", ""), "base", low=1, high=10**9)
    reset = bool(form.get("reset"))
    changed = part_changed(db, acc, base, lambda w: w.pairwise)
    if changed is not None:
        return _weights_page(request, acc, db, values=values, conflict=changed, status_code=409)
    try:
        matrix = None if reset else matrix_of(values)
    except ContentError as exc:
        return _weights_page(request, acc, db, values=values, error=str(exc), status_code=422)
    state = workspaces.current(db, acc.row)
    updated = state.workspace.model_copy(update={"pairwise": matrix})
    result = None if matrix is None else ahp(matrix, CRITERIA)
    message = (
        "Criteria weights reset to equal"
        if result is None
        else f"Criteria weights set by AHP (CR {result.cr:.3f})"
    )
    workspaces.save(db, acc.row, updated, base=state.version, author=user, message=message)
    db.commit()
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
    a: int | None = None,
    b: int | None = None,
    scenario: str = "both",
    user: User = Depends(analyst),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    if scenario not in SCENARIO_CHOICES:
        raise FormatError(f"scenario: must be one of {', '.join(SCENARIO_CHOICES)}")
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
        current = workspaces.current(db, acc.row).workspace.hazard_register
        if len(current.hazards) < 2:
            raise ConflictError("the register needs at least two hazards to compare rankings")
        rankings = []
        for row in (first, second):
            weights = workspaces.workspace_of(row).criteria_weights()
            rankings.append(rank(current, weights, scenario=scenario))  # type: ignore[arg-type]
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
