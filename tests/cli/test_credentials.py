"""``crisis credentials``: rotating keeps every key published."""

from __future__ import annotations

import json
import stat

from typer.testing import CliRunner

from crisis.cli.credentials import app


def test_rotate_key_adds_a_private_key_and_keeps_the_old_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CRISIS_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    assert "key-1 signs" in runner.invoke(app, ["rotate-key"]).output
    assert "key-2 signs" in runner.invoke(app, ["rotate-key"]).output
    listed = json.loads(runner.invoke(app, ["keys", "--json"]).output)
    assert [k["kid"] for k in listed] == ["key-2", "key-1"]
    for path in (tmp_path / "credentials" / "keys").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
