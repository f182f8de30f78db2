"""The optimiser learners play against: the best plan it can find on the scenarios themselves.

Sample-average approximation: the objective is the mean, over a fixed sample of scenarios
(the same floods every plan faces), of people-hours without service avoided, plus the value
the author gives to money left unspent (the second objective).

* **Candidates** are every placement the catalogue allows: each per-asset measure on every
  asset it may go on, evacuation of every district, each city-wide measure. None is left out
  for serving few people; a candidate is dropped only when a bound says it cannot help: a
  barrier on an asset the water never reaches (or always overtops), a retrofit of an asset
  never damaged, a generator at an asset that never loses its power supply.
* **Lazy greedy.** Each candidate carries an upper bound on its gain — the people-hours of
  the scenarios it changes (for a generator: of the services that depend on its asset) — or
  its gain when last evaluated. Candidates are evaluated exactly (re-simulating only the
  scenarios they change, many at once) in the order of those values per euro; the best exact
  gain per euro that no remaining value can beat is bought, until the budget is spent or
  nothing pays more than money left is worth.
* **Exchange.** Each bought placement is tried out of the plan, with the money it frees
  spent again greedily; a swap that improves the plan is kept.
* **Gap.** Adding protection never makes a scenario worse, so the plan with every
  candidate at once bounds what any plan can avoid; the result reports how far below that
  bound it stays.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from crisis.exercises.effects import PeopleEffects, parse_effect
from crisis.exercises.models import Exercise, Measure
from crisis.exercises.plans import eligible, placement_cost
from crisis.exercises.scenarios import (
    Outcome,
    ScenarioSet,
    patched,
    rows_differ,
    settle_hours,
    take,
    with_rows,
)
from crisis.simulation.cascade import cascade
from crisis.simulation.city import GROUP_TYPES, SECTORS, City
from crisis.simulation.hazards import Impact
from crisis.simulation.interventions import apply_plan
from crisis.simulation.metrics import service_population

Progress = Callable[[float], None]
#: Measures whose effect is on each asset's own damage: evaluated by swapping that row.
_DAMAGE = ("flood_protect", "harden", "raise")
#: Columns simulated in one call when candidates are evaluated together.
_BATCH_COLUMNS = 4000
#: How many candidates are evaluated together in one lazy step.
_BATCH = 12
#: Scenarios of the subsample on which a costly candidate is first estimated.
_SCREEN = 48
#: How many bought placements the exchange step tries to swap out.
EXCHANGE_TRIES = 4


@dataclass
class Candidate:
    """One placement the optimiser may buy."""

    placement: dict[str, Any]
    measure: Measure
    cost: float
    row: int = -1
    district: int = -1
    bound: float = np.inf
    gain: float | None = None
    fresh: int = -1
    estimate: float | None = None
    estimated: int = -1

    def key(self, now: int) -> float:
        """Value per euro for the lazy order: this round's exact gain, else this round's
        estimate, else the last gain (capped by the bound), else the bound."""
        if self.fresh == now and self.gain is not None:
            value = self.gain
        elif self.estimated == now and self.estimate is not None:
            value = min(self.estimate, self.bound)
        elif self.gain is not None:
            value = min(self.gain, self.bound)
        else:
            value = self.bound
        return value / self.cost if self.cost > 0 else np.inf


@dataclass
class Result:
    """The optimiser's plan and how it was found.

    Attributes:
        placements: The plan, in the order bought.
        benefit: Mean people-hours without service avoided per event, on the sample.
        value: ``benefit`` plus the second objective's worth of the money left.
        bound: Mean people-hours avoided with every candidate at once (no budget).
        gap: ``1 − benefit / bound`` (0 when the bound is 0).
        cost: EUR spent.
        candidates: Placements considered; ``pruned``: of them, dropped by their bound.
        evaluations: Exact evaluations made; ``scenarios``: sample size.
    """

    placements: list[dict[str, Any]]
    benefit: float
    value: float
    bound: float
    gap: float
    cost: float
    candidates: int
    pruned: int
    evaluations: int
    scenarios: int
    steps: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (what the cache and the debrief keep)."""
        return {
            "placements": self.placements,
            "benefit": self.benefit,
            "value": self.value,
            "bound": self.bound,
            "gap": self.gap,
            "cost": self.cost,
            "candidates": self.candidates,
            "pruned": self.pruned,
            "evaluations": self.evaluations,
            "scenarios": self.scenarios,
            "steps": self.steps,
        }


