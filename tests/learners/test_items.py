"""The bundled item bank is complete and valid; bad item files are named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.competences import load_bundled
from crisis.exceptions import ContentError, FormatError
from crisis.learners.items import (
    LEVEL_DIFFICULTY,
    apply_calibration,
    load_bundled_items,
    load_items,
)

FIRST_EDITION = Path(__file__).parent / "data" / "items_first_edition"


def test_bundled_bank_covers_every_competence_with_ten_items_or_more():
    catalogue = load_bundled()
    bank = load_items(catalogue=catalogue)
    assert len(bank) >= 200
    assert bank.coverage_problems(catalogue) == []
    for competence in catalogue.framework.competences:
        items = bank.for_competence(competence.id)
        assert len(items) >= 10
        levels = [item.level for item in items]
        assert all(levels.count(level) >= 2 for level in (1, 2, 3, 4))
        # Every item says which statement of the competence it measures.
        assert all(item.measures for item in items)


def test_bundled_items_are_well_formed():
    bank = load_bundled_items()
    for item in bank:
        assert 0 <= item.answer < len(item.options)
        assert len(item.explanation.get("en")) > 40
        assert item.irt.b == LEVEL_DIFFICULTY[item.level]
        assert item.irt.c == pytest.approx(1 / len(item.options), abs=1e-4)
        assert len(item.options) == 4
        if item.kind == "scenario":
            assert item.scenario is not None
    # The correct answer is not always in the same position.
    positions = {item.answer for item in bank}
    assert positions == {0, 1, 2, 3}


def test_translation_falls_back_to_english():
    bank = load_items(FIRST_EDITION)
    translated = bank.item("C11-01").render("el")
    assert translated["stem"].startswith("Στην ορολογία")
    untranslated = bank.item("C11-02").render("de")
    assert untranslated["stem"] == bank.item("C11-02").stem.get("en")
    assert "answer" not in translated


BAD = """\
competence: C01
items:
  - id: X-1
    level: 2
    stem: A question
    options: [one, two, three]
    answer: e
    explanation: Because.
  - id: X-2
    level: 7
    stem: Another
    options: [one, two]
    answer: a
    explanation: Because.
    colour: blue
  - id: X-3
    level: 2
    stem: Same options
    options: [one, One]
    answer: a
    explanation: Because.
  - id: X-1
    level: 1
    stem: Duplicate id
    options: [yes, no]
    answer: a
    explanation: Because.
"""


def test_bad_items_are_reported_with_file_and_line(tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_items(tmp_path)
    errors = info.value.errors
    assert any(
        e.startswith("bad.yaml:7:") and "answer 'e' is not one of the 3" in e for e in errors
    )
    assert any(e.startswith("bad.yaml:10:") and "level" in e for e in errors)
    assert any(e.startswith("bad.yaml:15:") and "unknown field" in e for e in errors)
    assert any(e.startswith("bad.yaml:16:") and "same text" in e for e in errors)
    assert any(e.startswith("bad.yaml:22:") and "read as true" in e for e in errors)


def test_duplicate_id_names_both_places(tmp_path):
    good = BAD.split("  - id: X-2")[0].replace("answer: e", "answer: b")
    (tmp_path / "a.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(good, encoding="utf-8")
    with pytest.raises(ContentError, match=r"b.yaml:3: item id 'X-1' is already used at a.yaml:3"):
        load_items(tmp_path)


def test_unknown_competence_is_rejected_against_a_catalogue(tmp_path):
    text = BAD.split("  - id: X-2")[0].replace("answer: e", "answer: b").replace("C01", "C99")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ContentError, match="competence 'C99' is not in the framework"):
        load_items(tmp_path, catalogue=load_bundled())


def test_yaml_syntax_error_names_the_line(tmp_path):
    (tmp_path / "a.yaml").write_text("items:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"a.yaml:\d+"):
        load_items(tmp_path)


def test_calibration_replaces_parameters_and_rejects_unknown_items():
    bank = load_bundled_items()
    first, second = bank.items[0].id, bank.items[1].id
    updated = apply_calibration(bank, {first: {"a": 0.9, "b": -2.1}})
    assert updated.item(first).irt.a == 0.9
    assert updated.item(first).irt.c == bank.item(first).irt.c
    assert updated.item(second).irt == bank.item(second).irt
    with pytest.raises(ContentError, match="unknown item 'Z-9'"):
        apply_calibration(bank, {"Z-9": {"a": 1.0, "b": 0.0}})


MEASURES = """\
competence: C01
items:
  - id: C01-e2-01
    level: 2
    stem: Which statement is measured?
    options: [one, two, three, four]
    answer: b
    explanation: Because.
    measures: K3
    source: "A real document, 2015"
  - id: C01-e2-02
    level: 2
    stem: A question
    options: [one, two, three, four]
    answer: b
    explanation: Because.
    measures: K9
  - id: C01-e2-03
    level: 2
    stem: A question
    options: [one, two, three, four]
    answer: b
    explanation: Because.
    measures: X1
