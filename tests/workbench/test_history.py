"""Snapshots, differences between versions, and exact restore."""

from __future__ import annotations

import datetime as dt

import pytest

from crisis.exceptions import ContentError, FormatError
from crisis.workbench.history import diff, new_version, restore, snapshot
from crisis.workbench.register import parse_hazard, save_hazard
from crisis.workbench.scorecard import Answer
from crisis.workbench.workspace import Workspace

from .conftest import hazard_data


def _edited(demo: Workspace) -> Workspace:
    register = demo.hazard_register
    quake = register.get("earthquake")
    severe = quake.most_severe.model_copy(
        update={"impacts": quake.most_severe.impacts.model_copy(update={"people": 4})}
    )
    register = save_hazard(register, quake.model_copy(update={"most_severe": severe}),
                           expected_version=quake.version)  # fmt: skip
    register = save_hazard(
        register, parse_hazard(hazard_data("sinkhole", (0.05, [1] * 5), (0.01, [2] * 5))),
        expected_version=None,
    )  # fmt: skip
    hazards = tuple(h for h in register.hazards if h.id != "drought")
    register = register.model_copy(update={"hazards": hazards})
    scoring = demo.rounds[0]
    answers = {**scoring.answers, "P3.2": Answer(score=2, evidence="Reserve fund created")}
    rounds = (scoring.model_copy(update={"answers": answers}),)
    return demo.model_copy(update={"hazard_register": register, "rounds": rounds})


def test_restore_gives_back_the_earlier_state_byte_for_byte(demo: Workspace) -> None:
    earlier = snapshot(demo)
    later = _edited(demo)
    assert snapshot(later) != earlier
    restored = restore(earlier)
    assert restored == demo
    assert snapshot(restored).encode("utf-8") == earlier.encode("utf-8")


def test_snapshots_are_canonical(demo: Workspace) -> None:
    text = snapshot(demo)
    assert text == snapshot(restore(text))
    assert "\n" not in text and ": " not in text.split('"description"')[0]
    assert "Σ" not in text  # the demo is English; non-ASCII would be kept as is
    assert restore(snapshot(_edited(demo))) == _edited(demo)


def test_diff_lists_changes_per_hazard_and_per_round(demo: Workspace) -> None:
    changes = diff(demo, _edited(demo))
    assert changes.hazards_added == ["sinkhole"]
    assert changes.hazards_removed == ["drought"]
    assert changes.hazards_changed == {
        "earthquake": [
            {"field": "most_severe.impacts.people", "before": 5, "after": 4},
            {"field": "version", "before": 1, "after": 2},
        ]
    }
    assert changes.rounds_changed["Baseline 2026"] == [
        {"field": "answers.P3.2.evidence", "before": "", "after": "Reserve fund created"},
        {"field": "answers.P3.2.score", "before": 0, "after": 2},
    ]
    assert changes.other == []
    assert diff(demo, demo).empty
    assert not changes.empty


def test_versions_carry_author_time_and_digest(demo: Workspace) -> None:
    at = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    first = new_version(demo, number=1, author="maria", message="baseline", saved_at=at)
    again = new_version(restore(first.snapshot), number=2, author="nikos", saved_at=at)
    assert first.digest == again.digest
    assert new_version(_edited(demo), number=3, author="maria").digest != first.digest


def test_restore_rejects_broken_snapshots() -> None:
    with pytest.raises(FormatError, match="not JSON"):
        restore("{broken")
    with pytest.raises(ContentError) as info:
        restore('{"name": "x"}')
    assert str(info.value) == "register: required field is missing"
