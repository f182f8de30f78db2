"""The one metadata that holds every table; import table modules here as they are added."""

from __future__ import annotations

from crisis.store import tables
from crisis.store.tables import Base

metadata = Base.metadata

__all__ = ["metadata", "tables"]
