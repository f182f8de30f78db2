"""A greedy benefit/cost optimiser: which interventions to buy with a budget.

Candidates are proposed from the baseline (the assets that fail most often and serve most
people, plus extra crews and an early-warning system). Each round evaluates every remaining
affordable candidate together with the plan so far, on the same scenarios as the baseline,
and adds the one with the best reduction of people-hours without service per euro, until
the budget is spent or nothing helps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crisis.exceptions import SimulationError
from crisis.simulation.city import SECTORS, City
from crisis.simulation.ensemble import HazardsLike, as_hazards, run_ensemble
from crisis.simulation.hazards import sample_hazards
from crisis.simulation.interventions import (
    Backup,
    EarlyWarning,
    ExtraCrews,
    FloodProtect,
    Harden,
    InterventionModel,
    as_plan,
)
from crisis.simulation.results import EnsembleResult


@dataclass
class Step:
    """One intervention the optimiser chose."""

    intervention: InterventionModel
    cost: float
    benefit: float  # people-hours without service avoided per event (mean)


@dataclass
class Proposal:
    """The optimiser's plan."""

    budget: float
    baseline: EnsembleResult
    steps: list[Step] = field(default_factory=list)

    @property
    def plan(self) -> list[InterventionModel]:
        """The chosen interventions, in order."""
        return [s.intervention for s in self.steps]

    @property
    def cost(self) -> float:
        """Total cost."""
        return sum(s.cost for s in self.steps)


def candidates(
    city: City, hazard: HazardsLike, seed: int = 0, top: int = 6
) -> list[InterventionModel]:
    """Interventions worth trying: protect the assets that fail most, weighted by people."""
    models = as_hazards(hazard)
    impact = sample_hazards(models, city, 40, seed)
    score = impact.damaged.mean(axis=1) * (city.population + 1.0)
    worst = [city.ids[i] for i in np.argsort(-score)[:top] if score[i] > 0]
    kinds = {h.kind for h in models}  # type: ignore[attr-defined]
    out: list[InterventionModel] = []
    for asset in worst:
        if "flood" in kinds:
            out.append(FloodProtect(assets=[asset], height_m=1.5))
        out.append(Harden(assets=[asset], factor=2.0))
    power = SECTORS.index("power")
    on_power = np.zeros(city.n_assets, dtype=bool)
    if city.n_groups:
        first = city.group_members[city.group_indptr[:-1]]
        on_power[city.group_owner[city.sector[first] == power]] = True
    unbacked = np.flatnonzero(on_power & (city.backup_hours == 0))
    for i in unbacked[np.argsort(-city.population[unbacked], kind="stable")][:top]:
        out.append(Backup(assets=[city.ids[i]], hours=72))
    for code in np.unique(city.sector[impact.damaged.any(axis=1)]):
        out.append(ExtraCrews(sector=SECTORS[code], local=2))
    out.append(EarlyWarning(hours=12))
    return out


def optimise(
    city: City,
    hazard: HazardsLike,
    budget: float,
    n_scenarios: int = 100,
    seed: int = 0,
    pool: Sequence[InterventionModel | Mapping[str, Any]] | None = None,
    **options: Any,
) -> Proposal:
    """Greedy plan within ``budget`` EUR (see the module docstring)."""
    if budget <= 0:
        raise SimulationError(f"field 'budget' = {budget}: must be positive")
    items = as_plan(pool) if pool is not None else candidates(city, hazard, seed)
    baseline = run_ensemble(city, hazard, n_scenarios, seed, **options)
    proposal = Proposal(budget, baseline)
    current = float(baseline.metrics["people_hours"].sum(axis=0).mean())
    remaining = list(items)
    while remaining:
        best: tuple[float, int, float, float] | None = None
        for i, item in enumerate(remaining):
            cost = item.total_cost(city)
            if proposal.cost + cost > budget or cost <= 0:
                continue
            trial = run_ensemble(city, hazard, n_scenarios, seed, [*proposal.plan, item], **options)
            value = float(trial.metrics["people_hours"].sum(axis=0).mean())
            gain = current - value
            if gain > 0 and (best is None or gain / cost > best[0]):
                best = (gain / cost, i, gain, value)
        if best is None:
            break
        _, i, gain, value = best
        item = remaining.pop(i)
        proposal.steps.append(Step(item, item.total_cost(city), gain))
        current = value
    return proposal
