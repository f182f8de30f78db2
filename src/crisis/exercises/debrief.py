"""Running a plan and the debrief: the plan against doing nothing and the optimiser's plan.

All three runs use the same seed, so scenario ``s`` is the same flood (or quake, or attack)
in each and differences are due to the plans alone (common random numbers). The debrief is
plain JSON-ready data:

``curves``        mean Q(t) over all services (people-weighted), per hour, for each run
``distribution``  histogram of people-hours without service per scenario, for each run
``timeline``      one representative scenario, replayed: each asset's outages (start, end,
                  damaged or cut off) and failures/repairs per hour, with and without the plan
``chains``        causal chains of the worst district outages in that scenario
``score``         the plan's benefit as a share of the optimiser's (100 = equal; not capped:
                  above 100 the plan beats it), and budget used
``measures``      what each measure bought: the loss it avoids when added last (marginal)
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from crisis.exercises.effects import PeopleEffects
from crisis.exercises.models import Exercise
from crisis.exercises.optimiser import optimise_exercise
from crisis.exercises.outcomes import (
    EUR_PER_REPAIR_HOUR,
    FATALITY_ASSUMPTION,
    damage_eur,
    flood_fatalities,
    people_without,
)
from crisis.exercises.plans import Plan, eligible, unit_cost, validate_plan
from crisis.exercises.scenarios import ScenarioSet
from crisis.simulation import EnsembleResult, run_ensemble
from crisis.simulation.city import SERVICES, City
from crisis.simulation.demo import load_city
from crisis.simulation.ensemble import replay
from crisis.simulation.explain import explain_district
from crisis.simulation.hazards import Impact
from crisis.simulation.interventions import apply_plan

Progress = Callable[[float], None]
#: Scenarios of the optimiser's search (the first of the exercise's own: the same seed) and
#: of the marginal-benefit runs (a subset).
OPTIMISER_SCENARIOS = 200
MARGINAL_SCENARIOS = 100
_OPTIMISER_VERSION = "2"
#: How deep causal chains go (each level is one dependency further back); deeper costs time.
CHAIN_DEPTH = 4
_memo: dict[str, dict[str, Any]] = {}


def total_loss(result: EnsembleResult) -> npt.NDArray[np.float64]:
    """``(S,)`` people-hours without service per scenario, summed over services."""
    return np.asarray(result.metrics["people_hours"].sum(axis=0), dtype=np.float64)


def mean_q(result: EnsembleResult) -> npt.NDArray[np.float64]:
    """``(H,)`` ensemble mean of the people-weighted share served over all services."""
    pop = result.population
    q = np.tensordot(pop, result.served.astype(np.float64), axes=(0, 0)) / max(pop.sum(), 1.0)
    return np.asarray(q.mean(axis=1))


def _key(exercise: Exercise) -> str:
    data = {
        "v": _OPTIMISER_VERSION,
        "city": exercise.city,
        "hazards": exercise.hazards,
        "measures": [m.model_dump() for m in exercise.measures],
        "budget": exercise.budget,
        "seed": exercise.seed,
        "n": optimiser_scenarios(exercise),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def optimiser_scenarios(exercise: Exercise) -> int:
    """Scenarios the optimiser searches on: the exercise's own (the first
    :data:`OPTIMISER_SCENARIOS` of them), the ones a learner's plan is judged on."""
    return min(OPTIMISER_SCENARIOS, exercise.scenarios)


def _cache_file(key: str, cache_dir: Path) -> Path:
    return cache_dir / "exercise-optimiser" / f"{key}.json"


def optimiser_result(
    exercise: Exercise,
    city: City,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The optimiser's plan and its figures (benefit, bound, gap; see
    :mod:`crisis.exercises.optimiser`), cached in memory, and on disk in ``cache_dir`` when
    given. The search runs in this process: it makes hundreds of small runs on a few
    scenarios each, which a remote scheduler would spend more time shipping than running."""
    key = _key(exercise)
    if key in _memo:
        return _memo[key]
    file = _cache_file(key, Path(cache_dir)) if cache_dir is not None else None
    try:
        if file is not None:
            cached: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
            if isinstance(cached, dict) and isinstance(cached.get("placements"), list):
                _memo[key] = cached
                return cached
    except (OSError, ValueError):
        pass
    result = optimise_exercise(
        exercise, city, optimiser_scenarios(exercise), exercise.seed, progress
    ).as_dict()
    _memo[key] = result
    if file is None:
        return result
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(result), encoding="utf-8")
        os.replace(tmp, file)
    except OSError:
        pass
    return result


def optimiser_plan(
    exercise: Exercise, city: City, cache_dir: Path | None = None
) -> list[dict[str, Any]]:
    """The optimiser's placements for the exercise (see :func:`optimiser_result`)."""
    return list(optimiser_result(exercise, city, cache_dir)["placements"])


