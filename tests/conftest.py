"""Shared fixtures: databases on SQLite and PostgreSQL, an app, HTTP clients, accounts."""

from __future__ import annotations

import functools
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from crisis.accounts import hash_password
from crisis.settings import Settings
from crisis.store.db import make_engine
from crisis.store.migrate import upgrade
from crisis.store.tables import User
from crisis.web.app import create_app

PASSWORD = "correct-horse-battery"
#: Screenshots, rendered PDF pages and PDFs that tests leave for people to look at.
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ROLES = ("learner", "instructor", "analyst", "admin")


#: The longest test files, longest first (seconds in two parallel processes): they run
#: first, so that the parallel workers (``make test`` runs ``pytest -n auto --dist loadfile
#: --no-loadscope-reorder``, which keeps this order) finish together instead of one of
#: them running a long file alone at the end. Other files follow in their usual order.
_LONG_FIRST = (
    "tests/exercises/test_optimiser.py",  # 112
    "tests/browser/test_responsive.py",  # 78
    "tests/browser/test_languages.py",  # 66
    "tests/web/test_workbench.py",  # 50
    "tests/web/test_public.py",  # 49
    "tests/cli/test_integrations.py",  # 45
    "tests/web/test_learning.py",  # 43
    "tests/web/test_exercises.py",  # 42
    "tests/browser/test_courses.py",  # 42
    "tests/web/test_openapi.py",  # 38
    "tests/browser/test_public.py",  # 34
    "tests/browser/test_workbench.py",  # 33
    "tests/integrations/test_lti_refusals.py",  # 31
    "tests/cli/test_db_and_users.py",  # 31
    "tests/web/test_competences.py",  # 30
    "tests/browser/test_learning.py",  # 30
    "tests/browser/test_exercises.py",  # 29
    "tests/cli/test_sim.py",  # 25
    "tests/browser/",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath

    def rank(item: pytest.Item) -> int:
        path = item.path.relative_to(root).as_posix()
        return next(
            (i for i, prefix in enumerate(_LONG_FIRST) if path.startswith(prefix)),
            len(_LONG_FIRST),
        )

    items.sort(key=rank)  # stable: the order within each file is kept


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


_ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _new_pg_database(server: str, template: str | None = None) -> tuple[str, str]:
    """Create a database on ``server`` (a copy of ``template`` if given); its name and URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            copy = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    finally:
        admin.dispose()
    return name, re.sub(r"/[^/]*$", f"/{name}", server)


def _drop_pg_database(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=_ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    server = request.getfixturevalue("pg_cluster")
    name, url = _new_pg_database(server)
    try:
        yield url
    finally:
        _drop_pg_database(server, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the head revision once per session, copied by each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection to close checkpoints the WAL into the file
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        assert not leftover.exists() or leftover.stat().st_size == 0
    return path


@pytest.fixture(scope="session")
def pg_template(pg_cluster: str) -> Iterator[str]:
    """Name of a PostgreSQL database migrated once per session; tests get copies of it."""
    name, url = _new_pg_database(pg_cluster)
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    try:
        yield name
    finally:
        _drop_pg_database(pg_cluster, name)


@pytest.fixture(params=_ENGINES)
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at the head revision on each engine: a copy of the session's template
    (a file copy for SQLite, ``CREATE DATABASE … TEMPLATE`` for PostgreSQL)."""
    if request.param == "sqlite":
        target = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    server = request.getfixturevalue("pg_cluster")
    name, url = _new_pg_database(server, template=request.getfixturevalue("pg_template"))
    try:
        yield url
    finally:
        _drop_pg_database(server, name)


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    """A migrated database."""
    eng = make_engine(migrated_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[object]:
    """A real Dask cluster on this machine: a scheduler on a TCP port and one worker."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
    )
    try:
        yield cluster
    finally:
        cluster.close()


def tasks_run_on(cluster: object, prefix: str) -> int:
    """How many tasks whose key starts with ``prefix`` the cluster's scheduler has seen."""
    scheduler = cluster.scheduler  # type: ignore[attr-defined]
    found = scheduler.task_prefixes.get(prefix)
    return sum(found.state_counts.values()) if found is not None else 0


@pytest.fixture(scope="session", autouse=True)
def light_password_hashing() -> Iterator[None]:
    """Argon2id with light cost parameters inside the test processes, as test settings of web
    frameworks advise: the same library and code paths (hash, verify, rehash check), about
    30 times quicker per check. Servers and commands that tests start as subprocesses keep the
    production parameters, and ``benchmarks/load.py`` measures sign-ins with them."""
    from argon2 import PasswordHasher

    from crisis import accounts

    before = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    try:
        yield
    finally:
        accounts._hasher = before


@pytest.fixture(scope="session", autouse=True)
def cache_dir(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """One cache folder for the session, also for the ``crisis`` processes tests start
    (``CRISIS_CACHE_DIR``): pytest's own cache folder, so that the demo city is built once
    and kept between runs (its copy is keyed by the versions it was built from), or a
    temporary folder when pytest's cache is switched off."""
    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("crisis") if cache is not None else tmp_path_factory.mktemp("cache")
    before = os.environ.get("CRISIS_CACHE_DIR")
    os.environ["CRISIS_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("CRISIS_CACHE_DIR", None)
    else:
        os.environ["CRISIS_CACHE_DIR"] = before


@pytest.fixture
def settings(tmp_path: Path, cache_dir: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", secret_key="test-secret-key-0123456789", cache_dir=cache_dir
    )


@pytest.fixture
def accounts(engine: Engine) -> dict[str, str]:
    """One account per role, each named after its role, all with :data:`PASSWORD`."""
    with Session(engine) as db, db.begin():
        for role in ROLES:
            # The rows users.add_user writes, with the Argon2 hash computed once per session.
            db.add(
                User(
                    username=role,
                    password_hash=_password_hash(),
                    role=role,
                    display_name=f"Test {role}",
                )
            )
    return {role: role for role in ROLES}


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


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
def site(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path):  # type: ignore[no-untyped-def]
    """The whole site with something on every role's pages (see :mod:`tests.site`)."""
    from tests.site import build_site

    built = build_site(tmp_path_factory.mktemp("site"), cache_dir)
    yield built
    built.engine.dispose()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
