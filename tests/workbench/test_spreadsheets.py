"""CSV and XLSX round trips and all-or-nothing imports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from crisis.exceptions import ContentError, FormatError
from crisis.workbench.spreadsheets import (
    REGISTER_COLUMNS,
    export_register,
    export_round,
    import_register,
    import_round,
    register_rows,
)
from crisis.workbench.workspace import Workspace


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_register_round_trip(demo: Workspace, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"register.{fmt}"
    export_register(demo.hazard_register, path, fmt=fmt)
    assert import_register(path, city="Portavera") == demo.hazard_register


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_scorecard_round_trip(demo: Workspace, tmp_path: Path, fmt: str) -> None:
    scoring = demo.rounds[0]
    path = tmp_path / f"round.{fmt}"
    export_round(scoring, path, fmt=fmt)
    back = import_round(path, label=scoring.label, date=scoring.date)
    assert back == scoring


def _csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_unknown_column_is_named(demo: Workspace) -> None:
    rows = register_rows(demo.hazard_register)
    rows[0][3] = "categroy"
    with pytest.raises(FormatError) as info:
        import_register(_csv(rows), city="P")
    assert "unknown column 'categroy' (column 4)" in str(info.value)


def test_missing_required_column_is_named() -> None:
    header = [c for c in REGISTER_COLUMNS if c != "ms_people"]
    with pytest.raises(FormatError, match="required column 'ms_people' is missing"):
        import_register(_csv([header]), city="P")


def test_bad_cells_are_reported_by_row_and_column_and_nothing_is_imported(
    demo: Workspace,
) -> None:
    rows = register_rows(demo.hazard_register)
    col = REGISTER_COLUMNS.index
    rows[2][col("mp_people")] = "many"
    rows[4][col("ms_annual_probability")] = 1.7
    rows[4][col("ms_return_period_years")] = None
    rows[6][col("category")] = "meteorological"
    rows[7][col("id")] = rows[1][col("id")]
    with pytest.raises(ContentError) as info:
        import_register(_csv(rows), city="P")
    errors = info.value.errors
    assert errors[0] == "row 3, column mp_people: 'many' is not a whole number"
    assert errors[1].startswith("row 5, column ms_annual_probability: annual probability must be")
    assert errors[2].startswith("row 7, column category:") and "'meteorological'" in errors[2]
    assert errors[3] == "row 8, column id: 'river-flood' is already used in row 2"
    # Row 8 was the blackout, which the multi-hazard scenario of row 14 combines.
    assert errors[4] == "row 14, column combines: the register has no hazard 'blackout'"
    assert len(errors) == 5


def test_scorecard_import_errors_name_rows() -> None:
    rows = [["question_id", "score", "evidence"], ["P1.1", 2, "ok"], ["P1.2", 7, ""],
            ["P77.1", 1, ""], ["P1.1", 1, ""], ["P1.3", "two", ""]]  # fmt: skip
    with pytest.raises(ContentError) as info:
        import_round(_csv(rows), label="r", date=dt.date(2026, 1, 1))
    assert info.value.errors == [
        "row 3, column score: must be 0–3, got 7",
        "row 4, column question_id: 'P77.1': no such preliminary question",
        "row 5, column question_id: 'P1.1' already answered in row 2",
        "row 6, column score: 'two' is not a whole number",
    ]
    rows = [["question_id", "score"], ["P1.1", 2], ["P1.2", 7], ["P77.1", 1]]
    with pytest.raises(ContentError) as info:
        import_round(_csv(rows), label="r", date=dt.date(2026, 1, 1))
    assert info.value.errors == [
        "row 3, column score: must be 0–3, got 7",
        "row 4, column question_id: 'P77.1': no such preliminary question",
    ]


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="file not found"):
        import_register(tmp_path / "absent.csv", city="P")
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(FormatError, match="not a readable XLSX"):
        import_register(bad, city="P")
    with pytest.raises(FormatError, match=r"use \.csv or \.xlsx"):
        import_register(tmp_path / "register.ods", city="P")


def test_exports_neutralise_formulas_and_imports_restore_the_text(demo: Workspace) -> None:
    from crisis.workbench.spreadsheets import export_register, import_register

    hazard = demo.hazard_register.hazards[0]
    risky = hazard.model_copy(
        update={"title": "=cmd|' /C calc'!A0", "owner": "@risk", "sources": ("-2 m",)}
    )
    register = demo.hazard_register.model_copy(update={"hazards": (risky,)})
    text = export_register(register, fmt="csv").decode()
    assert "'=cmd|' /C calc'!A0" in text and ",'@risk," in text and ",'-2 m," in text
    for fmt in ("csv", "xlsx"):
        back = import_register(export_register(register, fmt=fmt), city="Portavera", fmt=fmt)
        assert back.hazards[0].title == "=cmd|' /C calc'!A0"
        assert back.hazards[0].owner == "@risk" and back.hazards[0].sources == ("-2 m",)


def test_a_multi_hazard_scenario_must_combine_hazards_of_the_sheet(demo: Workspace) -> None:
    rows = register_rows(demo.hazard_register)
    col = REGISTER_COLUMNS.index
    index = next(k for k, row in enumerate(rows) if row[col("id")] == "heat-blackout")
    assert rows[index][col("combines")] == "heatwave; blackout"
    rows[index][col("combines")] = "heatwave; meteor"
    with pytest.raises(ContentError) as info:
        import_register(_csv(rows), city="P")
    assert info.value.errors == [
        f"row {index + 1}, column combines: the register has no hazard 'meteor'"
    ]
