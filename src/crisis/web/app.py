"""The application factory: ``create_app(settings)`` builds everything from its arguments."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from crisis import __version__
from crisis.exceptions import StorageError
from crisis.settings import Settings
from crisis.store import jobs as job_store
from crisis.store.db import check_connection, make_engine, make_sessionmaker
from crisis.web import (
    admin,
    api,
    api_competences,
    api_learning,
    api_workbench,
    competences,
    demo,
    errors,
    exercises,
    exercises_authoring,
    exercises_tabletop,
    i18n,
    jobs,
    learning,
    learning_cohorts,
    learning_test,
    pages,
    public,
    workbench,
)
from crisis.web.rendering import make_environment
from crisis.web.security import CSRF_COOKIE, csrf_token

log = logging.getLogger("crisis.web")
STATIC = Path(__file__).parent / "static"

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    ),
}
# The interactive API docs page loads its own inline script; allow only there.
_DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'"
)


def create_app(
    settings: Settings,
    engine: Engine | None = None,
    *,
    job_kinds: Mapping[str, str] | None = None,
) -> FastAPI:
    """Build the web application.

    Args:
        settings: The installation's settings; a missing secret key is generated once and
            kept in the data directory.
        engine: An existing engine to use instead of one built from the settings' URL.
        job_kinds: Background job kinds (kind → "module:function"); default
            :data:`crisis.web.jobs.JOB_KINDS`.
    """
    settings = settings.with_secret()
    engine = engine or make_engine(settings.effective_database_url)
    runner = jobs.JobRunner(
        engine.url.render_as_string(hide_password=False),
        settings.workers,
        jobs.JOB_KINDS if job_kinds is None else job_kinds,
    )
    demo_runner = demo.DemoRunner(settings.demo_runs_per_hour)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            check_connection(engine)
            with app.state.sessionmaker() as db:
                failed = job_store.fail_interrupted(db)
                db.commit()
            if failed:
                log.warning("%d interrupted background job(s) marked failed", failed)
        except StorageError as exc:
            log.error("%s", exc)
        yield
        runner.shutdown()
        demo_runner.shutdown()
        engine.dispose()

    app = FastAPI(
        title="CRISIS API",
        version=__version__,
        description="JSON API of CRISIS, the Smart City Resilience Officer education platform.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.jobs = runner
    app.state.demo = demo_runner
    app.state.catalogs = i18n.load_catalogs()
    app.state.jinja = make_environment()

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(public.router)
    app.include_router(demo.router)
    app.include_router(competences.router)
    app.include_router(api_competences.router)
    app.include_router(admin.router)
    app.include_router(api.router)
    app.include_router(jobs.router)
    app.include_router(workbench.router)
    app.include_router(api_workbench.router)
    app.include_router(learning.router)
    app.include_router(learning_test.router)
    app.include_router(learning_cohorts.router)
    app.include_router(api_learning.router)
    app.include_router(exercises_tabletop.router)
    app.include_router(exercises_tabletop.api)
    app.include_router(exercises_authoring.router)
    app.include_router(exercises.router)
    _vendor_routes(app)
    _docs_routes(app)
    errors.install(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        try:
            check_connection(engine)
        except StorageError as exc:
            return JSONResponse(
                {"status": "unavailable", "database": str(exc)},
                status_code=503,
            )
        return JSONResponse({"status": "ok", "version": __version__, "database": "ok"})

    @app.middleware("http")
    async def _guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None:
            try:
                too_big = int(length) > settings.max_upload_bytes
            except ValueError:
                return errors.problem(request, 400, "Content-Length header is not a number.")
            if too_big:
                return errors.problem(
                    request,
                    413,
                    f"The request is larger than the {settings.max_upload_mb} MiB limit.",
                )
        had_cookie = CSRF_COOKIE in request.cookies
        token = csrf_token(request)
        response = await call_next(request)
        # A page kept by shared caches must not hand every visitor the same CSRF cookie.
        shared = "public" in response.headers.get("cache-control", "")
        if not had_cookie and not shared:
            response.set_cookie(
                CSRF_COOKIE,
                token,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https" or settings.secure_cookies,
                path="/",
            )
        for header, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if request.url.path == "/api/docs":
            response.headers["Content-Security-Policy"] = _DOCS_CSP
        return response

    return app


def _vendor_routes(app: FastAPI) -> None:
    """plotly.js from the installed plotly wheel, served by us (no CDN)."""
    try:
        import plotly
    except ImportError:
        return
    folder = Path(plotly.__file__).parent / "package_data"
    if (folder / "plotly.min.js").exists():
        app.mount("/vendor/plotly", StaticFiles(directory=folder), name="plotly")


def _docs_routes(app: FastAPI) -> None:
    """Swagger UI served from the installed package's own assets, never from a CDN."""
    from fastapi.openapi.docs import get_swagger_ui_html

    swagger_dir = _swagger_assets()
    if swagger_dir is not None:
        app.mount("/vendor/swagger", StaticFiles(directory=swagger_dir), name="swagger")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> Response:
        if swagger_dir is None:
            return Response(
                "<!doctype html><title>CRISIS API</title><p>OpenAPI: "
                '<a href="/api/openapi.json">/api/openapi.json</a></p>',
                media_type="text/html",
            )
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="CRISIS API",
            swagger_js_url="/vendor/swagger/swagger-ui-bundle.js",
            swagger_css_url="/vendor/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )


def _swagger_assets() -> Path | None:
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    path = Path(swagger_ui_bundle.swagger_ui_path)
    return path if (path / "swagger-ui-bundle.js").exists() else None
