"""Who is asking and may they: sessions, API tokens, roles and CSRF protection."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from crisis.store import users
from crisis.store.tables import User

SESSION_COOKIE = "crisis_session"
CSRF_COOKIE = "crisis_csrf"
DEVICE_COOKIE = "crisis_device"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Headers on every answer (pages, API, errors).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    ),
}


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
    """A database session for one request; endpoints commit what they change.

    Requests that cannot change anything (GET, HEAD, OPTIONS) get a read-only session: on
    SQLite its transactions neither take nor wait for the write lock.
    """
    state = request.app.state
    factory = state.sessionmaker if request.method in UNSAFE_METHODS else state.readers
    with factory() as session:
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
    try:
        db.commit()
    except OperationalError:
        # Bookkeeping only (a token's last use, an expired session's row): a reader that
        # finds the database busy leaves it for a later request.
        db.rollback()
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


# --- CSRF: a signed cookie and the same value in each form (or header) ------------------
#
# The token is a random nonce with an HMAC (keyed by the installation's secret key) over the
# nonce and the browser's session cookie, so a token belongs to one sign-in session: signing
# in or out gives the browser a new one, and a token planted by someone else does not fit.


def _signature(key: str, session: str, nonce: str) -> str:
    message = f"{session}|{nonce}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def new_csrf_token(request: Request, session: str | None) -> str:
    """A token for the browser whose session cookie is ``session`` (``None``: signed out).

    A handler that sets or ends the session cookie calls this with the new value; the
    middleware then sends the new token's cookie with the response.
    """
    nonce = secrets.token_urlsafe(18)
    key = request.app.state.settings.secret_key
    token = f"{nonce}.{_signature(key, session or '', nonce)}"
    request.state.csrf_token = token
    return token


def _fits_session(request: Request, token: str) -> bool:
    nonce, _, mac = token.partition(".")
    if not nonce or not mac:
        return False
    key = request.app.state.settings.secret_key
    session = request.cookies.get(SESSION_COOKIE, "")
    return hmac.compare_digest(mac, _signature(key, session, nonce))


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser and session, created on first use (the middleware
    sets the cookie when it changed)."""
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        cookie = request.cookies.get(CSRF_COOKIE)
        if cookie and _fits_session(request, cookie):
            token = cookie
            request.state.csrf_token = token
        else:
            token = new_csrf_token(request, request.cookies.get(SESSION_COOKIE))
    return token


async def csrf_protect(request: Request) -> None:
    """Refuse unsafe requests whose token does not match the browser's CSRF cookie, or whose
    cookie does not belong to the browser's session.

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
    if (
        not expected
        or not supplied
        or not hmac.compare_digest(expected, supplied)
        or not _fits_session(request, expected)
    ):
        raise CsrfFailed()


# --- devices that signed in before: exempt from the per-account sign-in delay --------------


def device_cookie(request: Request, username: str) -> str:
    """The value that marks this browser as one that signed in to ``username``."""
    nonce = secrets.token_urlsafe(12)
    key = request.app.state.settings.secret_key
    return f"{nonce}.{_signature(key, 'device:' + username, nonce)}"


def known_device(request: Request, username: str) -> bool:
    """Whether this browser signed in to ``username`` before (its device cookie fits)."""
    nonce, _, mac = request.cookies.get(DEVICE_COOKIE, "").partition(".")
    if not nonce or not mac:
        return False
    key = request.app.state.settings.secret_key
    return hmac.compare_digest(mac, _signature(key, "device:" + username, nonce))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
