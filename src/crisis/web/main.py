"""The ASGI entry point for servers: ``crisis.web.main:build`` (a factory)."""

from __future__ import annotations

from fastapi import FastAPI

from crisis.settings import Settings
from crisis.web.app import create_app


def build() -> FastAPI:
    """Build the app from the ``CRISIS_*`` environment (used by ``crisis serve``), with the
    background sender of the outbox."""
    return create_app(Settings.from_env(), outbox_sender=True)
