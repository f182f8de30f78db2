"""Optimal learning paths for a synthetic cohort of learners, checked against brute force.

Generates learners with realistic, correlated levels (a general level per person, an area
effect, noise per competence) and realistic completed modules, then plans each learner's full
path (gap analysis, MILP, ordering, explanations, calendar) against the bundled SCRO profile
and curriculum. Prints learners/second and checks a random sample: the planner's module set
against an exhaustive optimum that does not use the MILP (the path then applies the
``extends`` rules of :mod:`crisis.learners.schedule`, which only ever remove modules).

    python benchmarks/paths.py [--learners 10000] [--workers 2] [--sample 200] [--seed 1]

Target: 10,000 learners in at most 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from crisis.competences import load_bundled
from crisis.learners.gaps import analyse_gaps, open_targets
from crisis.learners.paths import PathPlanner
from crisis.learners.schedule import plan_paths

Learner = tuple[dict[str, int], list[str]]
START = dt.date(2026, 1, 5)


def synthetic_learners(n: int, seed: int) -> list[Learner]:
    """Learners whose levels are correlated across competences, with plausible completions."""
    catalogue = load_bundled()
    rng = np.random.default_rng(seed)
    competences = catalogue.framework.competences
    areas = sorted({c.area for c in competences})
    area_index = np.array([areas.index(c.area) for c in competences])
    general = rng.normal(1.3, 0.8, size=n)
    area_effect = rng.normal(0.0, 0.5, size=(n, len(areas)))
    noise = rng.normal(0.0, 0.6, size=(n, len(competences)))
    levels = np.clip(np.rint(general[:, None] + area_effect[:, area_index] + noise), 0, 4)
    moocs = [m.id for m in catalogue.curriculum.modules if m.id.startswith("M")]
    learners: list[Learner] = []
    for k in range(n):
        # A third have taken some of the introductory MOOC modules, in order.
        taken = moocs[: int(rng.integers(1, 6))] if rng.random() < 1 / 3 else []
        ratings = {c.id: int(levels[k, j]) for j, c in enumerate(competences)}
        learners.append((ratings, taken))
    return learners


_STATE: dict[str, Any] = {}


def _init() -> None:
    catalogue = load_bundled()
    _STATE["catalogue"] = catalogue
    _STATE["profile"] = catalogue.profile("scro")
    _STATE["planner"] = PathPlanner(catalogue.curriculum)


def _plan(chunk: Sequence[Learner]) -> list[tuple[float, tuple[str, ...]]]:
    if not _STATE:
        _init()
    catalogue, profile, planner = _STATE["catalogue"], _STATE["profile"], _STATE["planner"]
    requests = [(analyse_gaps(ratings, profile, catalogue), done) for ratings, done in chunk]
    paths = plan_paths(requests, catalogue, start=START, planner=planner, hours_per_week=5)
    return [(path.hours, tuple(step.module for step in path.steps)) for path in paths]


def exhaustive_hours(planner: PathPlanner, targets: dict[str, int], completed: list[str]) -> float:
    """Cheapest feasible path by enumeration, without the MILP.

    Every feasible set contains, for each gap, a module that covers it; the prerequisite
    closure of those choices is feasible and costs no more. So the optimum is the cheapest
    closure over all ways of picking one covering module per gap.
    """
    done = {planner.index[m] for m in completed}
    rows = []
    for competence, target in targets.items():
        cover = planner.covering(competence, target)
        if not cover & done:
            rows.append(sorted(cover))
    best = float("inf") if rows else 0.0
    for choice in itertools.product(*sorted({tuple(r) for r in rows})):
        closed: set[int] = set()
        stack = list(choice)
        while stack:
            k = stack.pop()
            if k in closed or k in done:
                continue
            closed.add(k)
            stack.extend(planner.prerequisites[k])
        best = min(best, float(sum(planner.cost[k] for k in closed)))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    learners = synthetic_learners(args.learners, args.seed)
    chunks = [learners[k : k + 250] for k in range(0, len(learners), 250)]
    started = time.perf_counter()
    if args.workers > 1:
        with mp.get_context("fork").Pool(args.workers, initializer=_init) as pool:
            results = [r for part in pool.map(_plan, chunks) for r in part]
    else:
        _init()
        results = [r for chunk in chunks for r in _plan(chunk)]
    elapsed = time.perf_counter() - started
    rate = len(learners) / elapsed
    hours = np.array([h for h, _ in results])
    print(
        f"{len(learners):,} learners planned in {elapsed:.1f} s on {args.workers} worker(s): "
        f"{rate:,.0f} learners/s (target: 10,000 in <= 30 s, i.e. >= 333/s; "
        f"ratio {rate / (10_000 / 30):.1f}x)"
    )
    print(
        f"path hours: median {np.median(hours):g}, min {hours.min():g}, max {hours.max():g}; "
        f"distinct module sets: {len({m for _, m in results}):,}"
    )

    catalogue = load_bundled()
    profile = catalogue.profile("scro")
    planner = PathPlanner(catalogue.curriculum)
    rng = np.random.default_rng(args.seed + 1)
    sample = rng.choice(len(learners), size=min(args.sample, len(learners)), replace=False)
    mismatches = 0
    for k in sample:
        ratings, completed = learners[int(k)]
        targets = open_targets(analyse_gaps(ratings, profile, catalogue))
        chosen = planner.choose(targets, completed)
        cost = float(sum(planner.cost[planner.index[m]] for m in chosen))
        if abs(exhaustive_hours(planner, targets, completed) - cost) > 1e-6:
            mismatches += 1
        if results[int(k)][0] > cost + 1e-6:
            mismatches += 1
    print(f"brute-force check: {len(sample) - mismatches}/{len(sample)} sampled paths optimal")
    if mismatches:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
