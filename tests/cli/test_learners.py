"""``crisis learner path``, ``crisis cohort needs``, ``crisis items check|calibrate``."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from crisis.cli.learners import app, cohort_app
from crisis.exceptions import ContentError

runner = CliRunner()


def test_learner_path_json_and_pdf(tmp_path):
    ratings = tmp_path / "me.yaml"
    ratings.write_text("C01: 2\nC11: 3\nC15: 2\n", encoding="utf-8")
    pdf = tmp_path / "me.pdf"
    result = runner.invoke(
        app,
        [
            "path",
            "--ratings",
            str(ratings),
            "--completed",
            "M01",
            "--hours-per-week",
            "6",
            "--start",
            "2026-01-05",
            "--pdf",
            str(pdf),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["profile"] == "scro"
    modules = [s["module"] for s in data["steps"]]
    assert "M01" not in modules and modules
    assert data["steps"][0]["start"] == "2026-01-05"
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_learner_path_human_output(tmp_path):
    ratings = tmp_path / "me.csv"
    ratings.write_text("competence,level\nC01,3\n", encoding="utf-8")
    result = runner.invoke(app, ["path", "--ratings", str(ratings), "--profile", "scro"])
    assert result.exit_code == 0, result.output
    assert "Learning path" in result.output and "hours" in result.output


def test_learner_path_bad_ratings_is_a_crisis_error(tmp_path):
    ratings = tmp_path / "me.yaml"
    ratings.write_text("C01: 9\n", encoding="utf-8")
    result = runner.invoke(app, ["path", "--ratings", str(ratings)])
    assert isinstance(result.exception, ContentError)
    assert "C01: level 9" in str(result.exception)


def _staff_csv(path, n):
    rng = np.random.default_rng(n)
    lines = ["person,consent," + ",".join(f"C{c:02d}" for c in range(1, 21))]
    for k in range(n):
        levels = ",".join(str(int(v)) for v in rng.integers(0, 4, 20))
        lines.append(f"person{k},{'yes' if k % 2 else 'no'},{levels}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_cohort_needs_with_budget_and_export(tmp_path):
    staff = tmp_path / "staff.csv"
    _staff_csv(staff, 8)
    export = tmp_path / "anon.csv"
    result = runner.invoke(
        cohort_app,
        [
            "needs",
            str(staff),
            "--profile",
            "scro",
            "--budget",
            "40",
            "--export",
            str(export),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["aggregates_visible"] and data["coverage"]["hours"] <= 40
    assert sorted(data["matrix"]) == ["person1", "person3", "person5", "person7"]
    text = export.read_text(encoding="utf-8")
    assert "person" not in text.split("\n", 1)[1]
    assert text.startswith("participant,source,C01")


def test_cohort_of_four_hides_aggregates(tmp_path):
    staff = tmp_path / "staff.csv"
    _staff_csv(staff, 4)
    result = runner.invoke(cohort_app, ["needs", str(staff), "--budget", "40"])
    assert result.exit_code == 0, result.output
    assert "Aggregates hidden" in result.output
    assert "Distribution per competence" not in result.output
