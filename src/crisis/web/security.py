"""Who is asking and may they: sessions, API tokens, roles and CSRF protection."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from crisis.store import users
from crisis.store.tables import User

SESSION_COOKIE = "crisis_session"
CSRF_COOKIE = "crisis_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequired(Exception):
    """Raised by a dependency when the page needs a signed-in user."""

    def __init__(self, expired: bool = False) -> None:
        self.expired = expired


class RoleRequired(Exception):
    """Raised when the signed-in user's role may not use the page."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        self.roles = roles


class CsrfFailed(Exception):
    """Raised when a state-changing request lacks a valid CSRF token."""


def get_db(request: Request) -> Iterator[Session]:
    """A database session for one request; endpoints commit what they change."""
    with request.app.state.sessionmaker() as session:
        yield session


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def optional_user(request: Request, db: Session = Depends(get_db)) -> User | None:
    """The signed-in user (session cookie or API token), or ``None``."""
    if hasattr(request.state, "user"):
        return request.state.user
    user: User | None = None
    expired = False
    token = _bearer(request)
    if token is not None:
        user = users.token_user(db, token)
        request.state.via_token = True
        if user is None:
            request.state.user = None
            db.commit()
            raise LoginRequired()
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            user, expired = users.session_user(db, cookie)
    db.commit()
    request.state.user = user
    request.state.session_expired = expired
    return user


def current_user(request: Request, user: User | None = Depends(optional_user)) -> User:
    if user is None:
        raise LoginRequired(expired=getattr(request.state, "session_expired", False))
    return user


def require_roles(*roles: str) -> Callable[..., User]:
    """A dependency that admits admins and the given roles, and answers 403 to others."""

    def dependency(user: User = Depends(current_user)) -> User:
        if user.role != "admin" and user.role not in roles:
            raise RoleRequired(roles)
        return user

    return dependency


# --- CSRF: a random cookie and the same value in each form (or header) ------------------


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser, created on first use (the middleware sets the cookie)."""
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        request.state.csrf_token = token
    return token


async def csrf_protect(request: Request) -> None:
    """Refuse unsafe requests whose token does not match the browser's CSRF cookie.

    Requests authenticated by an API token carry no ambient credentials and are exempt.
    """
    if request.method not in UNSAFE_METHODS or _bearer(request) is not None:
        return
    expected = request.cookies.get(CSRF_COOKIE)
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value: Any = form.get(CSRF_FIELD)
            supplied = value if isinstance(value, str) else None
    if not expected or not supplied or not hmac.compare_digest(expected, supplied):
        raise CsrfFailed()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
