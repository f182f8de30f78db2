"""Hostile input against a real server: every one is refused with a clear problem, and the
server keeps answering ``/healthz`` while it deals with it.

The server is uvicorn in its own process on a free port (killed at the end), so that a
request that blocked the event loop would block ``/healthz`` exactly as in production.

How "keeps answering" is measured: a second thread probes ``/healthz`` over and over while
the hostile request is in flight. Probes that complete before the hostile response arrives
prove by their order that the server answered meanwhile. The issue's figure, 100 ms, is
checked on the fastest of those probes: a busy test machine can delay any one probe, but a
blocked event loop delays every probe until the import is over.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy.orm import Session

from crisis.store.db import make_engine
from crisis.store.tables import User
from tests.conftest import PASSWORD, _password_hash
from tests.hostile import deep_yaml, xlsx_rows_bomb, xlsx_size_bomb, yaml_alias_bomb

LIMIT_MB = 2
HEALTHY_S = 0.1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, cache_dir: Path
) -> Iterator[str]:
    root = tmp_path_factory.mktemp("hostile")
    database = root / "crisis.db"
    shutil.copyfile(sqlite_template, database)
    engine = make_engine(f"sqlite:///{database}")
    with Session(engine) as db, db.begin():
        for role in ("instructor", "admin"):
            db.add(User(username=role, password_hash=_password_hash(), role=role))
    engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "CRISIS_DATA_DIR": str(root),
        "CRISIS_DATABASE_URL": f"sqlite:///{database}",
        "CRISIS_MAX_UPLOAD_MB": str(LIMIT_MB),
        "CRISIS_CACHE_DIR": str(cache_dir),
        "CRISIS_WORKERS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "crisis.web.main:build", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # only a guard against a server that never starts
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


@contextlib.contextmanager
def _signed_in(url: str, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=300) as client:
        client.get("/login")
        token = client.cookies["crisis_csrf"]
        answer = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 303, answer.text
        client.headers["X-CSRF-Token"] = client.cookies["crisis_csrf"]
        yield client


def _meanwhile(url: str, send: Callable[[], httpx.Response]) -> tuple[httpx.Response, list[float]]:
    """``send()``'s response, and the latency of each /healthz probe answered before it."""
    done = threading.Event()
    answered: list[float] = []
    failures: list[str] = []

    def probe() -> None:
        with httpx.Client(base_url=url, timeout=300) as client:
            while not done.is_set():
                start = time.perf_counter()
                response = client.get("/healthz")
                elapsed = time.perf_counter() - start
                if response.status_code != 200:
                    failures.append(f"/healthz answered {response.status_code}")
                if not done.is_set():
                    answered.append(elapsed)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        response = send()
    finally:
        done.set()
        prober.join()
    assert failures == []
    return response, answered


def _problem(response: httpx.Response, status: int) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict = response.json()  # type: ignore[type-arg]
    assert body["status"] == status
    return body


def _stayed_healthy(answered: list[float]) -> None:
    assert answered, "no /healthz probe was answered while the request was being handled"
    assert min(answered) < HEALTHY_S, f"fastest /healthz answer took {min(answered):.3f} s"


def test_xlsx_row_bomb_is_refused_while_the_server_answers(server: str) -> None:
    with _signed_in(server, "instructor") as client:
        cohort = client.post("/api/v1/learning/cohorts", json={"name": "Bomb"}).json()
        bomb = xlsx_rows_bomb(300_000)

        def send() -> httpx.Response:
            return client.post(
                f"/api/v1/learning/cohorts/{cohort['id']}/import",
                files={"file": ("staff.xlsx", bomb)},
            )

        response, answered = _meanwhile(server, send)
    body = _problem(response, 422)
    assert "more than 20,000 rows" in body["detail"] and body["limit"]["name"] == "rows"
    _stayed_healthy(answered)


