"""Moodle competency framework CSV: exact header, round trip, and row/column errors."""
# ruff: noqa: E501  (expected messages and CSV fixtures are kept on one line to stay readable)

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from crisis.competences import load_bundled
from crisis.competences.moodle import (
    HEADER,
    export_framework,
    html_text,
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


FIXTURE = Path(__file__).parent / "data" / "moodle_emergency.csv"


def _structure(moodle):
    """What a Moodle import keeps: the tree, names, texts, scales, rules and cross-references."""
    by_export = {c.exportid: c.idnumber for c in moodle.competencies}

    def scale(s):
        return None if s is None else (tuple(s.values), s.default, tuple(s.proficient))

    def text(c):
        return html_text(c.description) if c.descriptionformat == 1 else c.description.strip()

    return (
        moodle.idnumber,
        moodle.shortname,
        scale(moodle.scale),
        tuple(moodle.taxonomies),
        tuple(moodle.tree()),
        {
            c.idnumber: (
                c.parent,
                c.shortname,
                text(c),
                scale(c.scale),
                c.ruletype,
                c.ruleoutcome,
                None
                if c.rule is None
                else (c.rule.points, tuple((by_export[i], p, r) for i, p, r in c.rule.children)),
                tuple(c.related),
            )
            for c in moodle.competencies
        },
    )


def test_a_title_that_looks_like_a_formula_is_neutralised_and_comes_back():
    framework = load_bundled().framework
    first = framework.areas[0].competences[0]
    hostile = '=HYPERLINK("http://example.invalid","Click")'
    title = type(first.title).model_validate(hostile)
    area = framework.areas[0].model_copy(
        update={
            "competences": [
                first.model_copy(update={"title": title}),
                *framework.areas[0].competences[1:],
            ]
        }
    )
    framework = framework.model_copy(update={"areas": [area, *framework.areas[1:]]})
    text = export_framework(framework)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + hostile in cells and hostile not in cells  # a spreadsheet shows it as text
    back = import_framework(text.encode())
    assert back.areas[0].competences[0].title.get("en") == hostile


def test_another_sites_four_level_framework_imports_and_exports_equal_in_structure():
    data = FIXTURE.read_bytes()
    assert b";" in data.splitlines()[0] and b"\r\n" in data  # semicolons, CRLF in cells too
    framework = import_framework(data, FIXTURE.name)
    assert max(framework.depths.values()) == 4
    assert [a.id for a in framework.areas] == ["1", "2"]
    flood = next(c for c in framework.competences if c.id == "1.1.1.1")
    assert (flood.parent, flood.area, framework.depths["1.1.1.1"]) == ("1.1.1", "1", 4)
    # The two-value scale is kept; its values sit on CRISIS's levels around the proficient one.
    assert framework.scale.source.values == ["Not yet competent", "Competent"]
    assert [level.name.get("en") for level in framework.scale.levels] == [
        "Not yet competent",
        "Basic",
        "Competent",
        "Advanced",
        "Expert",
    ]
    # Descriptions without a CRISIS level block take their levels from the scale.
    assert {k: v.get("en") for k, v in flood.levels.items()} == {
        1: "Not yet competent",
        2: "Competent",
        3: "Competent",
        4: "Competent",
    }
    scenarios = next(c for c in framework.competences if c.id == "1.1.1")
    assert scenarios.description.get("en") == (
        "Describes a most probable and a most severe scenario\nfor each hazard the city faces."
    )
    planning = next(c for c in framework.competences if c.id == "1.1")
    assert planning.rule.kind == "points" and planning.rule.points == 2
    assert planning.rule.children["1.1.1"].required and planning.related == ["2.1"]
    assert framework.areas[1].scale.values == ["Beginner", "Practitioner", "Lead"]

    exported = export_framework(framework)
    assert "<p>" not in exported and "**Levels**" not in exported
    assert _structure(read_csv(exported.encode())) == _structure(read_csv(data, FIXTURE.name))
    again = import_framework(exported.encode())
    assert again == framework


def test_tab_separated_files_are_read_too():
    text = FIXTURE.read_text("utf-8").replace(";", "\t")
    framework = import_framework(text.encode(), "tabs.csv")
    semicolons = import_framework(FIXTURE.read_bytes())
    assert [c.id for c in framework.competences] == [c.id for c in semicolons.competences]
    assert len(framework.competences) == 9


def test_an_unknown_delimiter_is_named_in_the_error():
    text = FIXTURE.read_text("utf-8").replace(";", "|")
    with pytest.raises(ContentError) as info:
        import_framework(text.encode(), "pipes.csv")
    assert info.value.errors == [
        "pipes.csv:row 1: expected Moodle's 14 columns (Parent ID number, ID number, Short name, Description, Description format, Scale values, Scale configuration, Rule type (optional), Rule outcome (optional), Rule config (optional), Cross-referenced competency ID numbers, Exported ID (optional), Is framework, Taxonomy) separated by commas, semicolons or tabs; the header has 1 with commas, 1 with semicolons, 1 with tabs"
    ]


def test_an_esco_file_gets_a_hint():
    data = b"conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels\n"
    with pytest.raises(ContentError, match="looks like an ESCO file"):
        import_framework(data, "skills_en.csv")


def test_every_problem_is_reported_in_one_pass():
    data = _csv(
        [
            "",
            "fw",
            "Framework",
            "",
            "1",
            "No,Yes",
            '[{"scaleid":"1"},{"id":3,"scaledefault":1}]',
            "",
            "",
            "",
            "",
            "",
            "1",
            "competency,colour",
        ],
        ["", "d1", "Domain", "", "", "", "", "core_competency\\competency_rule_any", "7"],
        [
            "d1",
            "c1",
            "One",
            "",
            "",
            "",
            "",
            "core_competency\\competency_rule_points",
            "1",
            '{"base":{"points":3},"competencies":[{"id":"9","points":1,"required":0}]}',
            "",
            "5",
        ],
        ["d1", "c2", ""],
        ["x", "c3", "Three", "", "", "", "", "", "", "", "c1,nowhere"],
        ["d1", "c1", "Again"],
    )
    with pytest.raises(ContentError) as info:
        import_framework(data, "many.csv")
    assert info.value.errors == [
        "many.csv:row 2, column 14 (Taxonomy): 'colour' is not a Moodle taxonomy term (behaviour, competency, concept, domain, indicator, level, outcome, practice, proficiency, skill, value)",
        "many.csv:row 2, column 7 (Scale configuration): value 3 is outside the 2 scale values",
        "many.csv:row 2, column 7 (Scale configuration): at least one scale value must be proficient",
        "many.csv:row 3, column 8 (Rule type (optional)): 'core_competency\\competency_rule_any' is not a Moodle competency rule class (core_competency\\competency_rule_all, core_competency\\competency_rule_points)",
        "many.csv:row 3, column 9 (Rule outcome (optional)): '7' is not a rule outcome (0 none, 1 evidence, 2 complete, 3 recommend)",
        "many.csv:row 5, column 3 (Short name): competency 'c2' needs a short name",
        "many.csv:row 7, column 2 (ID number): ID number 'c1' is used twice (first at row 4)",
        "many.csv:row 4, column 10 (Rule config (optional)): the children give 1 points, fewer than the 3 required",
        "many.csv:row 4, column 10 (Rule config (optional)): the rule counts exported ID '9', which no row has",
        "many.csv:row 6, column 1 (Parent ID number): parent 'x' of 'c3' does not exist",
        "many.csv:row 6, column 11 (Cross-referenced competency ID numbers): cross-reference 'nowhere' does not exist",
    ]
