"""Unit files: the bundled units, every problem with file:line, safe rendering, translations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crisis.competences import load_bundled
from crisis.courses import bundled_course, load_units, render_markdown
from crisis.courses.loader import MIN_LESSON_WORDS, assemble, bundled_references
from crisis.courses.units import BLOCKS, TASKS, ExerciseActivity, QuizActivity, WorkbenchActivity
from crisis.exceptions import ContentError
from crisis.exercises.library import load_bundled as bundled_exercises
from tests.courses.units_fixture import UNITS

CATALOGUE = load_bundled()
COURSE = bundled_course()
REFS = bundled_references()
MOOC = [m.id for m in CATALOGUE.curriculum.modules if m.id.startswith("M")]
#: A unit file of the test's own (a quiz on C01 and C11), mutated to make broken ones.
GOOD = UNITS["M01-1.md"]


QUIZ_C01_L1 = QuizActivity(kind="quiz", competences=["C01"], max_level=1, questions=3, pass_share=1)


def _words(text: str) -> int:
    return len(text.split())


@pytest.mark.parametrize("module_id", COURSE.modules())
def test_each_module_with_units_has_three_to_six_complete_units(module_id: str) -> None:
    units = COURSE.of_module(module_id)
    assert 3 <= len(units) <= 6
    assert [u.number for u in units] == list(range(1, len(units) + 1))
    module = CATALOGUE.module(module_id)
    minutes = sum(u.minutes for u in units)
    assert abs(minutes - module.hours * 60) <= 0.15 * module.hours * 60
    assert any(isinstance(u.activity, QuizActivity) for u in units)
    covered = {o for u in units for o in u.outcomes}
    assert covered == {o.id for o in module.outcomes}


@pytest.mark.parametrize("unit_id", sorted(COURSE.units))
def test_each_bundled_unit_has_its_blocks_and_a_real_activity(unit_id: str) -> None:
    unit = COURSE.units[unit_id]
    assert set(unit.text.blocks) == set(BLOCKS)
    assert _words(unit.text.blocks["lesson"]) >= MIN_LESSON_WORDS
    assert 200 <= _words(unit.text.blocks["case"]) <= 450
    assert 60 <= _words(unit.text.blocks["activity"]) <= 200
    questions = re.findall(r"^\s*\d+\.", unit.text.blocks["reflection"], re.M)
    assert 1 <= len(questions) <= 3
    activity = unit.activity
    if isinstance(activity, QuizActivity):
        known = {c.id for c in CATALOGUE.framework.competences}
        assert set(activity.competences) <= known
        assert REFS.pool(activity) >= activity.questions
    elif isinstance(activity, ExerciseActivity):
        assert activity.exercise in {e.id for e in bundled_exercises()}
    else:
        assert isinstance(activity, WorkbenchActivity) and activity.task in TASKS
    # No raw HTML and no links out: the units work offline.
    for block in unit.text.blocks.values():
        assert "<" not in block and "http" not in block


def test_all_twenty_modules_have_units() -> None:
    """The merge gate: every module of the open course has its units (3–6 each)."""
    missing = [m for m in MOOC if not COURSE.of_module(m)]
    assert missing == [], f"modules without units: {', '.join(missing)}"
    assert len(MOOC) == 20


def _files(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _problems(folder: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_units(folder)
    return caught.value.errors


def test_every_problem_of_every_file_is_listed_with_its_line(tmp_path: Path) -> None:
    lines = GOOD.splitlines()
    reflection = lines.index("::: reflection") + 1
    broken_module = GOOD.replace("module: M01", "module: M99").replace("id: M01-1", "id: M99-1")
    files = {
        # Front-matter YAML that does not parse.
        "M01-2.md": GOOD.replace("id: M01-1", "id: M01-2").replace(
            "title: The city", "title: [The city"
        ),
        # An outcome the module does not have, a quiz on a competence that does not exist,
        # and a missing block.
        "M01-3.md": GOOD.replace("id: M01-1", "id: M01-3")
        .replace("outcomes: [M01.1]", "outcomes: [M01.7]")
        .replace("competences: [C01, C11]", "competences: [C01, C99]")
        .replace("::: reflection", "::: afterthoughts"),
        # A module the curriculum does not have.
        "M99-1.md": broken_module,
        # An exercise that does not exist.
        "M01-4.md": GOOD.replace("id: M01-1", "id: M01-4").replace(
            "activity:\n  kind: quiz\n  competences: [C01, C11]\n  max_level: 2\n  questions: 5\n"
            "  pass: 0.8",
            "activity:\n  kind: exercise\n  exercise: volcano",
        ),
        # A front-matter that fails validation still has its references checked.
        "M01-5.md": UNITS["M01-2.md"]
        .replace("id: M01-2", "id: M01-5")
        .replace("outcomes: [M01.2]", "outcomes: [M01.8]")
        .replace("task: register", "task: painting"),
        # A translation of a unit that does not exist, and one in a language CRISIS lacks.
        "M01-9.el.md": "---\ntitle: Τίτλος\ncase: Υπόθεση\n---\n"
        + "".join(f"::: {b}\nΚείμενο.\n:::\n" for b in BLOCKS),
        "M01-1.fr.md": "---\ntitle: Titre\ncase: Cas\n---\n",
    }
    problems = _problems(_files(tmp_path, **files))
    joined = "\n".join(problems)
    assert re.search(r"M01-2\.md:[45]: invalid YAML", joined)
    assert "M01-3.md:5: outcome 'M01.7' is not an outcome of module M01" in joined
    assert f"M01-3.md:{reflection}: unknown block 'afterthoughts'" in joined
    assert "block 'reflection' is missing" in joined
    assert "activity.competences: 'C99' is not a competence" in joined
    assert "M99-1.md:3: module 'M99' is not in the curriculum" in joined
    assert "activity.exercise: there is no exercise 'volcano'" in joined
    assert "M01-9.el.md:1: there is no English unit M01-9" in joined
    assert "M01-5.md:8: activity.workbench.task" in joined and "(got 'painting')" in joined
    assert "M01-5.md:5: outcome 'M01.8' is not an outcome of module M01" in joined
    assert "M01-1.fr.md:1: 'fr' is not a language of CRISIS" in joined


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.replace("---\n", "", 1), "M01-1.md:1: the file must start with a line '---'"),
        (lambda s: s.replace("\n---\n", "\n", 1), "front-matter is not closed"),
        (
            lambda s: s.replace("minutes: 80", "minutes: lots"),
            "minutes: Input should be a valid integer",
        ),
        (lambda s: s.replace("questions: 5", "questions: 40"), "activity.quiz.questions"),
        (
            lambda s: (
                s.replace("competences: [C01, C11]", "competences: [C01]")
                .replace("max_level: 2", "max_level: 1")
                .replace("questions: 5", "questions: 10")
            ),
            f"the item bank has {REFS.pool(QUIZ_C01_L1)} item(s) for C01 up to level 1, fewer "
            "than the 10 questions asked",
        ),
        (lambda s: s.replace("kind: quiz", "kind: essay"), "activity"),
        (lambda s: s.replace("id: M01-1", "id: M02-1"), "must be the module id and a number"),
        (lambda s: s + "stray text\n", "text outside a block"),
        (lambda s: s.replace("::: case\n", "::: case\n::: lesson\n", 1), "opens inside block"),
        (lambda s: s.replace("title: The city as a system of systems\n", ""), "title: required"),
        (lambda s: s.replace("case: The 2003", "cases: The 2003"), "unknown field"),
    ],
)
def test_a_broken_unit_is_refused_with_its_place(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    problems = _problems(_files(tmp_path, **{"M01-1.md": change(GOOD)}))
    assert any(message in p for p in problems), problems
    assert all(p.startswith("M01-1.md:") for p in problems), problems


def test_blocks_must_come_in_order_and_once(tmp_path: Path) -> None:
    swapped = (
        GOOD.replace("::: case", "::: CASE")
        .replace("::: lesson", "::: case")
        .replace("::: CASE", "::: lesson")
    )
    problems = _problems(_files(tmp_path, **{"M01-1.md": swapped}))
    assert any("they must come as lesson, case, activity, reflection" in p for p in problems)
    twice = GOOD + "\n::: case\nAgain.\n:::\n"
    problems = _problems(_files(tmp_path, **{"M01-1.md": twice}))
    assert any("block 'case' appears twice" in p for p in problems)


def test_hostile_markdown_renders_as_text() -> None:
    html = render_markdown(
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[a](javascript:alert(1)) [b](data:text/html,x) ![c](http://example.org/p.png)\n\n"
        "| a | b |\n| - | - |\n| 1 | 2 |"
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert 'href="javascript:' not in html and 'href="data:' not in html
    assert "<table>" in html and '<td data-label="a">1</td>' in html


def test_long_tables_carry_labels_for_narrow_screens() -> None:
    """A table of long text is marked ``stacked`` and its cells carry their column's heading
    (escaped), so that a phone shows each row as a labelled block; a small table is not."""
    long = render_markdown(
        '| term | the "question" <it> answers |\n| - | - |\n'
        "| exposure | who and what is in its way, and how much of the city depends on it? |"
    )
    assert '<table class="stacked">' in long
    assert '<td data-label="the &quot;question&quot; &lt;it&gt; answers">' in long
    assert "<it>" not in long
    small = render_markdown("| class | hours |\n| - | - |\n| 1 | under 3 |")
    assert "<table>" in small and '<td data-label="hours">under 3</td>' in small
    wide = render_markdown("| a | b | c | d |\n| - | - | - | - |\n| 1 | 2 | 3 | 4 |")
    assert '<table class="stacked">' in wide


def test_translations_load_and_missing_ones_are_listed(tmp_path: Path) -> None:
    greek = (
        "---\ntitle: Η πόλη ως σύστημα συστημάτων\n"
        "case: Το μπλακ-άουτ του 2003 στην Ιταλία\n---\n\n"
        + "\n\n".join(f"::: {b}\nΚείμενο.\n:::" for b in BLOCKS)
        + "\n"
    )
    course = load_units(_files(tmp_path, **{"M01-1.md": GOOD, "M01-1.el.md": greek}))
    unit = course.units["M01-1"]
    text, translated = unit.in_language("el")
    assert translated and text.title.startswith("Η πόλη")
    text, translated = unit.in_language("de")
    assert not translated and text.lang == "en"
    assert course.missing_translations() == [("M01-1", "de"), ("M01-1", "pt")]
    assert course.translation_files() == [("M01-1", "el", "M01-1.el.md")]
    extra = greek.replace("title:", "id: M01-1\ntitle:")
    problems = _problems(_files(tmp_path, **{"M01-1.el.md": extra}))
    assert any("a translation has only 'title' and 'case'" in p for p in problems)


def test_units_can_be_added_to_the_bundled_ones() -> None:
    bundled = [u.id for u in COURSE.of_module("M01")]
    new = f"M01-{len(bundled) + 1}"
    added = GOOD.replace("id: M01-1", f"id: {new}")
    course = assemble([(f"{new}.md", added)], REFS, origin="authored", base=COURSE)
    assert [u.id for u in course.of_module("M01")] == [*bundled, new]
    assert course.units[new].origin == "authored"
    assert course.units["M01-1"].origin == "bundled"
    assert any("units add up to" in p for p in course.guideline_problems(CATALOGUE))
