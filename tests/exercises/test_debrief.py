from __future__ import annotations

import numpy as np
import pytest
import yaml

from crisis.exercises import bundled, eligible, load_bundled, run_exercise, run_exercise_job
from crisis.exercises.debrief import cause_tree, why_nothing
from crisis.exercises.evidence import evidence_for_run, level_of
from crisis.exercises.library import dump_exercise
from crisis.exercises.models import Exercise
from crisis.exercises.scenarios import ScenarioSet
from crisis.simulation.city import City

GOOD_PLAN = [
    {"measure": "barrier", "asset": "bus-147"},
    {"measure": "raise", "asset": "bus-140"},
    {"measure": "power-crews"},
]


def test_a_good_plan_beats_doing_nothing_on_the_same_scenarios(city: City) -> None:
    flood = bundled("river-flood")
    assert flood is not None
    debrief = run_exercise(flood, GOOD_PLAN, n_scenarios=50, seed=5, city=city)
    score = debrief["score"]
    assert score["beats_nothing"] and score["benefit_low"] > 0
    assert score["scenarios_worse"] == 0  # common random numbers: a plan never hurts here
    assert score["score"] == round(100 * score["benefit"] / score["benefit_optimiser"])
    assert score["cost"] == 90_000 + 100_000 + 240_000
    assert len(debrief["curves"]["plan"]) == debrief["horizon"]
    assert sum(debrief["distribution"]["counts"]["nothing"]) == 50
    bought = {m["measure"]: m["benefit"] for m in debrief["measures"]}
    assert bought["power-crews"] > 0
    story = debrief["timeline"]
    assert story["nothing"]["spans"] and story["nothing"]["chains"]
    # The causal chain as a tree: services lost at the root, the flood's damage at a leaf.
    chain = story["nothing"]["chains"][0]
    assert len(chain["lines"]) == len(set(chain["lines"]))

    def kinds(nodes):  # type: ignore[no-untyped-def]
        return [n["kind"] for n in nodes] + [k for n in nodes for k in kinds(n["children"])]

    assert {n["kind"] for n in chain["tree"]} == {"service"}
    assert "hit" in kinds(chain["tree"])
    # Outcomes a council asks about: people without power, hours, euros, lives.
    runs = debrief["outcomes"]["runs"]
    power = runs["nothing"]["services"]["power"]
    assert power["peak"] > 0 and power["t90"] > 0
    assert runs["plan"]["services"]["power"]["people_hours"] < power["people_hours"]
    assert 0 < runs["plan"]["damage_eur"] < runs["nothing"]["damage_eur"]
    assert (
        runs["nothing"]["fatalities"] > 0
        and "river flood" in debrief["outcomes"]["fatality_assumption"]
    )
    with_warning = run_exercise(flood, [{"measure": "warning"}], n_scenarios=20, seed=5, city=city)[
        "outcomes"
    ]["runs"]
    assert with_warning["plan"]["fatalities"] == pytest.approx(
        with_warning["nothing"]["fatalities"] / 2
    )
    assert sum(story["nothing"]["failures"]) >= len({s[0] for s in story["nothing"]["spans"]})


def test_empty_plan_scores_zero_and_does_not_beat_nothing(city: City) -> None:
    flood = bundled("river-flood")
    assert flood is not None
    debrief = run_exercise(flood, [], n_scenarios=20, city=city)
    assert debrief["score"]["score"] == 0 and not debrief["score"]["beats_nothing"]


@pytest.mark.slow
@pytest.mark.parametrize("exercise", load_bundled(), ids=lambda e: e.id)
def test_every_bundled_exercise_runs_as_a_job(exercise: Exercise) -> None:
    seen: list[float] = []
    params = {"exercise": yaml.safe_load(dump_exercise(exercise)), "plan": [], "scenarios": 20}
    debrief = run_exercise_job(params, seen.append)
    assert debrief["exercise"] == exercise.id and seen[-1] == 1.0
    assert debrief["score"]["benefit_optimiser"] >= 0
    # Deaths only where the hazard model relates them to intensity (floods).
    flood = all(h["kind"] == "flood" for h in exercise.hazards)
    assert ("fatalities" in debrief["outcomes"]["runs"]["nothing"]) == flood


def test_evidence_levels_follow_the_score() -> None:
    flood = bundled("river-flood")
    assert flood is not None
    records = evidence_for_run(flood, 80).records()
    assert [r.competence for r in records] == ["C11", "C13", "C18"]
    assert records[0].level == pytest.approx(level_of(80)) == pytest.approx(3.4)
    assert level_of(-5) == 1.0 and level_of(150) == 4.0


def test_a_measure_that_bought_nothing_says_why(city: City) -> None:
    flood = bundled("river-flood")
    assert flood is not None
    exposure = ScenarioSet(flood.hazards, 50, flood.seed).impact(city)
    rows = np.flatnonzero(eligible(city, flood.measure("barrier")))
    hits = exposure.damaged[rows].sum(axis=1)
    dry = city.ids[int(rows[np.argmin(hits)])]
    assert hits.min() == 0
    assert why_nothing(flood, city, "barrier", dry, exposure) == {"reason": "never_hit"}
    # Where the water always stands above 1.5 m, a 1.5 m barrier is overtopped.
    depth = np.where(exposure.damaged, exposure.intensity, np.inf)[rows].min(axis=1)
    deep = int(rows[np.argmax(np.where(hits > 0, depth, -1.0))])
    why = why_nothing(flood, city, "barrier", city.ids[deep], exposure)
    assert why["reason"] == "overtopped" and why["height"] == 1.5 and why["depth"] > 1.5
    # In a run, such a barrier shows its reason beside its zero benefit.
    debrief = run_exercise(flood, [{"measure": "barrier", "asset": dry}], n_scenarios=20, city=city)
    (bought,) = debrief["measures"]
    assert bought["benefit"] == 0 and bought["why"]["reason"] == "never_hit"


def test_the_chain_text_becomes_a_tree() -> None:
    lines = [
        "District D01 had 18% of its power 00:00–39:00",
        "  ← substation bus-153 cut off from every source since 00:00: path blocked at bus-172",
        "    ← substation bus-172 damaged by flood (depth 3.26 m); repaired at 10:00",
        "District D01 lost water 15:00–35:00",
    ]
    tree = cause_tree(lines)
    assert [n["kind"] for n in tree] == ["service", "service"]
    (cut,) = tree[0]["children"]
    assert cut["kind"] == "cut" and cut["text"].startswith("substation bus-153")
    assert cut["children"][0]["kind"] == "hit" and tree[1]["children"] == []
