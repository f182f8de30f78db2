"""What this installation offers an LMS: the activity list, built once and kept.

Every launch, deep-linking picker, cartridge and pass of the sender needs the list of
activities. Building it assembles the course (authored units parsed) and the exercises, so
it is kept per catalogue and language, and built again only when an instructor saves or
withdraws a unit version (their count and newest id change).
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisis.competences.models import Catalogue
from crisis.exercises.library import load_bundled as bundled_exercises
from crisis.integrations.activities import Activity, catalogue
from crisis.store.course_tables import CourseUnitVersion
from crisis.web.courses import service as courses

#: Lists kept at most (catalogues × languages).
_SIZE = 16


class ActivityCache:
    """Activity lists by catalogue, language and the course's version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key → (catalogue, activities); the catalogue is held so that its id stays its own.
        self._lists: dict[tuple[int, str, int, int], tuple[Catalogue, list[Activity]]] = {}

    def get(self, db: Session, cat: Catalogue, lang: str = "en") -> list[Activity]:
        """Everything an LMS can link to, for ``cat`` in ``lang``."""
        count, newest = db.execute(
            select(func.count(CourseUnitVersion.id), func.max(CourseUnitVersion.id))
        ).one()
        key = (id(cat), lang, int(count or 0), int(newest or 0))
        with self._lock:
            found = self._lists.get(key)
        if found is not None and found[0] is cat:
            return found[1]
        built = catalogue(courses.course_of(db, cat).course, bundled_exercises(), lang)
        with self._lock:
            while len(self._lists) >= _SIZE:
                self._lists.pop(next(iter(self._lists)))
            self._lists[key] = (cat, built)
        return built


def activities(db: Session, cat: Catalogue, lang: str = "en") -> list[Activity]:
    """Everything an LMS can link to, built afresh (for the CLI and tests)."""
    return catalogue(courses.course_of(db, cat).course, bundled_exercises(), lang)
