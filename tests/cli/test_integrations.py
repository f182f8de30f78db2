"""``crisis integrations`` as an admin runs it: a real process, a real database, a real LRS."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from crisis.integrations import xapi
from crisis.store import integrations as store
from crisis.store.db import make_engine
from crisis.web.integrations.platforms import register_platform
from tests.cli.test_db_and_users import crisis
from tests.integrations.lrs import Lrs


@pytest.fixture
def lrs(tmp_path: Path) -> Iterator[Lrs]:
    server = Lrs(tmp_path / "lrs")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp_path / "lrs", ignore_errors=True)


def _statement(n: int) -> dict[str, object]:
    return xapi.statement(
        base_url="https://crisis.example.org",
        actor=xapi.Actor(1, "Test learner"),
        verb="completed",
        event=f"cli-{n}",
        kind="self-assessment",
        path="/learning/self-assessment",
        title="Self-assessment",
        timestamp=dt.datetime(2026, 5, 4, 10, n, tzinfo=dt.UTC),
        result=xapi.Result(completion=True),
    )


def test_platforms_list_and_deliver(db_url: str, tmp_path: Path, lrs: Lrs) -> None:
    assert crisis("db", "upgrade", url=db_url, data_dir=tmp_path).returncode == 0
    empty = crisis("integrations", "platforms", "list", url=db_url, data_dir=tmp_path)
    assert empty.returncode == 0 and "No LMS platform is registered." in empty.stdout

    engine = make_engine(db_url)
    try:
        with Session(engine) as db, db.begin():
            register_platform(
                db,
                name="Moodle of the university",
                issuer="https://moodle.example.edu",
                client_id="AbC123",
                auth_url="https://moodle.example.edu/mod/lti/auth.php",
                token_url="https://moodle.example.edu/mod/lti/token.php",
                jwks_url="https://moodle.example.edu/mod/lti/certs.php",
                deployment_ids="7 9",
            )
            ids = []
            for n in range(3):
                body = _statement(n)
                store.enqueue(db, channel="xapi", key=str(body["id"]), payload=body, user_id=None)
                ids.append(body["id"])
    finally:
        engine.dispose()
    listed = crisis("integrations", "platforms", "list", "--json", url=db_url, data_dir=tmp_path)
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["issuer"], row["client_id"], row["deployment_ids"]) == (
        "https://moodle.example.edu",
        "AbC123",
        ["7", "9"],
    )
    table = crisis("integrations", "platforms", "list", url=db_url, data_dir=tmp_path)
    assert "Moodle of the university" in table.stdout and "AbC123" in table.stdout

    # Without an LRS the statements wait (for the learners' own download).
    kept = crisis("integrations", "deliver", url=db_url, data_dir=tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert "3 waiting" in kept.stdout and "No CRISIS_LRS_URL" in kept.stdout

    lrs_env = {
        "CRISIS_LRS_URL": lrs.url,
        "CRISIS_LRS_USERNAME": lrs.user,
        "CRISIS_LRS_PASSWORD": lrs.password,
    }
    sent = crisis("integrations", "deliver", "--json", url=db_url, data_dir=tmp_path, **lrs_env)
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout) == {
        "sent": 3,
        "delivered": 3,
        "waiting": 0,
        "refused": 0,
        "lrs": True,
    }
    assert sorted(s["id"] for s in lrs.statements()) == sorted(ids)
    again = crisis("integrations", "deliver", "--json", url=db_url, data_dir=tmp_path, **lrs_env)
    assert json.loads(again.stdout)["sent"] == 0


def test_tool_keys_rotate(tmp_path: Path) -> None:
    first = crisis("integrations", "keys", "--json", url="sqlite://", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    (key,) = json.loads(first.stdout)
    rotated = crisis("integrations", "rotate-key", url="sqlite://", data_dir=tmp_path)
    assert rotated.returncode == 0 and "signs from now on" in rotated.stdout
    kids = [
        k["kid"]
        for k in json.loads(
            crisis("integrations", "keys", "--json", url="sqlite://", data_dir=tmp_path).stdout
        )
    ]
    assert len(kids) == 2 and kids[1] == key["kid"] and "d" not in key
