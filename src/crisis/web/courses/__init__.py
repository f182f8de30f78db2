"""Courses on the web: learners' course pages, course runs, authoring and the JSON API."""

from crisis.web.courses import api, authoring, pages, runs, service

__all__ = ["api", "authoring", "pages", "runs", "service"]
