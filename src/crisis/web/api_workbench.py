"""JSON API of the workbench under ``/api/v1/workbench``.

Hazards carry their version as an ETag (``"3"``); ``PUT`` and ``DELETE`` take it back in
``If-Match`` (or a ``version`` field) and answer 409 with the stored hazard when someone saved
in between. Every change is a new version of the workspace, as in the browser.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, ContentError, FormatError
from crisis.formats.validation import describe_errors
from crisis.store import workspaces
from crisis.store.tables import User
from crisis.store.workbench_tables import WorkbenchVersion
from crisis.web import jobs
from crisis.web.params import Id, checked_id
from crisis.web.security import csrf_protect, get_db
from crisis.web.workbench_common import Access, access, analyst, workspace_user
from crisis.web.workbench_hazards import JOB_KIND
from crisis.workbench.ahp import ahp
from crisis.workbench.impact import MAX_SCENARIOS, simulator_hazard
from crisis.workbench.matrix import risk_matrix
from crisis.workbench.prioritise import CRITERIA, rank, sensitivity
from crisis.workbench.register import (
    SCENARIOS,
    Hazard,
    parse_hazard,
    remove_hazard,
    save_hazard,
)
from crisis.workbench.scorecard import (
    ScorecardRound,
    check_round,
    essential_scores,
    overall_percent,
)

router = APIRouter(
    prefix="/api/v1/workbench", dependencies=[Depends(csrf_protect)], tags=["workbench"]
)


class WorkspaceIn(BaseModel):
    name: str = Field(max_length=64, description="Lower-case letters, digits and hyphens.")
    city: str = Field(max_length=200)


class WorkspaceOut(BaseModel):
    name: str
    city: str
    version: int
    role: str


class VersionOut(BaseModel):
    number: int
    author: str
    saved_at: dt.datetime
    message: str
    changes: dict[str, Any]

    @classmethod
    def of(cls, row: WorkbenchVersion) -> VersionOut:
        return cls(
            number=row.number,
            author=row.author,
            saved_at=row.saved_at,
            message=row.message,
            changes=row.changes or {},
        )


class PairwiseIn(BaseModel):
    matrix: list[list[float | str]] | None = Field(
        description="6×6 judgements in the order of the criteria (fractions such as '1/3' "
        "allowed), or null for equal weights."
    )


class EstimateIn(BaseModel):
    scenario: str = "most_severe"
    scenarios: int = Field(default=200, ge=10, le=MAX_SCENARIOS)


def _out(acc: Access) -> WorkspaceOut:
    return WorkspaceOut(
        name=acc.row.name, city=acc.row.city, version=acc.row.version, role=acc.role
    )


_ETAG = {"ETag": {"description": "The hazard's version, quoted.", "schema": {"type": "string"}}}
_HAZARD = {"model": Hazard, "description": "The hazard.", "headers": _ETAG}
_HAZARD_BODY = {"$ref": "#/components/schemas/Hazard"}
_VERSIONED_BODY = {
    "allOf": [
        _HAZARD_BODY,
        {
            "type": "object",
            "required": ["version"],
            "properties": {"version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
        },
    ],
    "description": "The hazard as edited, with the version it was edited from (or send that "
    "version as If-Match instead).",
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _hazard_response(hazard: Hazard, status_code: int = 200) -> JSONResponse:
    return JSONResponse(
        hazard.model_dump(mode="json"),
        status_code=status_code,
        headers={"ETag": f'"{hazard.version}"'},
    )


def _expected(if_match: str | None, body: dict[str, Any]) -> int:
    raw: Any = if_match.strip().removeprefix("W/").strip('"') if if_match else body.get("version")
    if raw is None:
        raise FormatError("send the version you edited, as If-Match or a 'version' field")
    return checked_id(raw, ("header", "if-match") if if_match else ("body", "version"))


def _conflict(exc: ConflictError, stored: Hazard | None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": str(exc),
    }
    headers = {}
    if stored is not None:
        body["current"] = stored.model_dump(mode="json")
        headers["ETag"] = f'"{stored.version}"'
    return JSONResponse(
        body, status_code=409, media_type="application/problem+json", headers=headers
    )


# --- workspaces --------------------------------------------------------------------------


@router.get("/workspaces", response_model=list[WorkspaceOut], summary="Your workspaces")
def list_workspaces(
    user: User = Depends(analyst), db: Session = Depends(get_db)
) -> list[WorkspaceOut]:
    rows = workspaces.list_workspaces(db, None if user.role == "admin" else user)
    return [_out(access(db, user, row.name)) for row in rows]


@router.post(
    "/workspaces", response_model=WorkspaceOut, status_code=201, summary="Create a workspace"
)
def create_workspace(
    body: WorkspaceIn, user: User = Depends(analyst), db: Session = Depends(get_db)
) -> WorkspaceOut:
    row = workspaces.create_workspace(db, body.name, body.city, user)
    db.commit()
    return _out(access(db, user, row.name))


@router.get("/workspaces/{name}", summary="A workspace's whole state and action plan")
def get_workspace(
    name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> dict[str, Any]:
    acc = access(db, user, name)
    state = workspaces.current(db, acc.row)
    return {
        **_out(acc).model_dump(),
        "workspace": state.workspace.model_dump(mode="json"),
        "plan": state.plan,
    }


@router.get(
    "/workspaces/{name}/versions", response_model=list[VersionOut], summary="Version history"
)
def versions(
    name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> list[VersionOut]:
    acc = access(db, user, name)
    return [VersionOut.of(v) for v in workspaces.list_versions(db, acc.row)]


@router.get("/workspaces/{name}/versions/{number}", summary="The state saved as one version")
def version(
    name: str, number: Id, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> dict[str, Any]:
    acc = access(db, user, name)
    row = workspaces.get_version(db, acc.row, number)
    return {
        **VersionOut.of(row).model_dump(mode="json"),
        "workspace": workspaces.workspace_of(row).model_dump(mode="json"),
        "plan": row.plan,
    }


@router.post(
    "/workspaces/{name}/versions/{number}/restore",
    response_model=VersionOut,
    status_code=201,
    summary="Make an earlier state the newest version",
)
def restore(
    name: str,
    number: Id,
    base: Annotated[Id, Body(..., embed=True, description="The newest version you have seen.")],
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> VersionOut:
    acc = access(db, user, name, "editor")
    row = workspaces.restore_version(db, acc.row, number, base=base, author=user)
    db.commit()
    return VersionOut.of(row)


# --- hazards -----------------------------------------------------------------------------


@router.get("/workspaces/{name}/hazards", summary="The hazard register")
def hazards(
    name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> list[dict[str, Any]]:
    acc = access(db, user, name)
    register = workspaces.current(db, acc.row).workspace.hazard_register
    return [h.model_dump(mode="json") for h in register.hazards]


@router.get(
    "/workspaces/{name}/hazards/{hazard_id}",
    summary="One hazard (ETag = its version)",
    responses={200: _HAZARD},
)
def hazard(
    name: str, hazard_id: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> Response:
    acc = access(db, user, name)
    register = workspaces.current(db, acc.row).workspace.hazard_register
    return _hazard_response(register.get(hazard_id))


def _store(db: Session, acc: Access, register: Any, state: Any, message: str) -> None:
    workspaces.save(
        db,
        acc.row,
        state.workspace.model_copy(update={"hazard_register": register}),
        base=state.version,
        author=acc.user,
        message=message,
    )
    db.commit()


@router.post(
    "/workspaces/{name}/hazards",
    status_code=201,
    summary="Add a hazard",
    responses={201: _HAZARD},
    openapi_extra=_body(_HAZARD_BODY),
)
def add_hazard(
    name: str,
    body: dict[str, Any] = Body(...),
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    state = workspaces.current(db, acc.row)
    new = parse_hazard({k: v for k, v in body.items() if k != "version"})
    register = save_hazard(state.workspace.hazard_register, new, expected_version=None)
    _store(db, acc, register, state, f"Hazard {new.id} saved")
    return _hazard_response(register.get(new.id), status_code=201)


@router.put(
    "/workspaces/{name}/hazards/{hazard_id}",
    summary="Replace a hazard; 409 with the stored hazard if it changed since your version",
    description="Send the version you edited as `If-Match` or as the body's `version`; if the "
    "hazard changed since, the answer is 409 with the stored hazard in `current`.",
    responses={200: _HAZARD},
    openapi_extra=_body(_VERSIONED_BODY),
)
def put_hazard(
    name: str,
    hazard_id: str,
    body: dict[str, Any] = Body(...),
    if_match: str | None = Header(default=None),
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    state = workspaces.current(db, acc.row)
    register = state.workspace.hazard_register
    stored = register.get(hazard_id)
    expected = _expected(if_match, body)
    if body.get("id", hazard_id) != hazard_id:
        raise ContentError(f"id: the body names {body.get('id')!r} but the address {hazard_id!r}")
    edited = parse_hazard({**{k: v for k, v in body.items() if k != "version"}, "id": hazard_id})
    try:
        register = save_hazard(register, edited, expected_version=expected)
    except ConflictError as exc:
        return _conflict(exc, stored)
    _store(db, acc, register, state, f"Hazard {hazard_id} saved")
    return _hazard_response(register.get(hazard_id))


@router.delete(
    "/workspaces/{name}/hazards/{hazard_id}",
    status_code=204,
    summary="Remove a hazard",
    description="Send the version you saw as `If-Match` or as the `version` query parameter; "
    "without either the answer is 400, and 409 if the hazard changed since.",
)
def delete_hazard(
    name: str,
    hazard_id: str,
    if_match: str | None = Header(default=None),
    version: Id | None = None,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    state = workspaces.current(db, acc.row)
    stored = state.workspace.hazard_register.get(hazard_id)
    expected = _expected(if_match, {"version": version})
    try:
        register = remove_hazard(
            state.workspace.hazard_register, hazard_id, expected_version=expected
        )
    except ConflictError as exc:
        return _conflict(exc, stored)
    _store(db, acc, register, state, f"Hazard {hazard_id} removed")
    return Response(status_code=204)


@router.post(
    "/workspaces/{name}/hazards/{hazard_id}/estimate",
    status_code=202,
    summary="Estimate people and infrastructure impact with the simulator (a background job)",
)
def estimate(
    request: Request,
    name: str,
    hazard_id: str,
    body: EstimateIn,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    acc = access(db, user, name, "editor")
    hazard = workspaces.current(db, acc.row).workspace.hazard_register.get(hazard_id)
    if body.scenario not in SCENARIOS:
        raise FormatError(f"scenario: must be one of {', '.join(SCENARIOS)}")
    mapping = simulator_hazard(hazard, body.scenario)
    if mapping is None:
        raise ContentError(f"hazard {hazard_id!r} has no simulator model")
    params = {
        "hazard": mapping,
        "scenarios": body.scenarios,
        "seed": 1,
        "workspace": acc.name,
        "hazard_id": hazard_id,
        "scenario": body.scenario,
    }
    job = jobs.submit(
        request, db, JOB_KIND, params, user, key=f"{acc.row.id}:{hazard_id}:{body.scenario}"
    )
    return {"job_id": job.id, "status": job.status, "poll": f"/api/v1/jobs/{job.id}"}


# --- prioritisation ----------------------------------------------------------------------


@router.get("/workspaces/{name}/ranking", summary="Weighted ranking, weights and sensitivity")
def ranking(
    name: str,
    scenario: str = "both",
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    acc = access(db, user, name)
    if scenario not in ("both", *SCENARIOS):
        raise FormatError("scenario: must be both, most_probable or most_severe")
    ws = workspaces.current(db, acc.row).workspace
    weights = ws.criteria_weights()
    result = ws.weights()
    register = ws.hazard_register
    enough = len(register.hazards) > 1
    return {
        "criteria": list(CRITERIA),
        "ahp": result.as_dict() if result else None,
        "ranking": [r.as_dict() for r in rank(register, weights, scenario=scenario)]  # type: ignore[arg-type]
        if register.hazards
        else [],
        "sensitivity": [s.as_dict() for s in sensitivity(register, weights, scenario=scenario)]  # type: ignore[arg-type]
        if enough
        else [],
    }


@router.get("/workspaces/{name}/matrix", summary="The 5×5 risk matrix")
def matrix(
    name: str,
    scenario: str = "both",
    basis: str = "highest",
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> dict[str, object]:
    acc = access(db, user, name)
    if scenario not in ("both", *SCENARIOS) or basis not in ("highest", "weighted"):
        raise FormatError("scenario must be both/most_probable/most_severe, basis highest/weighted")
    register = workspaces.current(db, acc.row).workspace.hazard_register
    return risk_matrix(register, scenario=scenario, basis=basis).as_dict()  # type: ignore[arg-type]


@router.put("/workspaces/{name}/pairwise", summary="Set the AHP judgements; returns the weights")
def pairwise(
    name: str, body: PairwiseIn, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> dict[str, object]:
    acc = access(db, user, name, "editor")
    state = workspaces.current(db, acc.row)
    result = None if body.matrix is None else ahp(body.matrix, CRITERIA)
    matrix_value = None if body.matrix is None else tuple(tuple(row) for row in body.matrix)
    workspaces.save(
        db,
        acc.row,
        state.workspace.model_copy(update={"pairwise": matrix_value}),
        base=state.version,
        author=user,
        message="Criteria weights set by AHP" if result else "Criteria weights reset to equal",
    )
    db.commit()
    return {"ahp": result.as_dict() if result else None}


# --- scorecard ---------------------------------------------------------------------------


@router.get("/workspaces/{name}/scorecard", summary="Rounds with their scores per essential")
def scorecard(
    name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> list[dict[str, Any]]:
    acc = access(db, user, name)
    rounds = []
    for scoring in workspaces.current(db, acc.row).workspace.rounds:
        scores = essential_scores(scoring)
        rounds.append(
            {
                **scoring.model_dump(mode="json"),
                "essentials": [s.as_dict() for s in scores],
                "overall": round(overall_percent(scores), 2),
            }
        )
    return rounds


@router.put(
    "/workspaces/{name}/scorecard/rounds/{label}",
    summary="Create or replace a scorecard round",
)
def put_round(
    name: str,
    label: str,
    body: dict[str, Any] = Body(...),
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    acc = access(db, user, name, "editor")
    try:
        scoring = ScorecardRound.model_validate({**body, "label": label})
    except ValidationError as exc:
        errors = describe_errors(exc)
        raise ContentError(errors[0], errors=errors) from None
    check_round(scoring)
    state = workspaces.current(db, acc.row)
    rounds = (*(r for r in state.workspace.rounds if r.label != label), scoring)
    workspaces.save(
        db,
        acc.row,
        state.workspace.model_copy(update={"rounds": rounds}),
        base=state.version,
        author=user,
        message=f"Round {label} saved",
    )
    db.commit()
    scores = essential_scores(scoring)
    return {
        **scoring.model_dump(mode="json"),
        "essentials": [s.as_dict() for s in scores],
        "overall": round(overall_percent(scores), 2),
    }
