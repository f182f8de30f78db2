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
from crisis.web import workbench_service as service
from crisis.web.params import Id, checked_id
from crisis.web.security import csrf_protect, get_db
from crisis.web.workbench_common import Access, access, analyst, workspace_user
from crisis.web.workbench_hazards import JOB_KIND
from crisis.workbench.impact import MAX_SCENARIOS, simulator_hazard
from crisis.workbench.matrix import risk_matrix
from crisis.workbench.priorities import gather
from crisis.workbench.register import (
    SCENARIOS,
    Hazard,
    parse_hazard,
)
from crisis.workbench.scorecard import (
    ScorecardRound,
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
        description="5×5 judgements of the impact dimensions in the order people, economy, "
        "environment, infrastructure, society (fractions such as '1/3' allowed), or null for "
        "equal weights. A 6×6 matrix of earlier versions (likelihood first) is accepted and "
        "read without its likelihood row and column."
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
    row = service.create_workspace(db, user, body.name, body.city)
    return _out(access(db, user, row.name))


@router.get("/workspaces/{name}", summary="A workspace's whole state and action plan")
def get_workspace(
    name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> dict[str, Any]:
    acc = access(db, user, name)
    state = service.state(db, acc)
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
    return VersionOut.of(service.restore(db, acc, number, base=base, author=user))


# --- hazards -----------------------------------------------------------------------------


@router.get("/workspaces/{name}/hazards", summary="The hazard register")
def hazards(
    name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> list[dict[str, Any]]:
    acc = access(db, user, name)
    register = service.state(db, acc).workspace.hazard_register
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
    register = service.state(db, acc).workspace.hazard_register
    return _hazard_response(register.get(hazard_id))


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
    new = parse_hazard({k: v for k, v in body.items() if k != "version"})
    return _hazard_response(service.save_hazard(db, acc, new, expected=None), status_code=201)


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
    stored = service.state(db, acc).workspace.hazard_register.get(hazard_id)
    expected = _expected(if_match, body)
    if body.get("id", hazard_id) != hazard_id:
        raise ContentError(f"id: the body names {body.get('id')!r} but the address {hazard_id!r}")
    edited = parse_hazard({**{k: v for k, v in body.items() if k != "version"}, "id": hazard_id})
    try:
        saved = service.save_hazard(db, acc, edited, expected=expected)
    except ConflictError as exc:
        return _conflict(exc, stored)
    return _hazard_response(saved)


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
    stored = service.state(db, acc).workspace.hazard_register.get(hazard_id)
    expected = _expected(if_match, {"version": version})
    try:
        service.delete_hazard(db, acc, hazard_id, expected=expected)
    except ConflictError as exc:
        return _conflict(exc, stored)
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
    hazard = service.state(db, acc).workspace.hazard_register.get(hazard_id)
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


@router.get(
    "/workspaces/{name}/ranking",
    summary="Ranking, impact weights, agreement with the matrix and flip points",
)
def ranking(
    name: str,
    scenario: str = "both",
    basis: str = "weighted",
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    acc = access(db, user, name)
    chosen, chosen_basis = service.view(scenario, basis)
    found = gather(service.state(db, acc).workspace, scenario=chosen, basis=chosen_basis)
    return found.as_dict()


@router.get("/workspaces/{name}/matrix", summary="The 5×5 risk matrix")
def matrix(
    name: str,
    scenario: str = "both",
    basis: str = "weighted",
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> dict[str, object]:
    acc = access(db, user, name)
    chosen, chosen_basis = service.view(scenario, basis)
    ws = service.state(db, acc).workspace
    return risk_matrix(
        ws.hazard_register,
        scenario=chosen,
        basis=chosen_basis,
        dimension_weights=ws.criteria_weights(),
    ).as_dict()


@router.put(
    "/workspaces/{name}/pairwise", summary="Set the AHP judgements of the impact dimensions"
)
def pairwise(
    name: str, body: PairwiseIn, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> dict[str, object]:
    acc = access(db, user, name, "editor")
    result = service.set_pairwise(db, acc, body.matrix)
    return {"ahp": result.as_dict() if result else None}


# --- scorecard ---------------------------------------------------------------------------


@router.get("/workspaces/{name}/scorecard", summary="Rounds with their scores per essential")
def scorecard(
    name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> list[dict[str, Any]]:
    acc = access(db, user, name)
    rounds = []
    for scoring in service.state(db, acc).workspace.rounds:
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
    scoring = service.put_round(db, acc, scoring)
    scores = essential_scores(scoring)
    return {
        **scoring.model_dump(mode="json"),
        "essentials": [s.as_dict() for s in scores],
        "overall": round(overall_percent(scores), 2),
    }
