"""Workbench pages: workspaces, members and history; the other pages join this router.

Every page needs the analyst site role (admins too) and a member role in the workspace.
Each change is saved as a new version of the workspace (:mod:`crisis.store.workspaces`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.exceptions import CrisisError, PermissionDeniedError
from crisis.store import users, workspaces
from crisis.store.tables import User
from crisis.store.workbench_tables import MEMBER_ROLES
from crisis.web import (
    workbench_hazards,
    workbench_priorities,
    workbench_reports,
    workbench_scorecard,
)
from crisis.web import workbench_service as service
from crisis.web.params import Id
from crisis.web.security import csrf_protect, get_db
from crisis.web.workbench_common import access, analyst, language, page, workspace_user
from crisis.workbench.history import diff
from crisis.workbench.prioritise import rank
from crisis.workbench.scorecard import essential_scores, overall_percent

router = APIRouter(
    prefix="/workbench", dependencies=[Depends(csrf_protect)], include_in_schema=False
)


@router.get("", name="workbench")
def index(
    request: Request, user: User = Depends(analyst), db: Session = Depends(get_db)
) -> Response:
    rows = workspaces.list_workspaces(db, None if user.role == "admin" else user)
    return page(request, "workbench/index.html", None, {"workspaces": rows})


@router.post("")
def create(
    request: Request,
    name: str = Form("", max_length=64),
    city: str = Form("", max_length=200),
    user: User = Depends(analyst),
    db: Session = Depends(get_db),
) -> Response:
    try:
        row = service.create_workspace(db, user, name, city)
    except CrisisError as exc:
        rows = workspaces.list_workspaces(db, None if user.role == "admin" else user)
        return page(
            request,
            "workbench/index.html",
            None,
            {"workspaces": rows, "error": str(exc), "form": {"name": name, "city": city}},
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/workbench/{row.name}", status_code=303)


@router.get("/{name}")
def overview(
    request: Request, name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> Response:
    acc = access(db, user, name)
    state = service.state(db, acc)
    ws = state.workspace
    ranking = rank(ws.hazard_register, ws.criteria_weights()) if ws.hazard_register.hazards else []
    latest = ws.latest_round()
    overall = None
    if latest is not None:
        overall = overall_percent(essential_scores(latest, language=language(request)))
    return page(
        request,
        "workbench/overview.html",
        acc,
        {
            "state": state,
            "ranking": ranking[:5],
            "latest": latest,
            "overall": overall,
            "members": workspaces.members(db, acc.row),
            "member_roles": MEMBER_ROLES,
            "versions": workspaces.list_versions(db, acc.row, limit=5),
        },
    )


@router.post("/{name}/members")
def set_member(
    request: Request,
    name: str,
    username: str = Form("", max_length=64),
    role: str = Form("viewer", max_length=16),
    remove: str = Form("", max_length=8),
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "owner")
    if not acc.can_manage:
        raise PermissionDeniedError("a practice workspace is private; it has no other members")
    member = users.get_user(db, username)
    service.set_member(db, acc, member, None if remove else role)
    return RedirectResponse(f"/workbench/{name}#members", status_code=303)


# --- history ---------------------------------------------------------------------------


@router.get("/{name}/history")
def history(
    request: Request, name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> Response:
    acc = access(db, user, name)
    versions = workspaces.list_versions(db, acc.row)
    return page(request, "workbench/history.html", acc, {"versions": versions})


@router.get("/{name}/history/compare")
def compare_versions(
    request: Request,
    name: str,
    a: Id,
    b: Id,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    first, second = workspaces.get_version(db, acc.row, a), workspaces.get_version(db, acc.row, b)
    found = diff(first.snapshot, second.snapshot)
    return page(
        request,
        "workbench/compare.html",
        acc,
        {
            "first": first,
            "second": second,
            "diff": found,
            "plan_changed": first.plan != second.plan,
            "versions": workspaces.list_versions(db, acc.row),
        },
    )


@router.get("/{name}/history/{number}")
def version(
    request: Request,
    name: str,
    number: Id,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    row = workspaces.get_version(db, acc.row, number)
    ws = workspaces.workspace_of(row)
    lang = language(request)
    rounds = [(r, overall_percent(essential_scores(r, language=lang))) for r in ws.rounds]
    return page(
        request,
        "workbench/version.html",
        acc,
        {
            "saved": row,
            "past": ws,
            "rounds": rounds,
            "weights": ws.weights(),
            "latest_number": acc.row.version,
        },
    )


@router.post("/{name}/history/{number}/restore")
def restore(
    request: Request,
    name: str,
    number: Id,
    base: Annotated[Id, Form(...)],
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    service.restore(db, acc, number, base=base, author=user)
    return RedirectResponse(f"/workbench/{name}/history", status_code=303)


for _module in (workbench_hazards, workbench_priorities, workbench_scorecard, workbench_reports):
    router.include_router(_module.router)
