"""The OpenAPI document as the API really behaves.

FastAPI describes what the functions declare; this adds what the app around them does: every
error is ``application/problem+json`` (RFC 9457) with the statuses an operation can answer,
signing in (a bearer token or the session cookie) is declared, and validation errors have our
shape rather than FastAPI's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from crisis.web.security import current_user, optional_user

PROBLEM = "application/problem+json"

_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An error, as RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Every problem found: strings naming file and line, or "
            "{field, message} for request parameters.",
            "items": {
                "anyOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                ]
            },
        },
        "limit": {
            "type": "object",
            "description": "The limit a request went past (413, 422).",
            "required": ["name", "value"],
            "properties": {"name": {"type": "string"}, "value": {"type": "integer"}},
        },
        "current": {"type": "object", "description": "The stored version, on a 409 conflict."},
    },
}

_DESCRIPTIONS = {
    400: "The request cannot be read or breaks a rule; `detail` and `errors` say where.",
    401: "Not signed in: send `Authorization: Bearer <token>` or the session cookie.",
    403: "Your role may not do this, or the CSRF token is missing (cookie sessions).",
    404: "There is no such thing, or it is not yours to see.",
    409: "It conflicts with what is stored (a newer version, a run in progress, a duplicate).",
    413: "The body is larger than `CRISIS_MAX_UPLOAD_MB`, or a file unpacks too far.",
    422: "A parameter or a file is out of range or past a limit; `errors` name each.",
    503: "The database cannot be reached.",
}

_UNSAFE = {"post", "put", "patch", "delete"}


@dataclass(frozen=True)
class Endpoint:
    """One route as the app serves it: its full path, methods and dependencies."""

    path_format: str
    path_regex: re.Pattern[str]
    methods: frozenset[str]
    dependant: Any


def endpoints(app: Any) -> Iterator[Endpoint]:
    """Every HTTP route of ``app``, included routers' routes with their prefixes.

    FastAPI keeps included routers whole (recent versions) or copies their routes (older
    ones); both are walked.
    """
    for route in app.router.routes:
        candidates = getattr(route, "_effective_candidates", None)
        for item in candidates if candidates is not None else [route]:
            regex = getattr(item, "path_regex", None)
            methods = getattr(item, "methods", None)
            if regex is None or not methods:
                continue
            yield Endpoint(
                getattr(item, "path_format", ""),
                regex,
                frozenset(methods),
                getattr(item, "dependant", None),
            )


def _calls(dependant: Any) -> Iterator[Callable[..., Any]]:
    if dependant is None:
        return
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _error_statuses(route: Endpoint, method: str) -> set[int]:
    calls = set(_calls(route.dependant))
    statuses = {400, 422, 503}
    if current_user in calls or optional_user in calls:
        statuses |= {401, 403, 404}  # 404: what exists but is not yours looks the same
    if "{" in route.path_format:
        statuses.add(404)
    if method in _UNSAFE:
        statuses |= {403, 409, 413}  # CSRF; stored state; the body limit
    return statuses


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that completes FastAPI's document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["Problem"] = _PROBLEM_SCHEMA
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "An API token."},
            "session": {"type": "apiKey", "in": "cookie", "name": "crisis_session"},
        }
        routes = {
            (route.path_format, method.lower()): route
            for route in endpoints(app)
            for method in route.methods
        }
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                route = routes.get((path, method))
                if route is None:
                    continue
                responses = operation.setdefault("responses", {})
                for status in sorted(_error_statuses(route, method)):
                    responses[str(status)] = _problem_response(status)
                calls = set(_calls(route.dependant))
                if current_user in calls:
                    operation["security"] = [{"bearer": []}, {"session": []}]
                elif optional_user in calls:
                    operation["security"] = [{"bearer": []}, {"session": []}, {}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
