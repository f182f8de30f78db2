"""The public address of the installation, for identifiers that leave it (CASE, Open Badges)."""

from __future__ import annotations

from fastapi import Request


def public_url(request: Request) -> str:
    """``CRISIS_BASE_URL`` if set, else the address this request came to; no trailing slash."""
    configured = request.app.state.settings.base_url
    return str(configured or request.base_url).rstrip("/")
