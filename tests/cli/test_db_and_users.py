"""The ``crisis`` command as a user runs it: a real process, real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def crisis(
    *args: str, url: str, data_dir: Path, input: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "CRISIS_DATABASE_URL": url,
        "CRISIS_DATA_DIR": str(data_dir),
        "COLUMNS": "200",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "crisis", *args],
        capture_output=True,
        text=True,
        env=environ,
        input=input,
        timeout=120,
    )


def test_version_and_help(tmp_path: Path) -> None:
    out = crisis("--version", url="sqlite://", data_dir=tmp_path)
    assert out.returncode == 0 and out.stdout.startswith("crisis ")
    out = crisis("--help", url="sqlite://", data_dir=tmp_path)
    for group in ("serve", "db", "user"):
        assert group in out.stdout


def test_demo_accounts_are_created_once(db_url: str, tmp_path: Path) -> None:
    first = crisis("db", "upgrade", "--demo-accounts", "--json", url=db_url, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    created = json.loads(first.stdout)["demo_accounts"]
    assert sorted(a["role"] for a in created) == ["admin", "analyst", "instructor", "learner"]
    second = crisis("db", "upgrade", "--demo-accounts", "--json", url=db_url, data_dir=tmp_path)
    assert json.loads(second.stdout)["demo_accounts"] == []


def test_user_commands_and_backup_restore_round_trip(db_url: str, tmp_path: Path) -> None:
    assert crisis("db", "upgrade", url=db_url, data_dir=tmp_path).returncode == 0
    added = crisis(
        "user", "add", "sofia", "--role", "analyst", "--json", url=db_url, data_dir=tmp_path
    )
    assert added.returncode == 0, added.stderr
    assert len(json.loads(added.stdout)["password"]) >= 10
    crisis("user", "add", "jonas", "--password", "a-long-password", url=db_url, data_dir=tmp_path)
    assert (
        crisis("user", "set-role", "jonas", "instructor", url=db_url, data_dir=tmp_path).returncode
        == 0
    )

    listed = json.loads(crisis("user", "list", "--json", url=db_url, data_dir=tmp_path).stdout)
    assert {(u["username"], u["role"]) for u in listed} == {
        ("sofia", "analyst"),
        ("jonas", "instructor"),
    }

    backup = tmp_path / "crisis.backup"
    assert crisis("db", "backup", str(backup), url=db_url, data_dir=tmp_path).returncode == 0
    crisis("user", "set-role", "sofia", "learner", url=db_url, data_dir=tmp_path)
    crisis(
        "user", "add", "intruder", "--password", "a-long-password", url=db_url, data_dir=tmp_path
    )
    restored = crisis("db", "restore", str(backup), "--yes", url=db_url, data_dir=tmp_path)
    assert restored.returncode == 0, restored.stderr
    after = json.loads(crisis("user", "list", "--json", url=db_url, data_dir=tmp_path).stdout)
    assert after == listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("user", "set-role", "ghost", "admin"), "error: no user named 'ghost'"),
        (("user", "add", "x", "--role", "emperor"), "error: username 'x'"),
        (("user", "add", "valid", "--role", "emperor"), "error: role 'emperor'"),
        (("db", "restore", "missing.backup", "--yes"), "no such file"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    crisis("db", "upgrade", url=url, data_dir=tmp_path)
    out = crisis(*args, url=url, data_dir=tmp_path)
    assert out.returncode == 1
    assert message in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_bad_setting_stops_with_one_line(tmp_path: Path) -> None:
    out = crisis("user", "list", url="sqlite://", data_dir=tmp_path, CRISIS_PORT="eighty")
    assert out.returncode == 1
    assert out.stderr.strip() == "error: CRISIS_PORT='eighty': expected a whole number"


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    out = crisis("db", "upgrade", url="postgresql://nobody@127.0.0.1:1/x", data_dir=tmp_path)
    assert out.returncode == 1
    assert "unreachable" in out.stderr and "Traceback" not in out.stderr


def test_usage_error_exits_2(tmp_path: Path) -> None:
    out = crisis("user", "set-role", url="sqlite://", data_dir=tmp_path)
    assert out.returncode == 2
