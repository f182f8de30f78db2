"""``crisis serve``: run the web application with uvicorn."""

from __future__ import annotations

import typer

from crisis.cli import _context


def serve(
    host: str | None = typer.Option(None, help="Listen address (default: CRISIS_HOST)."),
    port: int | None = typer.Option(None, help="Port (default: CRISIS_PORT)."),
    workers: int = typer.Option(1, help="Web worker processes."),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
) -> None:
    """Serve the web application."""
    import uvicorn

    settings = _context.settings().with_secret()
    typer.echo(
        f"CRISIS on http://{host or settings.host}:{port or settings.port}  (Ctrl-C to stop)"
    )
    uvicorn.run(
        "crisis.web.main:build",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        reload=reload,
        proxy_headers=False,  # the app believes only CRISIS_TRUSTED_PROXIES
        log_level="info",
    )
