"""What CLI commands share: settings read once from the environment, and the engine."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine

from crisis.settings import Settings
from crisis.store.db import make_engine


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def engine() -> Engine:
    return make_engine(settings().effective_database_url)
