"""What CLI commands share: settings read once from the environment, and the engine."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from crisis.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def engine() -> Engine:
    from crisis.store.db import make_engine

    return make_engine(settings().effective_database_url)
