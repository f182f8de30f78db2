"""Sessions, tokens, roles and what a stranger can and cannot do."""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from crisis.exceptions import SettingsError
from crisis.settings import Settings
from crisis.store import exercises as exercise_store
from crisis.store import learning, users
from crisis.store.db import make_engine
from crisis.store.learner_tables import LearningMember
from crisis.store.migrate import upgrade
from crisis.store.tables import LoginAttempt
from crisis.web.app import create_app
from tests.conftest import PASSWORD, csrf_of, login

pytestmark = pytest.mark.usefixtures("accounts")


def _token(client: TestClient) -> str:
    response = client.post("/account/tokens", data={"name": "ci", "csrf_token": csrf_of(client)})
    start = response.text.index('id="new-token">') + len('id="new-token">')
    return response.text[start : response.text.index("<", start)]


def _me(app, token: str) -> int:  # type: ignore[no-untyped-def]
    with TestClient(app) as script:
        return script.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_password_reset_and_role_change_revoke_api_tokens(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as analyst, TestClient(app) as admin:
        login(analyst, "analyst")
        first = _token(analyst)
        login(admin, "admin")
        assert _me(app, first) == 200
        admin.post("/admin/users/analyst/password", data={"csrf_token": csrf_of(admin)})
        assert _me(app, first) == 401  # the reset ends the token with the sessions
        with Session(app.state.engine) as db, db.begin():
            users.set_password(db, "analyst", PASSWORD)
        login(analyst, "analyst")
        second = _token(analyst)
        assert _me(app, second) == 200
        admin.headers["X-CSRF-Token"] = csrf_of(admin)
        changed = admin.put("/api/v1/users/analyst/role", json={"role": "learner"})
        assert changed.status_code == 200 and changed.json()["role"] == "learner"
        assert _me(app, second) == 401


def test_no_route_takes_the_admin_role_from_yourself_or_the_last_admin(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as admin:
        login(admin, "admin")
        admin.headers["X-CSRF-Token"] = csrf_of(admin)
        own = admin.put("/api/v1/users/admin/role", json={"role": "learner"})
        assert own.status_code == 403 and "your own admin account" in own.json()["detail"]
        page = admin.post("/admin/users/admin/role", data={"role": "analyst"})
        assert page.status_code == 400
        # A second admin may not demote the only other one into nobody either.
        assert admin.put("/api/v1/users/analyst/role", json={"role": "admin"}).status_code == 200
    with TestClient(app) as other:
        login(other, "analyst")
        other.headers["X-CSRF-Token"] = csrf_of(other)
        assert other.put("/api/v1/users/admin/role", json={"role": "learner"}).status_code == 200
        last = other.put("/api/v1/users/analyst/role", json={"role": "learner"})
        assert last.status_code == 403  # themselves
    with Session(app.state.engine) as db:
        assert users.get_user(db, "analyst").role == "admin"
        with pytest.raises(Exception, match="only active admin"):
            users.set_role(db, "analyst", "learner")


def _run_of_learner(engine: Engine) -> int:
    with Session(engine) as db, db.begin():
        learner = users.get_user(db, "learner")
        run = exercise_store.create_run(db, learner, "river-flood", [], 0.0, 100)
        return run.id


def test_instructors_see_runs_only_of_learners_who_share_with_them(app, engine) -> None:  # type: ignore[no-untyped-def]
    run_id = _run_of_learner(engine)
    with TestClient(app) as instructor:
        login(instructor, "instructor")
        assert instructor.get(f"/exercises/runs/{run_id}").status_code == 404
        with Session(engine) as db, db.begin():
            teacher = users.get_user(db, "instructor")
            cohort = learning.create_cohort(db, teacher, "Evening", join_code="JOIN1234")
            member = learning.join(db, cohort, users.get_user(db, "learner"), consented=False)
            member_id = member.id
        assert instructor.get(f"/exercises/runs/{run_id}").status_code == 404  # no consent
        with Session(engine) as db, db.begin():
            db.execute(
                update(LearningMember).where(LearningMember.id == member_id).values(consented=True)
            )
        assert instructor.get(f"/exercises/runs/{run_id}").status_code == 200
    with Session(engine) as db, db.begin():
        other = users.add_user(db, "teacher2", PASSWORD, "instructor")
        assert other.id
    with TestClient(app) as stranger:
        login(stranger, "teacher2")  # an instructor, but not of a cohort the learner shares
        assert stranger.get(f"/exercises/runs/{run_id}").status_code == 404


def test_csrf_token_changes_at_sign_in_and_sign_out(client: TestClient) -> None:
    before = csrf_of(client)
    login(client, "learner")
    after = csrf_of(client)
    assert after != before
    stale = client.post("/logout", data={"csrf_token": before})
    assert stale.status_code == 403  # a token from before sign-in no longer fits
    client.post("/logout", data={"csrf_token": after})
    assert csrf_of(client) not in (before, after)


def test_a_planted_csrf_cookie_does_not_fit_the_session(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as attacker, TestClient(app) as victim:
        planted = csrf_of(attacker)  # valid for the attacker's own (signed-out) browser
        login(victim, "learner")
        victim.cookies.set("crisis_csrf", planted)
        answer = victim.post("/logout", data={"csrf_token": planted}, follow_redirects=False)
        assert answer.status_code == 403


def test_a_stranger_cannot_lock_out_a_named_account(app, engine) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as owner:
        login(owner, "learner")  # this browser has signed in to the account before
        owner.post("/logout", data={"csrf_token": csrf_of(owner)})
        # Strangers try wrong passwords from many addresses (each stays under its own limit).
        with Session(engine) as db, db.begin():
            for i in range(40):
                users.record_attempt(db, "learner", f"203.0.113.{i}", success=False)
        with TestClient(app) as stranger:
            wrong = stranger.post(
                "/login",
                data={"username": "learner", "password": PASSWORD, "csrf_token": csrf_of(stranger)},
            )
            assert wrong.status_code == 429  # a new browser must wait: guessing is slowed
            assert 1 <= int(wrong.headers["Retry-After"]) <= 60
        login(owner, "learner")  # the owner's browser is not held back


def test_the_account_wait_grows_and_then_lets_the_right_password_in(app, engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as db, db.begin():
        for i in range(6):
            users.record_attempt(db, "analyst", f"198.51.100.{i}", success=False)
        wait = users.account_wait(db, "analyst", dt.timedelta(minutes=5), 5)
        assert 1.0 < wait <= 2.0  # six failures, five free: 2 s
        for attempt in db.query(LoginAttempt).all():  # three seconds later
            attempt.at = attempt.at - dt.timedelta(seconds=3)
        db.flush()
        assert users.account_wait(db, "analyst", dt.timedelta(minutes=5), 5) == 0
    with TestClient(app) as browser:
        login(browser, "analyst")


def test_forwarded_for_is_believed_only_from_trusted_proxies(
    settings: Settings, engine: Engine
) -> None:
    forged = {"X-Forwarded-For": "192.0.2.77"}

    def failures_from(app) -> list[str]:  # type: ignore[no-untyped-def]
        with TestClient(app) as client:
            token = csrf_of(client)
            client.post(
                "/login",
                data={"username": "x", "password": "y", "csrf_token": token},
                headers=forged,
            )
        with Session(engine) as db:
            return [a.address for a in db.query(LoginAttempt).all()]

    plain = create_app(settings, engine=engine)
    assert failures_from(plain) == ["testclient"]
    trusting = create_app(replace(settings, trusted_proxies=("testclient",)), engine=engine)
    with pytest.raises(SettingsError):  # "testclient" is not an address: the setting refuses it
        Settings.from_env({"CRISIS_TRUSTED_PROXIES": "testclient"})
    assert "192.0.2.77" in failures_from(trusting)


def test_private_answers_are_not_cached(client: TestClient) -> None:
    login(client, "learner")
    for path in ("/learning", "/account", "/api/v1/me", "/"):
        assert client.get(path).headers["cache-control"] == "no-store", path
    assert "no-store" not in client.get("/static/favicon.svg").headers.get("cache-control", "")


def test_data_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data").with_secret()
    upgrade(make_engine(settings.effective_database_url))
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
    for name in ("secret_key", "crisis.db"):
        path = tmp_path / "data" / name
        assert path.exists(), name
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name
