"""Every failure becomes a proper 4xx/5xx page or an RFC 9457 problem-JSON answer."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from crisis.exceptions import ContentError, CrisisError
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
) -> Response:
    """Answer with problem JSON for API clients and an error page for browsers."""
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
        return problem(request, exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body",
                "message": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(request, 422, summary, errors=errors)

    @app.exception_handler(CrisisError)
    async def _crisis(request: Request, exc: CrisisError) -> Response:
        errors = exc.errors if isinstance(exc, ContentError) else None
        return problem(request, exc.status_code, str(exc), errors=errors)

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, exc: OperationalError) -> Response:
        log.error("database error: %s", exc)
        # The signed-in user came from the failed session; render the page without it.
        request.state.user = None
        return problem(request, 503, _("The database cannot be reached. Try again shortly."))

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> Response:
        log.exception("database error")
        request.state.user = None
        return problem(request, 500, _("Something went wrong on our side; it has been logged."))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(request, 500, _("Something went wrong on our side; it has been logged."))
