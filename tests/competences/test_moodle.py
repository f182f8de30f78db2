"""Moodle competency framework CSV: exact header, round trip, and row/column errors."""
# ruff: noqa: E501  (expected messages and CSV fixtures are kept on one line to stay readable)

from __future__ import annotations

import csv
import io

import pytest

from crisis.competences import load_bundled
from crisis.competences.moodle import (
    HEADER,
    export_framework,
    import_framework,
    read_csv,
    write_csv,
)
from crisis.exceptions import ContentError, FormatError

MOODLE_HEADER = (
    "Parent ID number,ID number,Short name,Description,Description format,Scale values,"
    "Scale configuration,Rule type (optional),Rule outcome (optional),Rule config (optional),"
    "Cross-referenced competency ID numbers,Exported ID (optional),Is framework,Taxonomy"
)


def _tree(framework):
    return [
        (
            area.id,
            area.title.get("en"),
            [
                (
                    c.id,
                    c.title.get("en"),
                    c.description.get("en"),
                    [k.get("en") for k in (*c.knowledge, *c.skills, *c.attitudes)],
                    {level: text.get("en") for level, text in c.levels.items()},
                    c.related,
                )
                for c in area.competences
            ],
        )
        for area in framework.areas
    ]


def test_export_has_moodles_exact_header_and_one_framework_row():
    text = export_framework(load_bundled().framework)
    assert text.splitlines()[0] == MOODLE_HEADER
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(row) == len(HEADER) for row in rows)
    framework_rows = [row for row in rows[1:] if row[12] == "1"]
    assert len(framework_rows) == 1
    assert framework_rows[0][5] == "Not yet,Basic,Intermediate,Advanced,Expert"
    assert framework_rows[0][13] == "domain,competency"


def test_round_trip_yields_the_same_tree():
    framework = load_bundled().framework
    back = import_framework(export_framework(framework).encode())
    assert _tree(back) == _tree(framework)
    assert back.scale.proficient == framework.scale.proficient
    assert [level.name.get("en") for level in back.scale.levels] == [
        level.name.get("en") for level in framework.scale.levels
    ]


def test_csv_round_trip_is_byte_identical_and_greek_export_works():
    text = export_framework(load_bundled().framework, "el")
    assert write_csv(read_csv(text.encode())) == text
    assert "Συστημική σκέψη για την αστική ανθεκτικότητα" in text


def test_a_greek_export_has_greek_headings_and_reads_back():
    framework = load_bundled().framework
    text = export_framework(framework, "el")
    assert "**Γνώσεις**" in text and "**Δεξιότητες**" in text and "**Επίπεδα**" in text
    assert "**Knowledge**" not in text and "**Levels**" not in text
    back = import_framework(text.encode())
    c01 = next(c for c in back.competences if c.id == "C01")
    assert [k.get("en") for k in c01.knowledge] == [
        k.get("el") for k in framework.competences[0].knowledge
    ]
    assert c01.levels[2].get("en") == framework.competences[0].levels[2].get("el")


def test_cross_references_with_commas_are_escaped():
    moodle = read_csv(export_framework(load_bundled().framework).encode())
    moodle.competencies[1].related = ["odd,id"]
    moodle.competencies.append(type(moodle.competencies[1])("odd,id", "Odd", parent="A-TRA"))
    text = write_csv(moodle)
    assert "odd%2Cid" in text
    assert read_csv(text.encode()).competencies[1].related == ["odd,id"]


def _csv(*rows: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([*row, *[""] * (len(HEADER) - len(row))])
    return out.getvalue().encode()


_FRAMEWORK = [
    "",
    "fw",
    "Framework",
    "",
    "2",
    "No,Yes",
    '[{"scaleid":"1"},{"id":2,"scaledefault":1,"proficient":1}]',
    "",
    "",
    "",
    "",
    "",
    "1",
    "competency",
]


def test_row_errors_name_row_and_column():
    data = _csv(
        _FRAMEWORK,
        ["ghost", "c1", "One", "", "7"],
        ["", "c1", "Again"],
        ["", "c2", "Two", "", "", "", "", "", "", "", "c9"],
    )
    with pytest.raises(ContentError) as info:
        read_csv(data, "mine.csv")
    assert info.value.errors == [
        "mine.csv:row 3, column 5 (Description format): '7' is not a Moodle description format (0, 1, 2 or 4)",
        "mine.csv:row 4, column 2 (ID number): ID number 'c1' is used twice (first at row 3)",
        "mine.csv:row 3, column 1 (Parent ID number): parent 'ghost' of 'c1' does not exist",
        "mine.csv:row 5, column 11 (Cross-referenced competency ID numbers): cross-reference 'c9' does not exist",
    ]


def test_missing_framework_row_and_parent_cycle():
    with pytest.raises(ContentError) as info:
        read_csv(_csv(["b", "a", "A"], ["a", "b", "B"]), "loop.csv")
    errors = info.value.errors
    assert "loop.csv: no row has a truthy 'Is framework' column; Moodle needs exactly one" in errors
    assert "loop.csv:row 2: parents form a cycle: a → b → a" in errors


def test_bad_encoding_and_oversize():
    with pytest.raises(FormatError, match=r"bad\.csv:2: column 5: byte 0xe9 is not valid UTF-8"):
        read_csv(b"a,b\nx,y,\xe9\n", "bad.csv")
    with pytest.raises(FormatError, match="larger than the limit of 100 bytes"):
        read_csv(export_framework(load_bundled().framework).encode(), "big.csv", max_bytes=100)


def test_foreign_framework_without_crisis_ids_is_refused_with_rows():
    data = _csv(_FRAMEWORK, ["", "dom", "Domain"], ["dom", "skill-1", "A skill"])
    with pytest.raises(ContentError) as info:
        import_framework(data, "foreign.csv")
    assert any(
        e.startswith("foreign.csv:row 2, column 6 (Scale values): CRISIS needs 5 scale values")
        for e in info.value.errors
    )
