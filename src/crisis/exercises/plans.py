"""A learner's plan: measures from the catalogue placed on assets, checked before anything runs.

A plan is a list of placements ``{"measure": "barrier", "asset": "bus-46"}`` (``asset`` is
left out for city-wide measures such as extra crews). :func:`validate_plan` refuses, with a
message naming the placement, a measure the exercise does not offer, an asset the city does
not have or the measure cannot be applied to, a repeated placement and a plan over budget;
nothing is charged for a refused plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from crisis.exceptions import SimulationError
from crisis.exercises.models import Exercise, Measure
from crisis.simulation.city import FRAGILITY_MEASURES, GROUP_TYPES, SECTORS, City
from crisis.simulation.interventions import parse_intervention

#: Most placements in one plan.
MAX_PLACEMENTS = 40


class PlanError(SimulationError):
    """A plan that cannot be run (the message names the placement and the rule)."""


def eligible(city: City, measure: Measure) -> npt.NDArray[np.bool_]:
    """``(N,)`` which assets ``measure`` can be placed on (all False for city-wide ones).

    Physical rules first (a barrier or raising needs equipment at a point that floods; a
    generator needs a power supply to bridge; segmentation needs a control link or ICT), then
    the exercise's ``applies_to`` classes.
    """
    n = city.n_assets
    if not measure.per_asset:
        return np.zeros(n, dtype=bool)
    node = np.asarray(city.link_from < 0)
    ok: npt.NDArray[np.bool_]
    if measure.kind in ("flood_protect", "raise"):
        ok = np.asarray(
            node & np.isfinite(city.fragility_median[:, FRAGILITY_MEASURES.index("flood")])
        )
    elif measure.kind == "harden":
        ok = np.asarray(np.isfinite(city.fragility_median).any(axis=1))
    elif measure.kind == "backup":
        ok = np.zeros(n, dtype=bool)
        if city.n_groups:
            first = city.group_members[city.group_indptr[:-1]]
            supply = (city.group_type == GROUP_TYPES.index("supply")) & (
                city.sector[first] == SECTORS.index("power")
            )
            ok[city.group_owner[supply]] = True
    else:  # segmentation
        ict = np.isin(city.sector, [SECTORS.index("telecom"), SECTORS.index("sensor")])
        ok = ict.copy()
        if city.n_groups:
            ok[city.group_owner[city.group_type == GROUP_TYPES.index("control")]] = True
    if measure.applies_to:
        ok = ok & np.isin(np.asarray(city.asset_class, dtype=object), measure.applies_to)
    return np.asarray(ok)


def unit_cost(city: City, measure: Measure) -> float:
    """Cost in EUR of one placement of ``measure`` (the simulator's unit costs)."""
    asset = city.ids[0] if measure.per_asset else None
    return float(parse_intervention(measure.intervention(asset)).total_cost(city))


@dataclass(frozen=True)
class Placement:
    """One measure bought: on ``asset``, or for the whole city when ``asset`` is None."""

    measure: str
    asset: str | None
    cost: float

    def as_dict(self) -> dict[str, Any]:
        """JSON form (what the browser sends back)."""
        out: dict[str, Any] = {"measure": self.measure}
        if self.asset is not None:
            out["asset"] = self.asset
        return out


@dataclass(frozen=True)
class Plan:
    """A checked plan: placements, their cost and the simulator interventions they make."""

    placements: tuple[Placement, ...]
    budget: float

    @property
    def cost(self) -> float:
        """Total cost in EUR."""
        return float(sum(p.cost for p in self.placements))

    def interventions(self, exercise: Exercise) -> list[dict[str, Any]]:
        """Simulator interventions, one per placement, in order."""
        return [exercise.measure(p.measure).intervention(p.asset) for p in self.placements]

    def as_list(self) -> list[dict[str, Any]]:
        """The placements in JSON form."""
        return [p.as_dict() for p in self.placements]


def validate_plan(
    exercise: Exercise, city: City, placements: Sequence[Mapping[str, Any]] | Any
) -> Plan:
    """Check a plan against the exercise and the city.

    Raises:
        PlanError: naming the placement (``placement 3``) and what is wrong; the first
            problem only, so that the learner fixes one thing at a time.
    """
    if not isinstance(placements, list | tuple):
        raise PlanError("the plan must be a list of placements")
    if len(placements) > MAX_PLACEMENTS:
        raise PlanError(f"the plan has {len(placements)} placements; at most {MAX_PLACEMENTS}")
    out: list[Placement] = []
    seen: set[tuple[str, str | None]] = set()
    costs: dict[str, float] = {}
    masks: dict[str, npt.NDArray[np.bool_]] = {}
    for n, item in enumerate(placements, start=1):
        where = f"placement {n}"
        if not isinstance(item, Mapping) or not isinstance(item.get("measure"), str):
            raise PlanError(f"{where}: expected {{'measure': …, 'asset': …}}")
        extra = set(item) - {"measure", "asset"}
        if extra:
            raise PlanError(f"{where}: unexpected field '{sorted(extra)[0]}'")
        try:
            measure = exercise.measure(item["measure"])
        except SimulationError as exc:
            raise PlanError(f"{where}: {exc}") from None
        asset = item.get("asset")
        if measure.per_asset:
            if not isinstance(asset, str) or not asset:
                raise PlanError(f"{where}: measure '{measure.id}' needs an asset to be placed on")
            if asset not in city.index:
                raise PlanError(f"{where}: the city has no asset '{asset}'")
            if measure.id not in masks:
                masks[measure.id] = eligible(city, measure)
            i = city.index[asset]
            if not masks[measure.id][i]:
                suits = ", ".join(measure.applies_to) or "assets it physically suits"
                raise PlanError(
                    f"{where}: measure '{measure.id}' cannot be applied to {asset} "
                    f"({city.asset_class[i] or 'asset'}); it applies to {suits}"
                )
        elif asset not in (None, ""):
            raise PlanError(f"{where}: measure '{measure.id}' is city-wide; it takes no asset")
        else:
            asset = None
        key = (measure.id, asset)
        if key in seen:
            target = f" on {asset}" if asset else ""
            raise PlanError(f"{where}: measure '{measure.id}'{target} is already in the plan")
        seen.add(key)
        if measure.id not in costs:
            costs[measure.id] = unit_cost(city, measure)
        out.append(Placement(measure.id, asset, costs[measure.id]))
    plan = Plan(tuple(out), exercise.budget)
    if plan.cost > exercise.budget + 1e-6:
        raise PlanError(
            f"the plan costs EUR {plan.cost:,.0f}, over the budget of EUR {exercise.budget:,.0f} "
            f"by EUR {plan.cost - exercise.budget:,.0f}; nothing was charged"
        )
    return plan
