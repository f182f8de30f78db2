"""``crisis cohort``: defined with the other learner commands in :mod:`crisis.cli.learners`."""

from __future__ import annotations

from crisis.cli.learners import cohort_app as app

__all__ = ["app"]