def candidates(exercise: Exercise, city: City) -> list[Candidate]:
    """Every placement the exercise's catalogue allows (before any bound)."""
    out: list[Candidate] = []
    for measure in exercise.measures:
        if measure.per_asset:
            for i in np.flatnonzero(eligible(city, measure)):
                placement = {"measure": measure.id, "asset": city.ids[i]}
                out.append(
                    Candidate(placement, measure, placement_cost(city, measure, placement), int(i))
                )
        elif measure.per_district:
            for d in np.flatnonzero(city.district_population > 0):
                placement = {"measure": measure.id, "district": city.district_ids[d]}
                cost = placement_cost(city, measure, placement)
                out.append(Candidate(placement, measure, cost, district=int(d)))
        else:
            placement = {"measure": measure.id}
            out.append(Candidate(placement, measure, placement_cost(city, measure, placement)))
    return out


def _downstream(city: City) -> sparse.csr_matrix:
    """``(N, K·D)``: which (service, district) pairs each asset can take down, directly or not.

    An asset reaches the owners of the groups it is a member of and, as a network member, the
    whole of its network (it may be the path to the source); a district's service is reached
    when one of its serving assets is.
    """
    n = city.n_assets
    rows, cols = [], []
    if city.n_groups:
        owners = np.repeat(city.group_owner, np.diff(city.group_indptr))
        rows.append(city.group_members.astype(np.int64))
        cols.append(owners.astype(np.int64))
    for code in np.unique(city.network[city.network >= 0]):
        members = np.flatnonzero(city.network == code)
        hub = members[0]
        rows += [members, np.full(members.size, hub)]
        cols += [np.full(members.size, hub), members]
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    graph = sparse.csr_matrix((np.ones(r.size, bool), (r, c)), shape=(n, n))
    # Reachability: repeated products until nothing new is reached (dependency chains are short).
    closure = (sparse.identity(n, format="csr") + graph.astype(np.float32)).astype(bool)
    step = graph.astype(np.float32)
    for _ in range(n):
        nxt = (closure.astype(np.float32) @ step + closure.astype(np.float32)).astype(bool)
        if nxt.nnz == closure.nnz:
            break
        closure = nxt
    pairs = city.link_service.astype(np.int64) * city.n_districts + city.link_district
    serve = sparse.csr_matrix(
        (np.ones(pairs.size, bool), (city.link_asset, pairs)),
        shape=(n, len(service_population(city)[0]) * city.n_districts),
    )
    out = closure.astype(np.float32) @ serve.astype(np.float32)
    return sparse.csr_matrix(out > 0)