def _histogram(runs: Mapping[str, npt.NDArray[np.float64]], bins: int = 16) -> dict[str, Any]:
    values = np.concatenate(list(runs.values()))
    hi = float(values.max()) if values.size and values.max() > 0 else 1.0
    edges = np.linspace(0.0, hi * 1.0001, bins + 1)
    return {
        "edges": [round(float(e)) for e in edges],
        "counts": {k: np.histogram(v, edges)[0].astype(int).tolist() for k, v in runs.items()},
        "stats": {
            k: {
                "mean": float(v.mean()),
                "p5": float(np.percentile(v, 5)),
                "p50": float(np.percentile(v, 50)),
                "p95": float(np.percentile(v, 95)),
            }
            for k, v in runs.items()
        },
    }


def _outages(
    city: City, timeline: Any, impact: Any
) -> tuple[list[list[int]], list[int], list[int]]:
    """Outage spans ``[asset, start, end, damaged]`` and failures/repairs per hour."""
    working = timeline.working[:, :, 0]  # (H, N)
    down = ~working
    h = down.shape[0]
    edges = np.diff(
        np.vstack([np.zeros((1, down.shape[1]), np.int8), down.astype(np.int8)]), axis=0
    )
    failures = (edges == 1).sum(axis=1).astype(int).tolist()
    repairs = (edges == -1).sum(axis=1).astype(int).tolist()
    spans: list[list[int]] = []
    damaged = impact.damaged[:, 0]
    for a in np.flatnonzero(down.any(axis=0)):
        col = np.concatenate([[0], down[:, a].astype(np.int8), [0]])
        step = np.diff(col)
        for lo, hi in zip(np.flatnonzero(step == 1), np.flatnonzero(step == -1), strict=True):
            spans.append([int(a), int(lo), int(min(hi, h)), int(bool(damaged[a]))])
    return spans, failures, repairs


def _district_loss(city: City, timeline: Any) -> npt.NDArray[np.float64]:
    served = timeline.district_served[:, :, :, 0]  # (K, H, D)
    return np.asarray((1.0 - served).sum(axis=(0, 1)) * city.district_population)


def _chains(city: City, impact: Any, timeline: Any, worst: int = 3) -> list[dict[str, Any]]:
    loss = _district_loss(city, timeline)
    out = []
    for d in np.argsort(-loss)[:worst]:
        if loss[d] <= 0:
            break
        district = city.district_ids[int(d)]
        explanation = explain_district(city, impact, timeline, district, depth=CHAIN_DEPTH)
        lines = list(dict.fromkeys(line for line in explanation.lines if line.strip()))
        out.append(
            {
                "district": district,
                "people_hours": float(loss[d]),
                "lines": lines[:40],
                "tree": cause_tree(lines[:40]),
            }
        )
    return out


def cause_tree(lines: Sequence[str]) -> list[dict[str, Any]]:
    """The explanation's lines as a tree: each service a district lost (the people's end) with
    the assets behind it, back to the hazard (``kind``: ``service``, ``hit`` for an asset
    the hazard damaged, ``cut`` for one cut off or without what it needs, ``note``).
    Children are indented under their parent in the simulator's text."""
    roots: list[dict[str, Any]] = []
    stack: list[tuple[int, dict[str, Any]]] = []
    for line in lines:
        depth = len(line) - len(line.lstrip(" "))
        text = line.strip().removeprefix("← ").strip()
        kind = (
            "service"
            if depth == 0
            else "hit"
            if " damaged by " in text
            else "cut"
            if any(w in text for w in ("cut off", "needs", "stopped", "ran out", "ran dry", "lost"))
            else "note"
        )
        node: dict[str, Any] = {"text": text, "kind": kind, "children": []}
        while stack and stack[-1][0] >= depth:
            stack.pop()
        (stack[-1][1]["children"] if stack else roots).append(node)
        stack.append((depth, node))
    return roots


def _scenario_story(
    city: City, results: Mapping[str, EnsembleResult], scenario: int
) -> dict[str, Any]:
    story: dict[str, Any] = {"scenario": scenario}
    for name, result in results.items():
        planned, impact, timeline = replay(result, city, scenario)
        spans, failures, repairs = _outages(planned, timeline, impact)
        assert timeline.district_served is not None
        served = timeline.district_served[:, :, :, 0]
        pop = np.maximum(planned.district_population, 1.0)
        share = served.mean(axis=0)  # (H, D): mean over services
        story[name] = {
            "spans": spans,
            "failures": failures,
            "repairs": repairs,
            "district_share": np.round(share[:, : len(pop)], 2).tolist(),
            "chains": _chains(planned, impact, timeline),
        }
    return story


