"""Importing staff self-assessments from CSV and XLSX: all or nothing, errors by row/column."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from crisis.competences import load_bundled
from crisis.exceptions import ContentError, FormatError
from crisis.learners.staff import read_staff


def test_csv_import(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("person,consent,C01,C11\nanna,yes,2,3\nbruno,no,,1\n", encoding="utf-8")
    members = read_staff(path, load_bundled())
    assert [(m.person, m.consented, m.levels) for m in members] == [
        ("anna", True, {"C01": 2, "C11": 3}),
        ("bruno", False, {"C11": 1}),
    ]


def test_semicolon_csv_from_a_spreadsheet_is_read(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("person;C01;C02\nanna;2;1\n", encoding="utf-8")
    assert read_staff(path, load_bundled())[0].levels == {"C01": 2, "C02": 1}


def test_bad_csv_rows_are_all_reported_and_nothing_is_imported(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(
        "person,consent,C01,C02\nanna,yes,2,7\nbruno,maybe,x,1\nanna,no,1,1\n,no,1,1\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as info:
        read_staff(path, load_bundled())
    assert info.value.errors == [
        "staff.csv:2: column D (C02): level 7 is out of range 0..4",
        "staff.csv:3: column B (consent): 'maybe' is not yes or no",
        "staff.csv:3: column C (C01): 'x' is not a level; use a whole number 0..4",
        "staff.csv:4: person 'anna' appears twice (first on row 2)",
        "staff.csv:5: column A: person is empty",
    ]


def test_unknown_competence_column_is_named(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("person,C01,C21\nanna,1,2\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"staff.csv:1: column C: 'C21' is not a competence"):
        read_staff(path, load_bundled())


def test_xlsx_import_with_errors_by_cell(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Person", "Consent", "C05", "C06"])
    sheet.append(["anna", "yes", 4, 2])
    sheet.append(["bruno", "no", 1, 5])
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    book.save(bad)
    sheet.delete_rows(3)
    book.save(good)
    assert read_staff(good, load_bundled())[0].levels == {"C05": 4, "C06": 2}
    with pytest.raises(
        ContentError, match=r"bad.xlsx:3: column D \(C06\): level 5 is out of range"
    ):
        read_staff(bad, load_bundled())


def test_wrong_file_types_are_format_errors(tmp_path):
    (tmp_path / "staff.txt").write_text("x", encoding="utf-8")
    (tmp_path / "fake.xlsx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(FormatError, match=r"expected a \.csv or \.xlsx"):
        read_staff(tmp_path / "staff.txt", load_bundled())
    with pytest.raises(FormatError, match="not a readable XLSX"):
        read_staff(tmp_path / "fake.xlsx", load_bundled())
