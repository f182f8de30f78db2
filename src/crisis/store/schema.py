"""The one metadata that holds every table; import table modules here as they are added."""

from __future__ import annotations

from crisis.store import (
    competence_tables,
    course_tables,
    credential_tables,
    exercise_tables,
    integration_tables,
    learner_tables,
    tables,
    workbench_tables,
)
from crisis.store.tables import Base

metadata = Base.metadata

__all__ = [
    "competence_tables",
    "course_tables",
    "credential_tables",
    "exercise_tables",
    "integration_tables",
    "learner_tables",
    "metadata",
    "tables",
    "workbench_tables",
]
