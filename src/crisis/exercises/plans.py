"""A learner's plan: measures from the catalogue placed on assets, checked before anything runs.

A plan is a list of placements ``{"measure": "barrier", "asset": "bus-46"}``; an evacuation
names a district instead (``{"measure": "evacuate", "district": "D04"}``) and city-wide
measures such as extra crews name neither. :func:`validate_plan` refuses, with a message
naming the placement, a measure the exercise does not offer, an asset or district the city
does not have or the measure cannot be applied to, a repeated placement and a plan over
budget; nothing is charged for a refused plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from crisis.exceptions import SimulationError
from crisis.exercises.effects import Evacuate, PeopleEffects, evacuation_cost, parse_effect
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
    """Cost in EUR of one placement of ``measure`` (the simulator's unit costs).

    For an evacuation it is the cost per resident moved (the placement's cost depends on the
    district's population).
    """
    if measure.simulated:
        asset = city.ids[0] if measure.per_asset else None
        return float(parse_intervention(measure.intervention(asset)).total_cost(city))
    settings = parse_effect(measure.kind, measure.params)
    if isinstance(settings, Evacuate):
        return float(settings.cost_per_person)
    return float(getattr(settings, "cost", 0.0))


def placement_cost(city: City, measure: Measure, placement: Mapping[str, Any]) -> float:
    """Cost in EUR of one placement (an evacuation costs per resident of its district)."""
    if measure.per_district:
        settings = parse_effect(measure.kind, measure.params)
        assert isinstance(settings, Evacuate)
        return evacuation_cost(city, str(placement["district"]), settings)
    return unit_cost(city, measure)


@dataclass(frozen=True)
class Placement:
    """One measure bought: on ``asset``, on ``district``, or for the whole city."""

    measure: str
    asset: str | None
    cost: float
    district: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form (what the browser sends back)."""
        out: dict[str, Any] = {"measure": self.measure}
        if self.asset is not None:
            out["asset"] = self.asset
        if self.district is not None:
            out["district"] = self.district
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
        """Simulator interventions, one per simulated placement, in order."""
        out = []
        for p in self.placements:
            measure = exercise.measure(p.measure)
            if measure.simulated:
                out.append(measure.intervention(p.asset))
        return out

    def effects(self, exercise: Exercise, city: City) -> PeopleEffects:
        """The plan's measures on people (evacuations, public information)."""
        items = []
        for p in self.placements:
            measure = exercise.measure(p.measure)
            if not measure.simulated:
                items.append((measure.kind, p.district, parse_effect(measure.kind, measure.params)))
        return PeopleEffects(city, items)

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
        extra = set(item) - {"measure", "asset", "district"}
        if extra:
            raise PlanError(f"{where}: unexpected field '{sorted(extra)[0]}'")
        try:
            measure = exercise.measure(item["measure"])
        except SimulationError as exc:
            raise PlanError(f"{where}: {exc}") from None
        asset = item.get("asset")
        district = item.get("district")
        if not measure.per_district and district not in (None, ""):
            raise PlanError(f"{where}: measure '{measure.id}' takes no district")
        if measure.per_district:
            if asset not in (None, ""):
                raise PlanError(
                    f"{where}: measure '{measure.id}' is placed on a district, not an asset"
                )
            if not isinstance(district, str) or district not in city.district_ids:
                raise PlanError(
                    f"{where}: measure '{measure.id}' needs one of the city's districts; "
                    + ("none was given" if district is None else f"got {str(district)[:40]!r}")
                )
            asset = None
        elif measure.per_asset:
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
        if not measure.per_district:
            district = None
        key = (measure.id, asset or district)
        if key in seen:
            target = f" on {asset or district}" if asset or district else ""
            raise PlanError(f"{where}: measure '{measure.id}'{target} is already in the plan")
        seen.add(key)
        if measure.per_district:
            cost = placement_cost(city, measure, {"district": district})
        else:
            if measure.id not in costs:
                costs[measure.id] = unit_cost(city, measure)
            cost = costs[measure.id]
        out.append(Placement(measure.id, asset, cost, district))
    plan = Plan(tuple(out), exercise.budget)
    if plan.cost > exercise.budget + 1e-6:
        raise PlanError(
            f"the plan costs EUR {plan.cost:,.0f}, over the budget of EUR {exercise.budget:,.0f} "
            f"by EUR {plan.cost - exercise.budget:,.0f}; nothing was charged"
        )
    return plan
