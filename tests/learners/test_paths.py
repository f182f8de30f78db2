"""The MILP path equals the exhaustive optimum; infeasible gaps are named."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.exceptions import ContentError, InfeasiblePathError
from crisis.learners.paths import PathPlanner, exhaustive_optimum, order_modules


def _random_instance(make_catalogue, rng):
    n_modules = int(rng.integers(4, 11))
    modules = []
    for k in range(n_modules):
        competences = rng.choice(8, size=int(rng.integers(1, 4)), replace=False)
        teaches = {f"C{c + 1:02d}": int(rng.integers(1, 5)) for c in competences}
        # Prerequisites only point backwards, so the graph is acyclic.
        prereq = [f"M{p + 1:02d}" for p in range(k) if rng.random() < 0.2]
        modules.append(
            {
                "id": f"M{k + 1:02d}",
                "hours": float(rng.integers(2, 13)),
                "teaches": teaches,
                "prerequisites": prereq,
            }
        )
    return make_catalogue(modules)


@pytest.mark.parametrize("seed", range(40))
def test_milp_path_equals_exhaustive_optimum(make_catalogue, seed):
    rng = np.random.default_rng(seed)
    catalogue = _random_instance(make_catalogue, rng)
    planner = PathPlanner(catalogue.curriculum)
    ids = planner.ids
    completed = [m for m in ids if rng.random() < 0.15]
    targets = {f"C{c:02d}": int(rng.integers(1, 5)) for c in range(1, 9) if rng.random() < 0.5}
    oracle = exhaustive_optimum(planner, targets, completed)
    if oracle is None:
        with pytest.raises(InfeasiblePathError):
            planner.choose(targets, completed)
        return
    chosen = planner.choose(targets, completed)
    cost = sum(catalogue.module(m).hours for m in chosen)
    assert cost == pytest.approx(oracle[0])
    # The chosen set itself is feasible: prerequisites in or done, every target reached.
    done = set(completed)
    assert not done & set(chosen)
    for m in chosen:
        assert set(catalogue.module(m).prerequisites) <= set(chosen) | done
    for cid, level in targets.items():
        assert any(
            o.competence == cid and o.level >= level
            for m in [*chosen, *completed]
            for o in catalogue.module(m).outcomes
        )


def test_prerequisite_is_pulled_in_even_when_dearer(small_catalogue):
    planner = PathPlanner(small_catalogue.curriculum)
    # C06 → 3 is taught only by M04, which needs M03.
    assert sorted(planner.choose({"C06": 3})) == ["M03", "M04"]
    assert planner.choose({"C06": 3}, completed=["M03"]) == ["M04"]


def test_completed_module_covers_its_outcomes(small_catalogue):
    planner = PathPlanner(small_catalogue.curriculum)
    assert planner.choose({"C08": 3, "C07": 2}, completed=["M05"]) == []


def test_ects_objective_can_choose_differently(make_catalogue):
    catalogue = make_catalogue(
        [
            {"id": "M01", "hours": 10, "ects": 1, "teaches": {"C01": 3}},
            {"id": "M02", "hours": 5, "ects": 4, "teaches": {"C01": 3}},
        ]
    )
    assert PathPlanner(catalogue.curriculum).choose({"C01": 3}) == ["M02"]
    assert PathPlanner(catalogue.curriculum, objective="ects").choose({"C01": 3}) == ["M01"]


def test_gap_beyond_the_curriculum_is_named(small_catalogue):
    planner = PathPlanner(small_catalogue.curriculum)
    with pytest.raises(InfeasiblePathError, match=r"C04 → level 4.*only up to level 3 \(M03\)"):
        planner.choose({"C01": 2, "C04": 4})


def test_gap_only_taught_by_completed_modules_is_explained(make_catalogue):
    catalogue = make_catalogue([{"id": "M01", "hours": 4, "teaches": {"C01": 2}}])
    planner = PathPlanner(catalogue.curriculum)
    with pytest.raises(InfeasiblePathError, match="no module of the curriculum teaches it"):
        planner.choose({"C02": 1})


def test_unknown_completed_module_is_an_error(small_catalogue):
    with pytest.raises(ContentError, match="'M99'"):
        PathPlanner(small_catalogue.curriculum).choose({"C01": 2}, completed=["M99"])


def test_forced_modules_need_no_solver(small_catalogue):
    planner = PathPlanner(small_catalogue.curriculum)
    # C04 → 3 is closed only by M03: forced, no MILP needed.
    assert planner.choose({"C04": 3}) == ["M03"]
    assert planner.solves == 0


def test_many_learners_are_solved_in_one_batch_with_shared_cache(small_catalogue):
    planner = PathPlanner(small_catalogue.curriculum)
    requests = [({"C05": 2}, []), ({"C05": 2}, []), ({"C05": 2, "C07": 1}, [])]
    chosen = planner.choose_many(requests)
    assert planner.solves == 1
    assert chosen == [["M03"], ["M03"], ["M03", "M05"]]


@pytest.mark.parametrize("seed", range(10))
def test_batch_equals_one_by_one(make_catalogue, seed):
    rng = np.random.default_rng(100 + seed)
    catalogue = _random_instance(make_catalogue, rng)
    requests = []
    for _ in range(12):
        targets = {f"C{c:02d}": int(rng.integers(1, 3)) for c in range(1, 9) if rng.random() < 0.4}
        requests.append((targets, []))
    single = PathPlanner(catalogue.curriculum)
    try:
        expected = [single.choose(t, c) for t, c in requests]
    except InfeasiblePathError:
        with pytest.raises(InfeasiblePathError, match="learner"):
            PathPlanner(catalogue.curriculum).choose_many(requests)
        return
    batched = PathPlanner(catalogue.curriculum).choose_many(requests)
    cost = {m.id: m.hours for m in catalogue.curriculum.modules}
    assert [sum(cost[m] for m in p) for p in batched] == [sum(cost[m] for m in p) for p in expected]


def test_order_puts_prerequisites_first_and_urgent_gaps_early(small_catalogue):
    planner = PathPlanner(small_catalogue.curriculum)
    order = order_modules(planner, ["M05", "M04", "M03"], {"C06": 0, "C08": 1})
    assert order == ["M03", "M04", "M05"]
    order = order_modules(planner, ["M05", "M04", "M03"], {"C06": 1, "C08": 0})
    assert order == ["M05", "M03", "M04"]
