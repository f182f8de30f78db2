"""``crisis workbench`` commands, driven through Typer's test runner on their own app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisis.cli.workbench import app
from crisis.exceptions import ContentError, FormatError
from crisis.workbench import demo_workspace, load_workspace
from crisis.workbench.spreadsheets import export_register, export_round

from .test_ahp import HOUSE, HOUSE_CRITERIA

runner = CliRunner()


def test_rank_prints_json_with_sensitivity() -> None:
    result = runner.invoke(app, ["rank", "demo", "--json", "--sensitivity"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["ranking"]) == 13 and data["ranking"][0]["rank"] == 1
    assert {s["criterion"] for s in data["sensitivity"]} == {
        "people", "economy", "environment", "infrastructure", "society",
    }  # fmt: skip
    assert data["agreement"]["kendall_tau"] >= 0.8


def test_rank_human_table() -> None:
    result = runner.invoke(app, ["rank", "demo"])
    assert result.exit_code == 0
    assert "Hazards of Portavera" in result.output and "earthquake" in result.output
    assert "Kendall τ between matrix cells and ranking" in result.output


def test_ahp_from_yaml_and_csv(tmp_path: Path) -> None:
    yaml_file = tmp_path / "house.yaml"
    yaml_file.write_text(
        "criteria: ["
        + ", ".join(HOUSE_CRITERIA)
        + "]\nmatrix:\n"
        + "".join("  - [" + ", ".join(str(c) for c in row) + "]\n" for row in HOUSE),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["ahp", str(yaml_file), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert round(data["cr"], 3) == 0.169 and data["consistent"] is False
    # The judgements to revise are named, each with a value that lowers CR.
    assert len(data["inconsistent_judgements"]) == 3
    assert all(r["cr_after"] < data["cr"] for r in data["inconsistent_judgements"])
    human = runner.invoke(app, ["ahp", str(yaml_file)])
    assert "the other judgements imply about" in human.output
    csv_file = tmp_path / "m.csv"
    csv_file.write_text(",a,b\na,1,3\nb,1/3,1\n", encoding="utf-8")
    result = runner.invoke(app, ["ahp", str(csv_file)])
    assert result.exit_code == 0
    assert "0.7500" in result.output and "acceptable" in result.output


def test_ahp_bad_matrix_is_a_crisis_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("matrix: [[1, 3], [3, 1]]\n", encoding="utf-8")
    result = runner.invoke(app, ["ahp", str(bad)])
    assert isinstance(result.exception, ContentError)
    assert "must be the reciprocal" in str(result.exception)


def test_import_export_round_trip_through_files(tmp_path: Path) -> None:
    demo = demo_workspace()
    register_xlsx = tmp_path / "register.xlsx"
    export_register(demo.hazard_register, register_xlsx, fmt="xlsx")
    round_csv = tmp_path / "round.csv"
    export_round(demo.rounds[0], round_csv)
    workspace = tmp_path / "city.yaml"
    result = runner.invoke(
        app,
        ["import", str(register_xlsx), "--into", str(workspace), "--city", "Portavera", "--json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["hazards"] == 13
    result = runner.invoke(app, [
        "import", str(round_csv), "--into", str(workspace), "--kind", "scorecard",
        "--label", "Baseline 2026", "--date", "2026-03-16",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    loaded = load_workspace(workspace)
    assert loaded.hazard_register == demo.hazard_register
    assert loaded.rounds == demo.rounds
    out = tmp_path / "again.csv"
    result = runner.invoke(app, ["export", str(workspace), "-o", str(out)])
    assert result.exit_code == 0
    assert out.read_bytes() == export_register(demo.hazard_register)


def test_report_writes_a_pdf(tmp_path: Path) -> None:
    out = tmp_path / "profile.pdf"
    result = runner.invoke(app, ["report", "demo", "-o", str(out), "--language", "el"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["report", "demo", "-o", "x.pdf", "--language", "fr"], ContentError),
        (["export", "demo", "-o", "x.ods"], FormatError),
        (["rank", "missing.yaml"], FormatError),
    ],
)
def test_user_errors_are_crisis_errors(args: list[str], error: type[Exception]) -> None:
    result = runner.invoke(app, args)
    assert isinstance(result.exception, error)
