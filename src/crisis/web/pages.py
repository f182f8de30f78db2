"""The shell's pages: home, sign-in and -out, registration, language, account and sections."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis import accounts
from crisis.exceptions import CrisisError
from crisis.settings import LANGUAGES
from crisis.store import users
from crisis.store.tables import User
from crisis.web.i18n import LANGUAGE_COOKIE
from crisis.web.i18n import gettext as _
from crisis.web.params import Count, Id
from crisis.web.public import safe_next as _safe_next
from crisis.web.rendering import render
from crisis.web.security import (
    DEVICE_COOKIE,
    SESSION_COOKIE,
    client_address,
    csrf_protect,
    current_user,
    device_cookie,
    get_db,
    known_device,
    new_csrf_token,
    optional_user,
    require_roles,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def secure_cookie(request: Request) -> bool:
    return request.url.scheme == "https" or request.app.state.settings.secure_cookies


@router.get("/")
def home(request: Request, user: User | None = Depends(optional_user)) -> Response:
    """The landing page for visitors; for a signed-in user, the parts their role may open."""
    return render(request, "home.html", public=True)


@router.get("/login")
def login_form(
    request: Request,
    next: str | None = None,
    expired: Count = 0,
    user: User | None = Depends(optional_user),
) -> Response:
    notice = _("Your session has expired. Please sign in again.") if expired else None
    return render(request, "login.html", {"next": _safe_next(next), "notice": notice})


@router.post("/login")
def login(
    request: Request,
    username: str = Form("", max_length=200),
    password: str = Form("", max_length=1000),
    next: str = Form("/", max_length=2000),
) -> Response:
    settings = request.app.state.settings
    address = client_address(request)
    name = username.strip().lower()[:64]
    window = dt.timedelta(seconds=settings.login_window_seconds)
    request.state.user = None

    def refuse(error: str, status: int, headers: dict[str, str] | None = None) -> Response:
        response = render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": error, "username": username},
            status_code=status,
        )
        response.headers.update(headers or {})
        return response

    # Three short steps, so that no transaction is open while the password is checked (on
    # SQLite a writer would hold every other writer back for that long).
    with request.app.state.readers() as db:
        if users.address_failures(db, address, window) >= settings.login_attempts:
            return refuse(
                _("Too many failed sign-ins. Wait a few minutes and try again."),
                429,
                {"Retry-After": str(settings.login_window_seconds)},
            )
        wait = 0.0
        if not known_device(request, name):
            wait = users.account_wait(db, name, window, settings.login_attempts)
        if wait > 0:
            seconds = math.ceil(wait)
            return refuse(
                _("Too many failed sign-ins for this account. Try again in %(n)d seconds.")
                % {"n": seconds},
                429,
                {"Retry-After": str(seconds)},
            )
        stored = users.password_hash_of(db, name)
    ok = users.check_password(stored, password)
    rehashed = (
        accounts.hash_password(password)
        if ok and stored is not None and accounts.needs_rehash(stored[1])
        else None
    )
    with request.app.state.sessionmaker() as db, db.begin():
        users.record_attempt(db, name, address, success=ok)
        user = db.get(User, stored[0]) if ok and stored is not None else None
        if user is None or not user.is_active:
            user = None
        else:
            if rehashed is not None:
                user.password_hash = rehashed
            secret = users.open_session(db, user, dt.timedelta(hours=settings.session_hours))
    if user is None:
        return refuse(_("Wrong username or password."), 401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = secure_cookie(request)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    # This browser may now skip the per-account wait for this account.
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie(request, name),
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    new_csrf_token(request, secret)  # a new session, a new CSRF token
    if user.language:
        response.set_cookie(LANGUAGE_COOKIE, user.language, max_age=365 * 86400, samesite="lax")
    return response


@router.post("/logout")
def logout(request: Request, db: Session = Depends(get_db)) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        users.close_session(db, cookie)
        db.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    new_csrf_token(request, None)
    return response


@router.get("/register")
def register_form(
    request: Request, code: str = "", user: User | None = Depends(optional_user)
) -> Response:
    return render(request, "register.html", _register_context(request, {"code": code}))


def _register_context(request: Request, values: Mapping[str, object]) -> dict[str, object]:
    return {"open_registration": request.app.state.settings.open_registration, **values}


@router.post("/register")
def register(
    request: Request,
    username: str = Form("", max_length=200),
    password: str = Form("", max_length=1000),
    display_name: str = Form("", max_length=128),
    code: str = Form("", max_length=200),
    db: Session = Depends(get_db),
) -> Response:
    settings = request.app.state.settings
    request.state.user = None
    try:
        role = "learner"
        invitation = None
        if code.strip():
            invitation = users.redeem_invitation(db, code.strip())
            role = invitation.role
        elif not settings.open_registration:
            raise CrisisError(_("Registration needs an invitation code from an administrator."))
        user = users.add_user(db, username, password, role, display_name=display_name)
        if invitation is not None:
            invitation.used_at = dt.datetime.now(dt.UTC)
            invitation.used_by = user.id
        db.commit()
    except CrisisError as exc:
        db.rollback()
        values = {
            "error": str(exc),
            "code": code,
            "username": username,
            "display_name": display_name,
        }
        return render(request, "register.html", _register_context(request, values), status_code=400)
    return render(request, "login.html", {"next": "/", "notice": _("Account created. Sign in.")})


@router.post("/language")
def set_language(
    request: Request,
    language: str = Form(...),
    next: str = Form("/", max_length=2000),
    db: Session = Depends(get_db),
    user: User | None = Depends(optional_user),
) -> Response:
    if language not in LANGUAGES:
        raise CrisisError(f"language {language!r}: expected one of {', '.join(LANGUAGES)}")
    if user is not None:
        db.merge(user).language = language
        db.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 86400,
        samesite="lax",
        secure=secure_cookie(request),
    )
    return response


@router.get("/account")
def account(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
) -> Response:
    return render(request, "account.html", {"tokens": users.list_tokens(db, user)})


@router.post("/account/tokens")
def create_token(
    request: Request,
    name: str = Form("", max_length=200),
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
) -> Response:
    try:
        _token, secret = users.create_token(db, user, name)
    except CrisisError as exc:
        return render(
            request,
            "account.html",
            {"tokens": users.list_tokens(db, user), "error": str(exc)},
            status_code=400,
        )
    db.commit()
    return render(
        request, "account.html", {"tokens": users.list_tokens(db, user), "new_token": secret}
    )


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: Id, user: User = Depends(current_user), db: Session = Depends(get_db)
) -> Response:
    users.revoke_token(db, user, token_id)
    db.commit()
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password")
def change_password(
    request: Request,
    current: str = Form("", max_length=1000),
    new: str = Form("", max_length=1000),
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
) -> Response:
    stored = users.password_hash_of(db, user.username)
    db.rollback()  # no transaction open while the passwords are hashed
    try:
        if not users.check_password(stored, current):
            raise CrisisError(_("The current password is not right."))
        new_hash = accounts.hash_password(accounts.check_password(new))
        users.set_password_hash(db, user.username, new_hash)
    except CrisisError as exc:
        db.rollback()
        return render(
            request,
            "account.html",
            {"tokens": users.list_tokens(db, user), "error": str(exc)},
            status_code=400,
        )
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    new_csrf_token(request, None)
    return response


def _section(path: str, title: str, roles: tuple[str, ...], summary: str) -> None:
    dependency = require_roles(*roles) if roles else current_user

    @router.get(path, name=path.strip("/"))
    def page(request: Request, user: User = Depends(dependency)) -> Response:
        return render(request, "section.html", {"title": _(title), "summary": _(summary)})