def plan_score(benefit: float, benefit_optimiser: float) -> int:
    """The plan's benefit as a percentage of the optimiser's, not capped: 100 matches it,
    130 beats it by 30 %, a negative score means the plan made things worse than nothing."""
    if benefit_optimiser > 0:
        return round(100 * benefit / benefit_optimiser)
    return 100 if benefit >= 0 else 0


def run_exercise(
    exercise: Exercise,
    placements: Sequence[Mapping[str, Any]],
    n_scenarios: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    city: City | None = None,
    *,
    cache_dir: Path | None = None,
    scheduler: Any = None,
) -> dict[str, Any]:
    """Run a learner's plan and build the debrief (see the module docstring).

    Args:
        cache_dir: The installation's cache folder (demo city, optimiser plans).
        scheduler: Where the ensembles run: ``None`` (this process) or a Dask client or
            scheduler address (see :func:`crisis.simulation.run_ensemble`).

    Raises:
        PlanError: the plan breaks a rule (checked before anything runs).
    """
    city = city or load_city(exercise.city, cache_dir=cache_dir)
    plan = validate_plan(exercise, city, list(placements))
    n = n_scenarios or exercise.scenarios
    seed = exercise.seed if seed is None else seed
    report = progress or (lambda _f: None)
    report(0.0)
    searched = optimiser_result(exercise, city, cache_dir)
    best = validate_plan(exercise, city, searched["placements"])
    report(0.1)
    plans: dict[str, Plan] = {"plan": plan, "optimiser": best}
    results: dict[str, EnsembleResult] = {}
    steps = [("nothing", None), ("plan", plan), ("optimiser", best)]
    for k, (name, chosen) in enumerate(steps):
        base = 0.1 + 0.2 * k

        def tick(done: int, total: int, base: float = base) -> None:
            report(base + 0.2 * done / total)

        interventions = chosen.interventions(exercise) if chosen else None
        results[name] = run_ensemble(
            city, exercise.hazards, n, seed, interventions, tick, scheduler=scheduler
        )
    loss = {name: total_loss(r) for name, r in results.items()}
    report(0.7)
    measures = _marginal(exercise, city, plan, loss["plan"], n, seed, scheduler)
    report(0.85)
    nothing = loss["nothing"]
    positive = np.flatnonzero(nothing > 0)
    pick = positive if positive.size else np.arange(n)
    target = np.median(nothing[pick])
    scenario = int(pick[np.argmin(np.abs(nothing[pick] - target))])
    story = _scenario_story(
        city, {"plan": results["plan"], "nothing": results["nothing"]}, scenario
    )
    report(0.95)
    benefit = nothing - loss["plan"]
    benefit_opt = nothing - loss["optimiser"]
    half = 1.96 * float(benefit.std(ddof=1)) / np.sqrt(n) if n > 1 else 0.0
    mean_opt = float(benefit_opt.mean())
    mean_plan = float(benefit.mean())
    score = plan_score(mean_plan, mean_opt)
    outcomes = _outcomes(exercise, city, plans, results, n, seed)
    services = [s for s in SERVICES if results["nothing"].population[SERVICES.index(s)] > 0]
    per_service = {
        name: {s: float(r.metrics["people_hours"][SERVICES.index(s)].mean()) for s in services}
        for name, r in results.items()
    }
    report(1.0)
    return {
        "exercise": exercise.id,
        "n_scenarios": n,
        "seed": seed,
        "horizon": results["plan"].horizon,
        "budget": exercise.budget,
        "plans": {name: {"placements": p.as_list(), "cost": p.cost} for name, p in plans.items()},
        "curves": {name: np.round(mean_q(r), 5).tolist() for name, r in results.items()},
        "distribution": _histogram(loss),
        "per_service": per_service,
        "score": {
            "score": score,
            "benefit": mean_plan,
            "benefit_low": mean_plan - half,
            "benefit_high": mean_plan + half,
            "benefit_optimiser": mean_opt,
            "beats_nothing": bool(mean_plan > 0 and loss["plan"].mean() < nothing.mean()),
            "scenarios_better": int((benefit > 0).sum()),
            "scenarios_worse": int((benefit < 0).sum()),
            "cost": plan.cost,
            "budget_used": plan.cost / exercise.budget,
            "optimiser_cost": best.cost,
            "optimiser_gap": float(searched.get("gap", 0.0)),
            "optimiser_bound": float(searched.get("bound", 0.0)),
            "annual_probability": exercise.annual_probability(),
        },
        "measures": measures,
        "timeline": story,
        "outcomes": outcomes,
    }