"""


def test_measures_names_a_statement_of_the_items_competence(tmp_path):
    file = tmp_path / "C01.yaml"
    file.write_text(MEASURES.split("  - id: C01-e2-02")[0], encoding="utf-8")
    item = load_items(file, catalogue=load_bundled()).item("C01-e2-01")
    assert item.measures == "K3"
    assert item.source == "A real document, 2015"
    file.write_text(MEASURES, encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_items(file, catalogue=load_bundled())
    errors = info.value.errors
    assert len(errors) == 2
    assert errors[0].endswith(
        "C01.yaml:17: items[1].measures: K9 names knowledge statement 9 of C01, which has 3"
    )
    assert "C01.yaml:24: items[2].measures: measures must be K, S or A" in errors[1]


BROKEN = """\
competence: C01
items:
  - id: C01-x-01
    level: 2
    stem: Options are not a list
    options: one, two, three, four
    answer: a
    explanation: Because.
  - id: C01-x-02
    level: 2
    stem: The key is not among the options
    options: [one, two, three, four]
    answer: f
    explanation: Because.
  - id: C01-x-03
    stem: The level is missing
    options: [one, two, three, four]
    answer: b
    explanation: Because.
  - id: C01-x-04
    level: 3
    stem: The statement does not exist
    options: [one, two, three, four]
    answer: c
    explanation: Because.
    measures: A7
  - id: C01-x-05
    level: 3
    stem: An option is empty
    options: [one, two, "", four]
    answer: d
    explanation: Because.
  - id: C01-x-06
    level: 1
    stem: A sound item in a broken file
    options: [one, two, three, four]
    answer: a
    explanation: Because.
"""


def test_every_problem_of_an_item_file_is_reported_at_once_and_nothing_loads(tmp_path):
    (tmp_path / "C01.yaml").write_text(BROKEN, encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_items(tmp_path, catalogue=load_bundled())
    errors = info.value.errors
    assert [e.split(": ", 2)[:2] for e in errors] == [
        ["C01.yaml:6", "items[0].options"],
        ["C01.yaml:13", "items[1].answer"],
        ["C01.yaml:15", "items[2].level"],
        ["C01.yaml:26", "items[3].measures"],
        ["C01.yaml:30", "items[4].options[2].en"],
    ]
    assert "valid list" in errors[0]
    assert "answer 'f' is not one of the 4 options" in errors[1]
    assert errors[2].endswith("required field is missing")
    assert errors[3].endswith("A7 names attitudes statement 7 of C01, which has 2")


def _bank_folder(tmp_path: Path, english: str, greek: str | None = None) -> Path:
    folder = tmp_path / "items"
    folder.mkdir(parents=True)
    (folder / "C01.yaml").write_text(english, encoding="utf-8")
    if greek is not None:
        (folder / "el").mkdir()
        (folder / "el" / "C01.yaml").write_text(greek, encoding="utf-8")
    return folder


_ENGLISH = """\
competence: C01
items:
  - id: X-1
    level: 1
    stem: Which one?
    options: [First, Second, Third, Fourth]
    answer: b
    explanation: Because.
"""


def test_translations_beside_the_english_file_are_read(tmp_path: Path) -> None:
    greek = """\
language: el
items:
  X-1:
    stem: Ποιο;
    options: [Πρώτο, Δεύτερο, Τρίτο, Τέταρτο]
    explanation: Επειδή.
"""
    bank = load_items(_bank_folder(tmp_path, _ENGLISH, greek))
    shown = bank.item("X-1").render("el")
    assert shown["stem"] == "Ποιο;"
    assert shown["options"][1] == "Δεύτερο"
    assert bank.item("X-1").render("de")["stem"] == "Which one?"


def test_a_translation_of_an_unknown_item_or_twice_is_refused_with_its_line(
    tmp_path: Path,
) -> None:
    greek = """\
language: el
items:
  X-9:
    stem: Ποιο;
"""
    with pytest.raises(ContentError) as caught:
        load_items(_bank_folder(tmp_path, _ENGLISH, greek))
    assert any("el/C01.yaml:3" in e and "'X-9'" in e for e in caught.value.errors)

    inline = _ENGLISH + "    translations: {el: {stem: Ποιο;}}\n"
    greek = "language: el\nitems:\n  X-1: {stem: Ποιο;}\n"
    with pytest.raises(ContentError) as caught:
        load_items(_bank_folder(tmp_path / "second", inline, greek))
    assert any("el/C01.yaml:3" in e and "also translated" in e for e in caught.value.errors)