class _Search:
    """State of one optimisation: the plan so far, its city, damage and outcome."""

    def __init__(
        self, exercise: Exercise, city: City, sample: ScenarioSet, progress: Progress
    ) -> None:
        self.exercise = exercise
        self.base = city
        self.sample = sample
        self.progress = progress
        self.n = sample.n
        self.budget = exercise.budget
        second = exercise.second_objective
        self.weight = second.weight if second is not None else 0.0
        self.population = service_population(city)[0]
        self.evaluations = 0
        self.round = 0
        self.plan: list[Candidate] = []
        self.nothing_impact = sample.impact(city)
        self.nothing = sample.run(city, self.nothing_impact)
        self.nothing_loss = self.nothing.loss.copy()
        self._set_plan([])

    # --- the current plan ----------------------------------------------------------------

    def _cities(self, plan: Sequence[Candidate]) -> tuple[City, City]:
        """(city with the plan's city-wide measures, city with the whole plan)."""
        simulated = [c for c in plan if c.measure.simulated]
        wide = [c.measure.intervention() for c in simulated if not c.measure.per_asset]
        local = [
            c.measure.intervention(c.placement["asset"]) for c in simulated if c.measure.per_asset
        ]
        global_city = apply_plan(self.base, wide)
        return global_city, apply_plan(global_city, local)

    def _effects(self, plan: Sequence[Candidate]) -> PeopleEffects:
        items = [
            (
                c.measure.kind,
                c.placement.get("district"),
                parse_effect(c.measure.kind, c.measure.params),
            )
            for c in plan
            if not c.measure.simulated
        ]
        return PeopleEffects(self.base, items)

    def _adjusted(self, outcome: Outcome, effects: PeopleEffects) -> npt.NDArray[np.float64]:
        if effects.empty:
            return outcome.loss
        cut = effects.reduction(outcome.district, outcome.served, self.population)
        return np.maximum(outcome.loss - cut, 0.0)

    def _set_plan(self, plan: list[Candidate], outcome: Outcome | None = None) -> None:
        global_before = [c for c in self.plan if c.measure.simulated and c.measure.scope == "city"]
        self.plan = list(plan)
        self.global_city, self.city = self._cities(self.plan)
        self.impact = self.sample.impact(self.city)
        self.outcome = outcome if outcome is not None else self.sample.run(self.city, self.impact)
        self.settle = settle_hours(self.outcome, self.impact)
        self.effects = self._effects(self.plan)
        self.loss = self._adjusted(self.outcome, self.effects)
        global_now = [c for c in self.plan if c.measure.simulated and c.measure.scope == "city"]
        if not hasattr(self, "plain") or global_now != global_before:
            self._prepare()

    @property
    def spent(self) -> float:
        return float(sum(c.cost for c in self.plan))

    def value_of(self, loss: npt.NDArray[np.float64], cost: float) -> float:
        benefit = float((self.nothing_loss - loss).mean())
        return benefit + self.weight * (self.budget - cost)

    # --- what each measure does to damage, once per set of city-wide measures -------------

    def _prepare(self) -> None:
        """Damage with each per-asset measure everywhere it may go, and the bounds' inputs."""
        self.plain = self.sample.impact(self.global_city)
        self.treated: dict[str, Impact] = {}
        self.local: dict[str, bool] = {}
        self.batchable: dict[str, bool] = {}
        for measure in self.exercise.measures:
            if measure.kind not in _DAMAGE and measure.kind != "segmentation":
                continue
            mask = eligible(self.base, measure)
            rows = [self.base.ids[i] for i in np.flatnonzero(mask)]
            if not rows:
                continue
            everywhere = apply_plan(self.global_city, [measure.intervention(a) for a in rows])
            impact = self.sample.impact(everywhere)
            differ = rows_differ(impact, self.plain)
            self.treated[measure.id] = impact
            self.local[measure.id] = measure.kind in _DAMAGE and not differ[~mask].any()
            self.batchable[measure.id] = self.local[measure.id] and self._insensitive(
                everywhere, mask
            )
        # Worst case for the power supply: every damaged asset down at once, no backup.
        worst = cascade(self.base, self.nothing_impact.damaged)
        self.supply_lost = np.zeros(worst.shape, dtype=bool)
        power = SECTORS.index("power")
        if self.base.n_groups:
            first = self.base.group_members[self.base.group_indptr[:-1]]
            supply = (self.base.group_type == GROUP_TYPES.index("supply")) & (
                self.base.sector[first] == power
            )
            for g in np.flatnonzero(supply):
                members = self.base.members_of(int(g))
                unmet = ~worst[members].any(axis=0)
                self.supply_lost[self.base.group_owner[g]] |= unmet
        self.downstream = _downstream(self.base)

    def _insensitive(self, everywhere: City, mask: npt.NDArray[np.bool_]) -> bool:
        """Whether recovery ignores what the measure changes (then candidates share a run)."""
        hit = self.plain.damaged[mask].sum(axis=0)
        cols = np.argsort(-hit, kind="stable")[: min(24, self.n)]
        cols = cols[hit[cols] > 0]
        if cols.size == 0:
            return True
        a = self.sample.run(self.global_city, self.plain, cols)
        b = self.sample.run(everywhere, self.plain, cols)
        return bool(np.array_equal(a.loss, b.loss))

    # --- bounds and exact gains ------------------------------------------------------------

    def columns(self, c: Candidate) -> npt.NDArray[np.intp] | None:
        """Scenarios the candidate can change (None: it needs its own sample)."""
        kind = c.measure.kind
        if kind in _DAMAGE and self.local.get(c.measure.id) and not self._touched(c.row):
            treated = self.treated[c.measure.id]
            row = c.row
            changed = (
                (treated.damaged[row] != self.impact.damaged[row])
                | (treated.crew[row] != self.impact.crew[row])
                | (
                    (treated.repair_hours[row] != self.impact.repair_hours[row])
                    & (treated.damaged[row] | self.impact.damaged[row])
                )
            )
            if not self.batchable.get(c.measure.id):
                changed = changed | treated.damaged[row] | self.impact.damaged[row]
            return np.flatnonzero(changed)
        if kind == "backup":
            return np.flatnonzero(self.supply_lost[c.row] & (self.loss > 0))
        if not c.measure.simulated:
            return np.flatnonzero(self.loss > 0)
        if kind in ("crews", "early_warning"):
            return np.flatnonzero(self.loss > 0)
        return None

    def _touched(self, row: int) -> bool:
        return any(p.row == row for p in self.plan)

    def bound(self, c: Candidate) -> float:
        """Upper bound on the candidate's gain given the plan so far."""
        if c.measure.kind == "evacuate" and c.district >= 0:
            share = float(c.measure.params.get("share", 0.7))
            return share * float(self.outcome.district[c.district].sum()) / self.n
        cols = self.columns(c)
        if cols is None:
            return float(self.loss.sum()) / self.n
        if c.measure.kind == "backup":
            reach = self.downstream[c.row].indices
            if reach.size == 0 or cols.size == 0:
                return 0.0
            k, d = np.divmod(reach, self.base.n_districts)
            people = self.outcome.district_service[k, d][:, cols]
            return float(min(people.sum(), self.loss[cols].sum())) / self.n
        return float(self.loss[cols].sum()) / self.n

    def evaluate(self, group: Sequence[Candidate]) -> None:
        """Gains of ``group`` given the plan so far.

        Candidates that change few scenarios, or whose estimate is of this round, get their
        exact gain (``gain``, ``fresh``); the others first an estimate on a subsample of the
        scenarios they change (``estimate``, ``estimated``), which orders them for the next
        step.
        """
        batch: list[tuple[Candidate, npt.NDArray[np.intp]]] = []
        for c in group:
            cols = self.columns(c)
            if c.measure.kind in _DAMAGE and cols is not None and self.batchable.get(c.measure.id):
                self.evaluations += 1
                c.fresh = self.round
                batch.append((c, cols))
            elif (
                cols is not None
                and cols.size > 2 * _SCREEN
                and c.estimated != self.round
                and c.measure.simulated
            ):
                step = cols.size / _SCREEN
                sub = cols[(np.arange(_SCREEN) * step).astype(np.intp)]
                c.estimate = self._gain_alone(c, sub) * cols.size / sub.size
                c.estimated = self.round
            else:
                self.evaluations += 1
                c.fresh = self.round
                c.gain = self._gain_alone(c, cols)
        self._gain_together(batch)

    def _gain_alone(self, c: Candidate, cols: npt.NDArray[np.intp] | None) -> float:
        plan = [*self.plan, c]
        if not c.measure.simulated:
            effects = self._effects(plan)
            loss = self._adjusted(self.outcome, effects)
            return float((self.loss - loss).sum()) / self.n
        _, city = self._cities(plan)
        if cols is None:
            impact = self.sample.impact(city)
            cols = np.flatnonzero(rows_differ(impact, self.impact).any(axis=0) | (self.loss > 0))
        elif c.measure.kind in _DAMAGE:
            impact = with_rows(self.impact, [c.row], self.treated[c.measure.id])
        else:
            impact = self.impact
        if cols.size == 0:
            return 0.0
        part = self.sample.run(city, impact, cols, settled=self.settle[cols])
        new = self._adjusted_cols(part, cols)
        return float((self.loss[cols] - new).sum()) / self.n

    def _adjusted_cols(self, part: Outcome, cols: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        if self.effects.empty:
            return part.loss
        cut = self.effects.reduction(part.district, part.served, self.population)
        return np.maximum(part.loss - cut, 0.0)

    def _gain_together(self, batch: Sequence[tuple[Candidate, npt.NDArray[np.intp]]]) -> None:
        """Candidates whose effect is their own asset's damage, simulated in shared runs."""
        start = 0
        while start < len(batch):
            chunk: list[tuple[Candidate, npt.NDArray[np.intp]]] = []
            width = 0
            while start < len(batch) and (
                not chunk or width + batch[start][1].size <= _BATCH_COLUMNS
            ):
                chunk.append(batch[start])
                width += batch[start][1].size
                start += 1
            cols = np.concatenate([cols for _, cols in chunk]) if chunk else np.zeros(0, np.intp)
            if cols.size == 0:
                for c, _ in chunk:
                    c.gain = 0.0
                continue
            patches = []
            at = 0
            for c, own in chunk:
                span = slice(at, at + own.size)
                patches.append((c.row, span, self.treated[c.measure.id], own))
                at += own.size
            impact = patched(take(self.impact, cols), patches)
            part = self.sample.run(self.city, impact, settled=self.settle[cols])
            new = self._adjusted_cols(part, cols)
            at = 0
            for c, own in chunk:
                span = slice(at, at + own.size)
                c.gain = float((self.loss[own] - new[span]).sum()) / self.n
                at += own.size

    def accept(self, c: Candidate) -> None:
        """Buy ``c``: the plan, its damage and its outcome move on."""
        self._set_plan([*self.plan, c])


def optimise_exercise(
    exercise: Exercise,
    city: City,
    n_scenarios: int,
    seed: int | None = None,
    progress: Progress | None = None,
) -> Result:
    """The optimiser's plan for ``exercise`` on ``n_scenarios`` scenarios (see the module).

    The search makes hundreds of small runs, for which starting compiled threads costs more
    than the work; it runs them on this thread only (the setting is per thread).
    """
    import numba

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return _optimise(exercise, city, n_scenarios, seed, progress)
    finally:
        numba.set_num_threads(threads)


def _optimise(
    exercise: Exercise,
    city: City,
    n_scenarios: int,
    seed: int | None,
    progress: Progress | None,
) -> Result:
    report = progress or (lambda _f: None)
    sample = ScenarioSet(
        exercise.hazards, n_scenarios, exercise.seed if seed is None else seed, base=city
    )
    search = _Search(exercise, city, sample, report)
    pool = candidates(exercise, city)
    report(0.1)
    alive: list[Candidate] = []
    pruned = 0
    for c in pool:
        c.bound = search.bound(c)
        if c.bound > 0:
            alive.append(c)
        else:
            pruned += 1
    steps: list[dict[str, Any]] = []
    _greedy(search, alive, steps)
    report(0.7)
    _exchange(search, alive, steps)
    report(0.9)
    benefit = float((search.nothing_loss - search.loss).mean())
    top = _everything_bound(search, alive)
    report(1.0)
    return Result(
        placements=[dict(c.placement) for c in search.plan],
        benefit=benefit,
        value=search.value_of(search.loss, search.spent),
        bound=max(top, benefit),
        gap=0.0 if top <= 0 else max(0.0, 1.0 - benefit / top),
        cost=search.spent,
        candidates=len(pool),
        pruned=pruned,
        evaluations=search.evaluations,
        scenarios=n_scenarios,
        steps=steps,
    )


def _greedy(search: _Search, alive: list[Candidate], steps: list[dict[str, Any]]) -> None:
    """Lazy greedy: buy the best exact gain per euro that no other value per euro can beat."""
    while True:
        search.round += 1
        left = search.budget - search.spent
        chosen_ids = {id(c) for c in search.plan}
        options = [c for c in alive if id(c) not in chosen_ids and c.cost <= left + 1e-6]
        for c in options:
            c.bound = search.bound(c)
        options = [c for c in options if c.bound > 0 and c.bound / c.cost > search.weight]
        if not options:
            return
        best = _lazy_best(search, options)
        if best is None or best.gain is None or best.gain <= search.weight * best.cost + 1e-9:
            return
        steps.append(
            {**best.placement, "gain": best.gain, "cost": best.cost, "round": search.round}
        )
        search.accept(best)


def _lazy_best(search: _Search, options: list[Candidate]) -> Candidate | None:
    """The option with the best exact gain per euro that no other option's value can beat."""
    now = search.round
    order = 0
    heap = []
    for c in options:
        heap.append((-c.key(now), order, c))
        order += 1
    heapq.heapify(heap)
    best: Candidate | None = None

    def ratio(c: Candidate | None) -> float:
        return -np.inf if c is None or c.gain is None else c.gain / c.cost

    while heap:
        group: list[Candidate] = []
        while heap and len(group) < _BATCH:
            key, _, c = heap[0]
            if ratio(best) >= -key:
                break
            heapq.heappop(heap)
            if c.fresh == now:
                if ratio(c) > ratio(best):
                    best = c
                continue
            group.append(c)
        if not group:
            return best
        search.evaluate(group)
        for c in group:
            if c.fresh == now and ratio(c) > ratio(best) and (c.gain or 0) > 0:
                best = c
            if c.fresh != now or (c.gain or 0) > 0:
                heapq.heappush(heap, (-c.key(now), order, c))
                order += 1
    return best


def _exchange(search: _Search, alive: list[Candidate], steps: list[dict[str, Any]]) -> None:
    """Try the placements that bought least per euro out of the plan, spending what each frees
    again greedily; keep a swap that improves the plan."""
    bought = {json_key(s): s["gain"] / s["cost"] for s in steps if "gain" in s and s["cost"] > 0}
    order = sorted(search.plan, key=lambda c: bought.get(json_key(c.placement), 0.0))
    for victim in order[:EXCHANGE_TRIES]:
        if victim not in search.plan:
            continue
        before = search.value_of(search.loss, search.spent)
        kept = list(search.plan)
        search._set_plan([c for c in kept if c is not victim])
        trial_steps: list[dict[str, Any]] = []
        _greedy(search, [c for c in alive if c is not victim], trial_steps)
        after = search.value_of(search.loss, search.spent)
        if after > before + 1e-9 * max(abs(before), 1.0):
            steps.append({"exchange": victim.placement, "for": trial_steps, "value": after})
        else:
            search._set_plan(kept)


def json_key(placement: dict[str, Any]) -> tuple[str, str]:
    """A hashable key of a placement."""
    return (str(placement.get("measure")), str(placement.get("asset") or placement.get("district")))


def _everything_bound(search: _Search, alive: Sequence[Candidate]) -> float:
    """Mean people-hours avoided with every candidate at once, the budget ignored."""
    plan = list(alive)
    _, city = search._cities(plan)
    impact = search.sample.impact(city)
    outcome = search.sample.run(city, impact)
    loss = search._adjusted(outcome, search._effects(plan))
    return float((search.nothing_loss - loss).mean())
