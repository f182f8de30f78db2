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
    assert len(register.hazards) == 12
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
    assert len(ranking) == 12 and ranking[0].score >= ranking[-1].score
    assert len(sensitivity(register, weights)) == 6
    assert len(risk_matrix(register).entries) == 24
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
    with pytest.raises(ContentError, match=r"cell \(1, 2\) \[likelihood vs people\]"):
        load_workspace(path)
