"""The admin's pages: accounts, roles, invitations."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crisis import accounts
from crisis.exceptions import CrisisError
from crisis.store import users
from crisis.store.tables import User
from crisis.web.i18n import gettext as _
from crisis.web.rendering import render
from crisis.web.security import csrf_protect, get_db, require_roles

router = APIRouter(
    prefix="/admin",
    dependencies=[Depends(csrf_protect), Depends(require_roles("admin"))],
    include_in_schema=False,
)


def _page(request: Request, db: Session, status_code: int = 200, **context: object) -> Response:
    return render(
        request,
        "admin_users.html",
        {"users": users.list_users(db), "roles": accounts.ROLES, **context},
        status_code=status_code,
    )


@router.get("/users")
def user_list(request: Request, db: Session = Depends(get_db)) -> Response:
    return _page(request, db)


@router.post("/users")
def user_add(
    request: Request,
    username: str = Form("", max_length=200),
    role: str = Form("learner", max_length=32),
    display_name: str = Form("", max_length=128),
    db: Session = Depends(get_db),
) -> Response:
    password = accounts.generate_password()
    try:
        user = users.add_user(db, username, password, role, display_name=display_name)
    except CrisisError as exc:
        db.rollback()
        return _page(request, db, 400, error=str(exc))
    db.commit()
    return _page(
        request,
        db,
        message=_("Account %(name)s created with password %(password)s — pass it on safely.")
        % {"name": user.username, "password": password},
    )


@router.post("/users/{username}/role")
def user_role(
    request: Request,
    username: str,
    role: str = Form(..., max_length=32),
    admin: User = Depends(require_roles("admin")),
    db: Session = Depends(get_db),
) -> Response:
    try:
        if username == admin.username and role != "admin":
            raise CrisisError(_("You cannot take the admin role from yourself."))
        users.set_role(db, username, role, actor=admin)
    except CrisisError as exc:
        db.rollback()
        return _page(request, db, 400, error=str(exc))
    db.commit()
    return _page(
        request,
        db,
        message=_("Role of %(name)s is now %(role)s.") % {"name": username, "role": role},
    )


@router.post("/users/{username}/active")
def user_active(
    request: Request,
    username: str,
    active: bool = Form(...),
    admin: User = Depends(require_roles("admin")),
    db: Session = Depends(get_db),
) -> Response:
    try:
        if username == admin.username and not active:
            raise CrisisError(_("You cannot deactivate your own account."))
        users.set_active(db, username, active, actor=admin)
    except CrisisError as exc:
        db.rollback()
        return _page(request, db, 400, error=str(exc))
    db.commit()
    return _page(request, db)


@router.post("/users/{username}/password")
def user_password(request: Request, username: str, db: Session = Depends(get_db)) -> Response:
    password = accounts.generate_password()
    users.set_password(db, username, password)
    db.commit()
    return _page(
        request,
        db,
        message=_("New password for %(name)s: %(password)s")
        % {"name": username, "password": password},
    )


@router.post("/invitations")
def invitation_add(
    request: Request,
    role: str = Form("learner", max_length=32),
    note: str = Form("", max_length=200),
    admin: User = Depends(require_roles("admin")),
    db: Session = Depends(get_db),
) -> Response:
    try:
        _inv, code = users.create_invitation(db, role, admin, dt.timedelta(days=14), note)
    except CrisisError as exc:
        db.rollback()
        return _page(request, db, 400, error=str(exc))
    db.commit()
    link = f"{request.base_url}register?code={code}"
    return _page(
        request,
        db,
        message=_("Invitation for a %(role)s, valid 14 days: %(link)s")
        % {"role": role, "link": link},
    )
