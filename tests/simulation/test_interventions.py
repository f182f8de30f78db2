"""Interventions, plan comparison on common random numbers, and the greedy optimiser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crisis.exceptions import SimulationError
from crisis.simulation.city import SERVICES, City
from crisis.simulation.comparison import compare
from crisis.simulation.generate import generate_city
from crisis.simulation.hazards import Impact
from crisis.simulation.interventions import apply_plan, as_plan, plan_cost, read_plan
from crisis.simulation.optimise import candidates, optimise
from crisis.simulation.recovery import simulate

FLOOD = {"kind": "flood", "return_period": 100}


def test_each_kind_changes_the_city_and_leaves_the_original(small_city: City) -> None:
    plan = [
        {"kind": "harden", "assets": ["S1"], "factor": 2},
        {"kind": "flood_protect", "assets": ["S2"], "height_m": 1.2},
        {"kind": "raise", "assets": ["L1"], "metres": 0.5},
        {"kind": "backup", "assets": ["H"], "hours": 24},
        {"kind": "redundant_feed", "asset": "P", "member": "S1"},
        {"kind": "crews", "sector": "power", "local": 2},
        {"kind": "segmentation", "assets": ["P"]},
        {"kind": "early_warning", "hours": 12},
    ]
    new = apply_plan(small_city, plan)
    i = small_city.index
    assert new.fragility_median[i["S1"], 1] == 2 * small_city.fragility_median[i["S1"], 1]
    assert new.flood_protection[i["S2"]] == 1.2 and small_city.flood_protection[i["S2"]] == 0
    assert new.elevation[i["L1"]] == small_city.elevation[i["L1"]] + 0.5
    assert new.backup_hours[i["H"]] == 24 and small_city.backup_hours[i["H"]] == 0
    assert [new.ids[m] for m in new.members_of(new.groups_of(i["P"])[0])] == ["S2", "S1"]
    assert new.crews["power"].local == 3 and small_city.crews["power"].local == 1
    assert new.segmented[i["P"]] and new.warning_hours == 12
    assert [p.describe() for p in as_plan(plan)][:2] == [
        "harden S1 (fragility medians × 2)",
        "flood barrier 1.2 m at S2",
    ]
    # 150k + 60k·1.2 + 100k·0.5 + 1.5k·24 + 250k + 2·120k + 30k + 400k
    assert plan_cost(small_city, plan) == pytest.approx(1_228_000)


def test_redundant_feed_keeps_the_pump_running(small_city: City) -> None:
    # S2 is flooded for 5 h and L2 takes 30 h: with a second feed from S1, P keeps water up.
    damaged = np.zeros((small_city.n_assets, 1), dtype=bool)
    damaged[small_city.index["L2"]] = True
    impact = Impact.from_dense(damaged, np.where(damaged, 30.0, 0.0))
    water = SERVICES.index("water")
    before = simulate(small_city, impact, horizon=48).served[water, :, 0]
    fed = apply_plan(small_city, [{"kind": "redundant_feed", "asset": "P", "member": "S1"}])
    after = simulate(fed, impact, horizon=48).served[water, :, 0]
    assert before.min() == 0 and after.min() == 1


def test_plan_file_errors_name_line_and_field(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "interventions:\n  - kind: backup\n    assets: [H]\n  - kind: teleport\n    assets: [H]\n"
    )
    with pytest.raises(SimulationError, match=r"plan.yaml:4: field .kind. = .teleport. is not"):
        read_plan(plan)
    plan.write_text("interventions:\n  - kind: backup\n    assets: [H]\n    hours: -3\n")
    with pytest.raises(SimulationError, match=r"plan.yaml:2: field 'hours' = -3"):
        read_plan(plan)


def test_unknown_asset_in_a_plan_is_named(small_city: City) -> None:
    with pytest.raises(SimulationError, match="unknown asset 'Z9'"):
        apply_plan(small_city, [{"kind": "harden", "assets": ["Z9"]}])


def test_compare_uses_common_random_numbers_and_reports_a_ci() -> None:
    city = generate_city(800, rng=6)
    subs = [
        city.ids[i]
        for i in np.flatnonzero(
            np.isin(np.asarray(city.asset_class), ["substation", "primary substation"])
        )
    ]
    plan = [{"kind": "flood_protect", "assets": subs, "height_m": 5.0}]
    result = compare(city, plan, FLOOD, n_scenarios=20, seed=3, horizon=96)
    # Same scenarios: damage outside the protected substations is identical in both runs.
    assert (result.planned.damaged <= result.baseline.damaged).all()
    power = result.difference("eoh")["power"]
    assert power["mean"] > 0 and power["low"] <= power["mean"] <= power["high"]
    assert result.cost == pytest.approx(60_000 * 5 * len(subs))
    nothing = compare(
        city,
        [{"kind": "segmentation", "assets": subs[:1]}],
        FLOOD,
        n_scenarios=10,
        seed=3,
        horizon=48,
    )
    assert nothing.difference("eoh")["power"] == {"mean": 0, "low": 0, "high": 0, "annual": 0}


@pytest.mark.slow
def test_optimiser_spends_within_budget_on_what_helps() -> None:
    city = generate_city(600, rng=8)
    pool = candidates(city, FLOOD, seed=1, top=2)
    kinds = {item.kind for item in pool}  # type: ignore[attr-defined]
    assert {"flood_protect", "harden", "crews", "early_warning"} <= kinds
    proposal = optimise(
        city, FLOOD, budget=1_000_000, n_scenarios=10, seed=1, horizon=48, pool=pool
    )
    assert 0 < proposal.cost <= 1_000_000
    assert all(step.benefit > 0 for step in proposal.steps)
    assert proposal.baseline.n_scenarios == 10