def test_xlsx_that_unpacks_too_far_is_refused(server: str) -> None:
    with _signed_in(server, "instructor") as client:
        cohort = client.post("/api/v1/learning/cohorts", json={"name": "Zip"}).json()
        bomb = xlsx_size_bomb(64 * 1024 * 1024)
        assert len(bomb) < LIMIT_MB * 1024 * 1024

        def send() -> httpx.Response:
            return client.post(
                f"/api/v1/learning/cohorts/{cohort['id']}/import",
                files={"file": ("staff.xlsx", bomb)},
            )

        response, answered = _meanwhile(server, send)
    body = _problem(response, 413)
    assert "unpacks to" in body["detail"] and body["limit"]["name"] == "unpacked bytes"
    if answered:
        assert min(answered) < HEALTHY_S


@pytest.mark.parametrize(
    ("name", "data", "detail"),
    [
        ("framework.yaml", yaml_alias_bomb(), "once its aliases are resolved"),
        ("framework.yaml", deep_yaml(5000), "nested more than 50 levels deep"),
    ],
    ids=["alias-bomb", "deep"],
)
def test_hostile_yaml_is_refused_naming_the_limit(
    server: str, name: str, data: bytes, detail: str
) -> None:
    with _signed_in(server, "admin") as client:

        def send() -> httpx.Response:
            return client.post("/api/v1/competences/catalogues", files={"files": (name, data)})

        response, answered = _meanwhile(server, send)
    body = _problem(response, 422)
    assert detail in body["detail"] and body["detail"].startswith(f"{name}:")
    if answered:
        assert min(answered) < HEALTHY_S
    assert httpx.get(f"{server}/healthz").status_code == 200


def _read_response(sock: socket.socket, start: bytes) -> bytes:
    """The whole response whose first bytes are ``start`` (read to its Content-Length)."""
    data = start
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            return data
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        more = sock.recv(65536)
        if not more:
            break
        body += more
    return head + b"\r\n\r\n" + body


def test_chunked_body_over_the_limit_is_cut_off(server: str) -> None:
    """A body without Content-Length is counted as it arrives and refused at the limit."""
    host, port = server.removeprefix("http://").split(":")
    chunk = b"x" * 65536
    sent = 0
    answer = b""
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
            b"Accept: application/json\r\n"
            b"Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n"
        )
        part = b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="f.bin"\r\n\r\n'
        sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        try:
            while sent < 20 * LIMIT_MB * 1024 * 1024 and not answer:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    answer = sock.recv(65536)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its answer is waiting in our buffer
        answer = _read_response(sock, answer)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer.decode(errors="replace")[-1500:]
    problem = json.loads(body.decode())
    assert f"upload limit of {LIMIT_MB} MiB (CRISIS_MAX_UPLOAD_MB)" in problem["detail"]
    assert problem["limit"] == {"name": "CRISIS_MAX_UPLOAD_MB", "value": LIMIT_MB}
    # Answered while we were still sending: the server stopped reading at the limit (had it
    # read on, the body, which never ends, would have kept it waiting).
    assert sent < 20 * LIMIT_MB * 1024 * 1024
    assert httpx.get(f"{server}/healthz").status_code == 200


def test_declared_oversize_body_is_refused_before_it_is_read(server: str) -> None:
    big = b"x" * (LIMIT_MB * 1024 * 1024 + 1)
    response = httpx.post(f"{server}/api/v1/competences/catalogues", content=big)
    body = _problem(response, 413)
    assert body["limit"]["name"] == "CRISIS_MAX_UPLOAD_MB"


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("GET", "/api/v1/jobs/18446744073709551616", None),
        ("GET", "/api/v1/learning/cohorts/18446744073709551616/needs", None),
        ("GET", "/api/v1/learning/cohorts/-1/needs", None),
        ("PUT", "/api/v1/competences/catalogues/active", {"id": 18446744073709551616}),
        ("GET", "/exercises/runs/18446744073709551616", None),
        ("GET", "/workbench/x/history/compare?a=1&b=18446744073709551616", None),
        ("POST", "/api/v1/learning/test/answer",
         {"attempt": 2**64, "item": "x", "sequence": 0, "option": 0}),
    ],
)  # fmt: skip
def test_huge_numbers_are_refused_with_422(
    server: str, method: str, path: str, payload: object
) -> None:
    with _signed_in(server, "admin") as client:
        response = client.request(method, path, json=payload)
    assert response.status_code == 422, response.text[:300]
    if path.startswith("/api/"):
        body = _problem(response, 422)
        assert body["errors"] and all("field" in e for e in body["errors"])