def _outcomes(
    exercise: Exercise,
    city: City,
    plans: Mapping[str, Plan],
    results: Mapping[str, EnsembleResult],
    n: int,
    seed: int,
) -> dict[str, Any]:
    """Each run's outcome in people, hours, euros and (for a flood) lives; see
    :mod:`crisis.exercises.outcomes`."""
    sample = ScenarioSet(exercise.hazards, n, seed, base=city)
    exposure = sample.impact(city)
    flood = all(h["kind"] == "flood" for h in exercise.hazards)
    runs: dict[str, Any] = {}
    for name, result in results.items():
        chosen = plans.get(name)
        planned = apply_plan(city, chosen.interventions(exercise)) if chosen else city
        impact = sample.impact(planned) if chosen else exposure
        entry: dict[str, Any] = {
            "services": people_without(result.served, np.asarray(result.population)),
            "damage_eur": float(damage_eur(impact).mean()),
        }
        if flood:
            effects = chosen.effects(exercise, city) if chosen else PeopleEffects(city)
            deaths = flood_fatalities(city, exposure, planned.warning_hours, effects)
            entry["fatalities"] = float(deaths.mean())
        runs[name] = entry
    return {
        "runs": runs,
        "eur_per_repair_hour": EUR_PER_REPAIR_HOUR,
        "fatality_assumption": FATALITY_ASSUMPTION if flood else None,
    }


def _marginal(
    exercise: Exercise,
    city: City,
    plan: Plan,
    plan_loss: npt.NDArray[np.float64],
    n: int,
    seed: int,
    scheduler: Any = None,
) -> list[dict[str, Any]]:
    """What each placement bought: the loss without it minus the loss with the whole plan.

    Runs on the first :data:`MARGINAL_SCENARIOS` scenarios (the same ones: chunk seeds do not
    depend on the ensemble size).
    """
    m = min(n, MARGINAL_SCENARIOS)
    base = float(plan_loss[:m].mean())
    out = []
    items = plan.interventions(exercise)
    exposure: Impact | None = None
    for i, placement in enumerate(plan.placements):
        rest = items[:i] + items[i + 1 :]
        without = run_ensemble(city, exercise.hazards, m, seed, rest, scheduler=scheduler)
        gain = float(total_loss(without).mean()) - base
        entry = {
            **placement.as_dict(),
            "cost": placement.cost,
            "benefit": gain,
            "per_million": gain / placement.cost * 1e6 if placement.cost else 0.0,
            "scenarios": m,
        }
        if gain <= max(1e-6 * abs(base), 1e-9):
            if exposure is None:
                exposure = ScenarioSet(exercise.hazards, m, seed).impact(city)
            entry["why"] = why_nothing(exercise, city, placement.measure, placement.asset, exposure)
        out.append(entry)
    return out


def why_nothing(
    exercise: Exercise, city: City, measure_id: str, asset: str | None, exposure: Impact
) -> dict[str, Any]:
    """Why a placement bought nothing, from the hazard's damage with no measure in place.

    ``never_hit``: the hazard never damaged the asset in these scenarios; ``overtopped``: the
    water stood higher than the barrier (or the raised equipment) wherever it came, with the
    median depth and the height; ``elsewhere``: the asset was hit, but the outages it could
    have prevented came from other assets it depends on, or did not reach anyone.
    """
    measure = exercise.measure(measure_id)
    if asset is None or asset not in city.index:
        return {"reason": "elsewhere"}
    row = city.index[asset]
    hit = np.asarray(exposure.damaged[row], dtype=bool)
    if not hit.any():
        return {"reason": "never_hit"}
    if measure.kind in ("flood_protect", "raise") and exposure.intensity is not None:
        depth = np.asarray(exposure.intensity[row], dtype=np.float64)[hit]
        height = float(measure.params.get("height_m", measure.params.get("metres", 1.0)))
        if depth.size and bool((depth > height).all()):
            return {
                "reason": "overtopped",
                "depth": round(float(np.median(depth)), 2),
                "height": height,
                "hit": int(hit.sum()),
            }
    return {"reason": "elsewhere", "hit": int(hit.sum())}


def run_exercise_job(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Background-job entry point: ``params`` = ``{exercise, plan, scenarios, seed}``.

    ``exercise`` is the exercise as data (so instructors' own exercises run as well); the job
    runner adds ``cache_dir`` and ``scheduler``.
    """
    exercise = Exercise.model_validate(params["exercise"])
    return run_exercise(
        exercise,
        params.get("plan") or [],
        n_scenarios=params.get("scenarios"),
        seed=params.get("seed"),
        progress=progress,
        cache_dir=params.get("cache_dir"),
        scheduler=params.get("scheduler"),
    )


def catalogue_rows(exercise: Exercise, city: City) -> list[dict[str, Any]]:
    """Each measure with its unit cost and the assets it can be placed on (for the play page)."""
    rows = []
    for measure in exercise.measures:
        mask = eligible(city, measure)
        rows.append(
            {
                "measure": measure,
                "cost": unit_cost(city, measure),
                "assets": [city.ids[i] for i in np.flatnonzero(mask)],
            }
        )
    return rows
