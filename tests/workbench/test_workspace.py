"""The bundled demo city is loaded and exercised end to end, with fixed inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from crisis.exceptions import ContentError
from crisis.workbench import (
    action_plan,
    demo_workspace,
    essential_scores,
    load_workspace,
    rank,
    risk_matrix,
    sensitivity,
)


def test_demo_city_is_complete() -> None:
    demo = demo_workspace()
    register = demo.hazard_register
    assert register.city == "Portavera"
    assert len(register.hazards) == 13
    assert sum(bool(h.combines) for h in register.hazards) == 1
    assert any(h.taxonomy_id is None for h in register.hazards)
    assert {h.category for h in register.hazards} >= {"natural", "technological", "cyber"}
    scoring = demo.latest_round("preliminary")
    assert scoring is not None and len(scoring.answers) == 45
    result = demo.weights()
    assert result is not None and result.consistent


def test_demo_city_runs_through_every_step() -> None:
    demo = demo_workspace()
    register = demo.hazard_register
    weights = demo.criteria_weights()
    ranking = rank(register, weights)
    assert len(ranking) == 13 and ranking[0].risk >= ranking[-1].risk
    assert len(sensitivity(register, weights)) == 5
    assert len(risk_matrix(register).entries) == 26
    scores = essential_scores(demo.rounds[0])
    assert all(0 <= s.percent <= 100 for s in scores)
    assert action_plan(demo.rounds[0], register=register)


def test_a_workspace_file_error_names_file_and_line(tmp_path: Path) -> None:
    data = demo_workspace().model_dump(mode="json", exclude_none=True)
    data["register"]["hazards"][1]["most_severe"]["likelihood"] = {"annual_probability": 2}
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_workspace(path)
    message = str(info.value)
    assert re.match(r"city\.yaml:\d+: register\.hazards\[1\]\.most_severe\.likelihood", message)
    assert "got 2" in message


def test_inconsistent_judgements_are_refused_when_impossible(tmp_path: Path) -> None:
    data = demo_workspace().model_dump(mode="json", exclude_none=True)
    data["pairwise"][0][1] = 0  # not positive
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ContentError, match=r"cell \(1, 2\) \[people vs economy\]"):
        load_workspace(path)


#: The demo's judgements as saved before the AHP weighed impact only: likelihood first.
LEGACY_PAIRWISE = [
    [1, "1/2", 2, 3, 1, 2],
    [2, 1, 3, 4, 2, 3],
    ["1/2", "1/3", 1, 2, "1/2", 1],
    ["1/3", "1/4", "1/2", 1, "1/3", "1/2"],
    [1, "1/2", 2, 3, 1, 2],
    ["1/2", "1/3", 1, 2, "1/2", 1],
]


def test_a_workspace_saved_with_likelihood_among_the_criteria_still_loads(tmp_path: Path) -> None:
    data = demo_workspace().model_dump(mode="json", exclude_none=True)
    data["pairwise"] = LEGACY_PAIRWISE
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    old = load_workspace(path)
    # The likelihood row and column are dropped; the impact judgements are kept as they were.
    assert old.pairwise is not None and len(old.pairwise) == 5
    from fractions import Fraction

    assert [[Fraction(str(c)) for c in row] for row in old.pairwise] == [
        [Fraction(str(c)) for c in row[1:]] for row in LEGACY_PAIRWISE[1:]
    ]
    weights = old.weights()
    assert weights is not None and weights.criteria == (
        "people", "economy", "environment", "infrastructure", "society",
    )  # fmt: skip
    assert weights.weight_map()["people"] > weights.weight_map()["environment"]
    assert old.criteria_weights() == pytest.approx(demo_workspace().criteria_weights())


def test_a_stored_snapshot_from_before_loads(tmp_path: Path) -> None:
    import json

    from crisis.workbench.history import restore

    data = demo_workspace().model_dump(mode="json")
    data["pairwise"] = LEGACY_PAIRWISE
    for hazard in data["register"]["hazards"]:
        del hazard["combines"]  # the field did not exist
    old = restore(json.dumps(data))
    assert len(old.pairwise or ()) == 5 and all(not h.combines for h in old.hazard_register.hazards)
