"""Every failure becomes a proper 4xx/5xx page or an RFC 9457 problem-JSON answer."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from crisis.exceptions import ContentError, CrisisError, LimitExceededError
from crisis.formats.validation import clean_loc, format_loc, message_of
from crisis.web.i18n import N_
from crisis.web.i18n import gettext as _
from crisis.web.rendering import render
from crisis.web.security import CsrfFailed, LoginRequired, RoleRequired

log = logging.getLogger("crisis.web")

_TITLES = {
    400: N_("Bad request"),
    401: N_("Sign-in required"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Request too large"),
    415: N_("Unsupported media type"),
    422: N_("Invalid input"),
    429: N_("Too many requests"),
    500: N_("Internal error"),
    503: N_("Service unavailable"),
}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/ims/")) or request.url.path == "/healthz":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    errors: list[Any] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """Answer with problem JSON for API clients and an error page for browsers.

    Args:
        extra: More members of the problem JSON (RFC 9457 extensions), e.g. ``limit``.
    """
    title = _TITLES.get(status, "Error")
    if wants_json(request):
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
        }
        if errors:
            body["errors"] = errors
        body.update(extra or {})
        return JSONResponse(
            body, status_code=status, media_type="application/problem+json", headers=headers
        )
    response = render(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail, "errors": errors or []},
        status_code=status,
    )
    if headers:
        response.headers.update(headers)
    return response


def upload_limit(request: Request) -> Response:
    """413: the request body passed ``CRISIS_MAX_UPLOAD_MB`` (the answer names it)."""
    mb = request.app.state.settings.max_upload_mb
    detail = _("The request is larger than the upload limit of %(mb)d MiB (%(setting)s).") % {
        "mb": mb,
        "setting": "CRISIS_MAX_UPLOAD_MB",
    }
    return problem(
        request, 413, detail, extra={"limit": {"name": "CRISIS_MAX_UPLOAD_MB", "value": mb}}
    )


def _allowed(request: Request) -> str:
    """Every method some route answers at this path (the router names only the first's)."""
    from crisis.web.openapi import endpoints

    methods: set[str] = set()
    for endpoint in endpoints(request.app):
        if endpoint.path_regex.match(request.url.path):
            methods |= endpoint.methods
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if wants_json(request):
            return problem(
                request,
                401,
                "Send a valid API token (Authorization: Bearer …) or sign in.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = f"/login?next={quote(request.url.path)}"
        if exc.expired:
            target += "&expired=1"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(RoleRequired)
    async def _role_required(request: Request, exc: RoleRequired) -> Response:
        roles = ", ".join(exc.roles) or "admin"
        return problem(
            request, 403, _("This page is for these roles: %(roles)s.") % {"roles": roles}
        )

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return problem(
            request,
            403,
            _(
                "The form's security token is missing or out of date. Reload the page and try again."  # noqa: E501
            ),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        if exc.status_code == 404 and detail == "Not Found":
            detail = _("There is no page at %(path)s.") % {"path": request.url.path}
        if exc.status_code == 413:
            return upload_limit(request)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed(request)}
        return problem(request, exc.status_code, detail, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        for err in exc.errors():
            loc = clean_loc([p for p in err.get("loc", ()) if p != "body"])
            field = format_loc(loc) if loc else "body"
            errors.append({"field": field, "message": message_of(err)})
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(request, 422, summary, errors=errors)

    @app.exception_handler(CrisisError)
    async def _crisis(request: Request, exc: CrisisError) -> Response:
        errors = exc.errors if isinstance(exc, ContentError) else None
        extra = None
        if isinstance(exc, LimitExceededError):
            extra = {"limit": {"name": exc.limit, "value": exc.value}}
        return problem(request, exc.status_code, str(exc), errors=errors, extra=extra)

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, exc: OperationalError) -> Response:
        log.error("database error: %s", exc)
        # The signed-in user came from the failed session; render the page without it.
        request.state.user = None
        return problem(request, 503, _("The database cannot be reached. Try again shortly."))

    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold (a number beyond its column, text too long):
        # the request's fault, found late. Parameters are checked first; this is the net.
        log.warning("value refused by the database on %s: %s", request.url.path, exc.orig)
        request.state.user = None
        return problem(request, 422, _("A value is too large or too long to be stored."))

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        if "too large to convert" in str(exc):  # a number the database driver cannot bind
            return problem(request, 422, _("A value is too large or too long to be stored."))
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(request, 500, _("Something went wrong on our side; it has been logged."))

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> Response:
        log.exception("database error")
        request.state.user = None
        return problem(request, 500, _("Something went wrong on our side; it has been logged."))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(request, 500, _("Something went wrong on our side; it has been logged."))
