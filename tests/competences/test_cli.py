"""``crisis competences``: check, export and import from the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from crisis.cli.competences import app
from crisis.competences import bundled_path

runner = CliRunner()


def test_check_bundled_passes():
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "passed with 0 error(s) and 0 warning(s)" in result.output


def test_check_broken_folder_fails_with_lines(tmp_path):
    text = (bundled_path() / "framework.yaml").read_text(encoding="utf-8")
    (tmp_path / "framework.yaml").write_text(
        text.replace("related: [C11, C13]", "related: [C11, C99]"), encoding="utf-8"
    )
    result = runner.invoke(app, ["check", str(tmp_path), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["errors"] == 1
    assert (
        "competence C01 is related to 'C99', which does not exist"
        in report["findings"][0]["message"]
    )


def test_missing_translations_warn_but_pass(tmp_path):
    for name in ("framework.yaml", "profiles.yaml", "curriculum.yaml"):
        (tmp_path / name).write_bytes((bundled_path() / name).read_bytes())
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 0
    assert "missing translation" in result.output


def test_export_moodle_then_import_to_yaml(tmp_path):
    csv_file = tmp_path / "scro.csv"
    result = runner.invoke(app, ["export", "--format", "moodle", "--out", str(csv_file)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["import", str(csv_file), "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["competences"] == 20 and summary["areas"] == 4
    assert (tmp_path / "out" / "framework.yaml").is_file()


def test_export_case_to_stdout():
    result = runner.invoke(app, ["export", "--format", "case", "--lang", "pt"])
    assert result.exit_code == 0
    assert json.loads(result.output)["CFDocument"]["language"] == "pt"
