"""``crisis courses check`` and ``crisis courses list``."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from crisis.cli.courses import app
from crisis.courses import bundled_course
from tests.courses.units_fixture import UNITS, write_units

runner = CliRunner()


def test_check_the_bundled_units():
    result = runner.invoke(app, ["check", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["units"] == len(bundled_course().units)
    # The twenty modules of the open course, each with 3–6 units, as the writing guide asks.
    assert sorted(data["modules"]) == [f"M{n:02d}" for n in range(1, 21)]
    assert all(3 <= n <= 6 for n in data["modules"].values())
    assert sum(data["modules"].values()) == data["units"]
    assert data["guideline"] == [] and data["modules_without_units"] == []


def test_check_lists_every_problem_with_its_line_and_fails(tmp_path):
    good = UNITS["M01-1.md"]
    (tmp_path / "M01-1.md").write_text(good.replace("outcomes: [M01.1]", "outcomes: [X]"))
    (tmp_path / "M01-2.md").write_text(
        good.replace("id: M01-1", "id: M01-2").replace("::: case\n", "")
    )
    # Through the real entry point: one line per problem on stderr, exit code 1.
    done = subprocess.run(
        [sys.executable, "-m", "crisis", "courses", "check", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "M01-1.md:5: outcome 'X' is not an outcome of module M01" in done.stderr
    assert "M01-2.md" in done.stderr and "text outside a block" in done.stderr
    assert "error: " in done.stderr.splitlines()[-1]


def test_strict_check_fails_on_the_writing_guide(tmp_path):
    short = UNITS["M01-1.md"].replace("minutes: 80", "minutes: 20")
    (tmp_path / "M01-1.md").write_text(short)
    assert runner.invoke(app, ["check", str(tmp_path)]).exit_code == 0
    strict = runner.invoke(app, ["check", str(tmp_path), "--strict"])
    assert strict.exit_code == 1 and "writing-guide problem" in str(strict.exception)
    assert "units add up to 20 minutes" in strict.output


def test_list_units(tmp_path):
    folder = write_units(tmp_path)
    result = runner.invoke(app, ["list", "--module", "M01", "--units", str(folder), "--json"])
    rows = json.loads(result.output)
    assert [r["id"] for r in rows] == ["M01-1", "M01-2", "M01-3"]
    assert [r["activity"] for r in rows] == ["quiz", "workbench", "exercise"]
    bundled = json.loads(runner.invoke(app, ["list", "--module", "M07", "--json"]).output)
    assert [r["id"] for r in bundled] == [u.id for u in bundled_course().of_module("M07")]
