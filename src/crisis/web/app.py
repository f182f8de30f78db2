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
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from crisis import __version__
from crisis.competences.models import Catalogue
from crisis.exceptions import StorageError
from crisis.integrations.services import KeyCache
from crisis.settings import Settings
from crisis.store import jobs as job_store
from crisis.store.db import check_connection, make_engine, make_sessionmaker
from crisis.web import (
    admin,
    api,
    api_competences,
    api_learning,
    api_workbench,
    case_service,
    competences,
    competences_esco,
    courses,
    credentials,
    demo,
    errors,
    exercises,
    exercises_authoring,
    exercises_tabletop,
    i18n,
    integrations,
    jobs,
    learning,
    learning_cohorts,
    learning_test,
    openapi,
    pages,
    public,
    workbench,
)
from crisis.web.catalogues import in_use_of
from crisis.web.integrations.offered import ActivityCache
from crisis.web.limits import BodyLimit
from crisis.web.rendering import make_environment
from crisis.web.security import CSRF_COOKIE, SECURITY_HEADERS, csrf_token

log = logging.getLogger("crisis.web")
STATIC = Path(__file__).parent / "static"

#: Paths whose answers are public and may be cached by browsers.
_CACHEABLE = ("/static/", "/vendor/")
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
    outbox_sender: bool = False,
) -> FastAPI:
    """Build the web application.

    Args:
        settings: The installation's settings; a missing secret key is generated once and
            kept in the data directory.
        engine: An existing engine to use instead of one built from the settings' URL.
        job_kinds: Background job kinds (kind → "module:function"); default
            :data:`crisis.web.jobs.JOB_KINDS`.
        outbox_sender: Run the background sender of scores and xAPI statements while the
            app serves (``crisis serve`` does, every ``CRISIS_OUTBOX_SECONDS``); without it
            the outbox waits for ``crisis integrations deliver`` or an admin's "Send now".
    """
    settings = settings.with_secret()
    engine = engine or make_engine(settings.effective_database_url)
    runner = jobs.JobRunner(
        engine.url.render_as_string(hide_password=False),
        settings.workers,
        jobs.JOB_KINDS if job_kinds is None else job_kinds,
        cache_dir=settings.effective_cache_dir,
        scheduler=settings.dask_scheduler,
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
        if outbox_sender:
            sender.start()
        try:
            yield
        finally:
            sender.stop()
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
    app.state.readers = make_sessionmaker(engine, read_only=True)
    app.state.jobs = runner
    app.state.demo = demo_runner
    app.state.catalogs = i18n.load_catalogs()
    app.state.jinja = make_environment()
    app.state.lti_keys = KeyCache()
    app.state.lti_activities = ActivityCache()
    sender = integrations.sender.Sender(
        settings, app.state.sessionmaker, app.state.lti_activities, lambda: _catalogue(app)
    )
    app.state.outbox_sender = sender

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(competences_esco.router)
    app.include_router(public.router)
    app.include_router(demo.router)
    app.include_router(competences.router)
    app.include_router(api_competences.router)
    app.include_router(case_service.router)
    app.include_router(credentials.router)
    app.include_router(credentials.api)
    app.include_router(admin.router)
    app.include_router(api.router)
    app.include_router(jobs.router)
    app.include_router(workbench.router)
    app.include_router(api_workbench.router)
    app.include_router(learning.router)
    app.include_router(learning_test.router)
    app.include_router(learning_cohorts.router)
    app.include_router(api_learning.router)
    app.include_router(courses.pages.router)
    app.include_router(courses.runs.router)
    app.include_router(courses.authoring.router)
    app.include_router(courses.api.router)
    app.include_router(exercises_tabletop.router)
    app.include_router(exercises_tabletop.api)
    app.include_router(exercises_authoring.router)
    app.include_router(exercises.router)
    app.include_router(integrations.lti.router)
    app.include_router(integrations.registration.router)
    app.include_router(integrations.admin.router)
    _vendor_routes(app)
    _docs_routes(app)
    errors.install(app)
    openapi.install(app)

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
        if length is not None and length.isdigit() and int(length) > settings.max_upload_bytes:
            # Refused before a byte of it is read, whether or not the page reads bodies.
            return errors.upload_limit(request)
        csrf_token(request)
        response = await call_next(request)
        # A handler that signed the browser in or out has put a new token in its place.
        token = getattr(request.state, "csrf_token", None)
        # A page kept by shared caches must not hand every visitor the same CSRF cookie.
        shared = "public" in response.headers.get("cache-control", "")
        if token is not None and token != request.cookies.get(CSRF_COOKIE) and not shared:
            response.set_cookie(
                CSRF_COOKIE,
                token,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https" or settings.secure_cookies,
                path="/",
            )
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if not request.url.path.startswith(_CACHEABLE):
            # Pages carry a CSRF token and often private data; exports and PDFs are private.
            response.headers.setdefault("Cache-Control", "no-store")
        if request.url.path == "/api/docs":
            response.headers["Content-Security-Policy"] = _DOCS_CSP
        return response

    # Outermost: every body, however framed (a chunked one included), is counted as it arrives.
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    return app


def _catalogue(app: FastAPI) -> Catalogue:
    with app.state.readers() as db:
        return in_use_of(app.state, db).catalogue


def _vendor_routes(app: FastAPI) -> None:
    """plotly.js and Leaflet from their installed wheels, served by us (no CDN)."""
    try:
        from xstatic.pkg import leaflet
    except ImportError:
        pass
    else:
        app.mount("/vendor/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
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
