"""The learning repository on SQLite and PostgreSQL: ratings, answers recorded once, path
settings, cohorts."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, NotFoundError
from crisis.store import learning, users
from tests.conftest import PASSWORD


def test_ratings_upsert(engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        user = users.add_user(db, "ann", PASSWORD)
        learning.set_ratings(db, user, {"C01": 1, "C02": 2})
        learning.set_ratings(db, user, {"C01": 3})
        assert learning.ratings(db, user) == {"C01": 3, "C02": 2}
        learning.clear_ratings(db, user)
        assert learning.ratings(db, user) == {}


def test_an_answer_is_stored_once_and_stale_saves_are_refused(engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        user = users.add_user(db, "ann", PASSWORD)
        attempt = learning.start_attempt(db, user, {"seed": 1})
        learning.record_response(db, attempt, sequence=0, item_id="C01-01", option=1, correct=True)
        with pytest.raises(ConflictError, match="already recorded"):
            learning.record_response(
                db, attempt, sequence=0, item_id="C02-01", option=1, correct=True
            )
        with pytest.raises(ConflictError):
            learning.record_response(
                db, attempt, sequence=1, item_id="C01-01", option=0, correct=False
            )
        assert learning.count_responses(db, attempt) == 1
        learning.save_state(db, attempt, {"seed": 1, "n": 1}, expected_version=0)
        with pytest.raises(ConflictError, match="another request"):
            learning.save_state(db, attempt, {"seed": 1, "n": 2}, expected_version=0)
        learning.save_state(db, attempt, {"seed": 1}, expected_version=1, result={"items": 1})
        assert learning.latest_finished(db, user) is not None
        assert learning.running_attempt(db, user) is None
        assert learning.calibration_rows(db) == [(attempt.id, "C01-01", True)]


def test_plan_defaults_and_changes(engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        user = users.add_user(db, "ann", PASSWORD)
        assert learning.plan(db, user).profile_id == "scro"
        saved = learning.save_plan(db, user, hours_per_week=6.0, completed=["M02", "M01", "M02"])
        assert saved.hours_per_week == 6.0 and saved.completed == ["M01", "M02"]


def test_cohort_membership_and_imports(engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        owner = users.add_user(db, "teacher", PASSWORD, "instructor")
        ann = users.add_user(db, "ann", PASSWORD)
        cohort = learning.create_cohort(db, owner, "Class", join_code="ABCDEFGH")
        with pytest.raises(ConflictError):
            learning.create_cohort(db, owner, "Other", join_code="ABCDEFGH")
        assert learning.cohort_by_code(db, "ABCDEFGH").id == cohort.id
        with pytest.raises(NotFoundError):
            learning.cohort_by_code(db, "ZZZZZZZZ")
        learning.join(db, cohort, ann, consented=False)
        learning.join(db, cohort, ann, consented=True)  # changes consent, no second row
        assert [m.consented for m, _ in learning.members(db, cohort)] == [True]
        assert learning.add_imported(db, cohort, [({"C01": 2}, True), ({}, False)]) == 2
        labels = [m.label for m, u in learning.members(db, cohort) if u is None]
        assert labels == ["Staff 001", "Staff 002"]
        assert learning.remove_imported(db, cohort) == 2
        learning.leave(db, cohort, ann)
        assert learning.members(db, cohort) == []
