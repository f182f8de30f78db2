from __future__ import annotations

import pytest

from crisis.exceptions import ContentError, FormatError
from crisis.exercises import (
    bundled,
    check_against_city,
    dump_exercise,
    load_bundled,
    parse_exercise,
)
from crisis.exercises.models import LANGUAGES
from crisis.simulation.city import City

FLOOD = next(e for e in load_bundled() if e.id == "river-flood")


def test_library_has_the_five_hazard_families() -> None:
    kinds = {h["kind"] for e in load_bundled() for h in e.hazards}
    assert {"flood", "earthquake", "heatwave", "blackout", "epidemic", "cyber"} <= kinds
    assert len(load_bundled()) >= 5


@pytest.mark.parametrize("exercise", load_bundled(), ids=lambda e: e.id)
def test_bundled_exercise_is_complete(exercise, city: City) -> None:  # type: ignore[no-untyped-def]
    assert check_against_city(exercise, city) == []
    texts = [exercise.title, exercise.briefing, *(m.title for m in exercise.measures)]
    texts += [o.text for o in exercise.objectives]
    texts += [i.text for i in exercise.injects]
    texts += [o.label for i in exercise.injects for o in i.options]
    for text in texts:
        assert text.missing() == [], text.en
    # Readable in two minutes: at most about 220 words at a slow reading pace.
    assert len(exercise.briefing.en.split()) <= 220
    assert all(exercise.briefing.get(lang) for lang in LANGUAGES)


def test_export_then_import_gives_the_same_exercise() -> None:
    text = dump_exercise(FLOOD)
    assert parse_exercise(text, "copy.yaml") == FLOOD


def test_errors_name_file_and_line() -> None:
    text = dump_exercise(FLOOD).replace("kind: raise", "kind: moat")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "kind: moat" in t)
    with pytest.raises(ContentError) as caught:
        parse_exercise(text, "mine.yaml")
    message = str(caught.value)
    assert message.startswith("mine.yaml:")
    assert "moat" in message and "not offered" in message
    # The error points at the measure's mapping, a line or two above the bad kind.
    reported = int(message.split(":")[1])
    assert line - 3 <= reported <= line


def test_unknown_competence_and_bad_hazard_are_named() -> None:
    text = dump_exercise(FLOOD).replace("competence: C11", "competence: C99")
    with pytest.raises(ContentError, match=r"mine.yaml:\d+: objectives\[0\].competence: 'C99'"):
        parse_exercise(text, "mine.yaml")
    text = dump_exercise(FLOOD).replace("return_period: 100.0", "return_period: -3")
    with pytest.raises(ContentError, match=r"mine.yaml:\d+: hazards.*return_period"):
        parse_exercise(text, "mine.yaml")


def test_malformed_files_are_refused() -> None:
    with pytest.raises(FormatError, match=r"bad.yaml:\d: invalid YAML"):
        parse_exercise("id: x\ntitle: [unclosed\n", "bad.yaml")
    with pytest.raises(FormatError, match="not valid UTF-8"):
        parse_exercise(b"\xff\xfe", "bad.yaml")
    with pytest.raises(ContentError, match=r"bad.yaml:1: expected a mapping"):
        parse_exercise("- 1\n- 2\n", "bad.yaml")


def test_an_inject_objective_must_be_one_of_the_exercises() -> None:
    flood = bundled("river-flood")
    assert flood is not None
    text = dump_exercise(flood).replace("objective: C13", "objective: C07", 1)
    with pytest.raises(ContentError, match=r"mine.yaml:\d+: injects\[1\].objective: 'C07' is not"):
        parse_exercise(text, "mine.yaml")
