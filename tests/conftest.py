"""Shared fixtures: databases on SQLite and PostgreSQL, an app, HTTP clients, accounts."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from crisis.settings import Settings
from crisis.store import users
from crisis.store.db import make_engine
from crisis.store.migrate import upgrade
from crisis.web.app import create_app

PASSWORD = "correct-horse-battery"
#: Screenshots, rendered PDF pages and PDFs that tests leave for people to look at.
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ROLES = ("learner", "instructor", "analyst", "admin")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[str]:
    """URL of a PostgreSQL server: CRISIS_TEST_DATABASE_URL, or a throwaway cluster."""
    given = os.environ.get("CRISIS_TEST_DATABASE_URL")
    if given:
        yield given
        return
    from tests.pgcluster import Cluster

    cluster = Cluster().start_with_retries()
    try:
        yield cluster.url()
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    server = request.getfixturevalue("pg_cluster")
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield re.sub(r"/[^/]*$", f"/{name}", server)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key="test-secret-key-0123456789")


@pytest.fixture
def accounts(engine: Engine) -> dict[str, str]:
    """One account per role, each named after its role, all with :data:`PASSWORD`."""
    with Session(engine) as db, db.begin():
        for role in ROLES:
            users.add_user(db, role, PASSWORD, role, display_name=f"Test {role}")
    return {role: role for role in ROLES}


@pytest.fixture
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def csrf_of(client: TestClient) -> str:
    """The CSRF token the app gave this client (fetching a page first if needed)."""
    token = client.cookies.get("crisis_csrf")
    if token is None:
        client.get("/login")
        token = client.cookies.get("crisis_csrf")
    assert token
    return token


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The whole site with something on every role's pages (see :mod:`tests.site`)."""
    from tests.site import build_site

    built = build_site(tmp_path_factory.mktemp("site"))
    yield built
    built.engine.dispose()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
