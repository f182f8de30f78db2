"""Spreadsheets and CSV read under limits, and cells made safe for spreadsheet programs."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from crisis.exceptions import FormatError, LimitExceededError
from crisis.formats.tables import (
    SafeDictWriter,
    neutralise,
    read_csv_rows,
    read_xlsx_rows,
    restore_cell,
    write_csv,
)
from tests.hostile import xlsx, xlsx_rows_bomb, xlsx_size_bomb


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_real_workbook_is_read_with_short_rows_padded() -> None:
    data = _xlsx([["person", "C01", "C02"], ["anna", 2], ["bo", 1, 3]])
    assert read_xlsx_rows(data, "staff.xlsx") == [
        ["person", "C01", "C02"],
        ["anna", 2, None],
        ["bo", 1, 3],
    ]


def test_a_row_bomb_stops_at_the_row_limit() -> None:
    bomb = xlsx_rows_bomb(300_000)  # 9.6 MB of sheet: within the unpacked-size limit
    assert len(bomb) < 100_000  # small on the wire
    with pytest.raises(LimitExceededError, match=r"bomb.xlsx: more than 20,000 rows") as info:
        read_xlsx_rows(bomb, "bomb.xlsx")
    assert info.value.status_code == 422 and info.value.limit == "rows"


def test_a_size_bomb_is_refused_before_it_is_unpacked() -> None:
    bomb = xlsx_size_bomb(40 * 1024 * 1024)
    assert len(bomb) < 100_000
    with pytest.raises(LimitExceededError, match=r"unpacks to [\d,]+ bytes, more than") as info:
        read_xlsx_rows(bomb, "bomb.xlsx")
    assert info.value.status_code == 413


def test_declared_dimensions_do_not_make_cells() -> None:
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="A1:XFD1048576"/><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>person</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    assert read_xlsx_rows(xlsx(sheet), "dims.xlsx") == [["person"]]


def test_cells_are_limited_as_well_as_rows() -> None:
    data = ("\n".join([",".join(["1"] * 100)] * 100) + "\n").encode()
    with pytest.raises(LimitExceededError, match="more than 5,000 cells"):
        read_csv_rows(data, "wide.csv", max_cells=5_000)
    assert len(read_csv_rows(data, "wide.csv")) == 100


def test_not_a_workbook_is_a_format_error() -> None:
    with pytest.raises(FormatError, match=r"x\.xlsx: not a readable XLSX workbook"):
        read_xlsx_rows(b"PK\x03\x04 nothing", "x.xlsx")


def test_csv_delimiter_is_guessed_when_asked() -> None:
    assert read_csv_rows(b"person;C01\nanna;2\n", "s.csv", delimiters=",;\t")[1] == ["anna", "2"]


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)"])
def test_formula_cells_are_neutralised_and_restored(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert restore_cell(neutralise(text)) == text
    assert neutralise(-3) == -3 and neutralise("plain") == "plain"


def test_every_writer_neutralises() -> None:
    assert write_csv([["=1+1", "ok"]]) == "'=1+1,ok\n"
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=["title"], lineterminator="\n")
    writer.writeheader()
    writer.writerow({"title": "@cmd"})
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["title"], ["'@cmd"]]


def test_an_exported_sheet_opens_without_formulas() -> None:
    book = load_workbook(io.BytesIO(_xlsx([[neutralise("=1+1")]])))
    sheet = book.active
    assert sheet is not None
    assert sheet["A1"].data_type == "s" and sheet["A1"].value == "'=1+1"
