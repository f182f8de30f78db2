"""Outcomes in the units a council asks about: people without service, hours, euros, lives.

* **People without service**: for each service, the people without it at the worst hour of a
  scenario and the hours until 90 % of them have it back (means over the scenarios).
* **Damage** in euros: the repair work the hazard caused, at :data:`EUR_PER_REPAIR_HOUR` per
  crew-hour (labour, plant and parts together) — an illustrative rate, to be replaced by a
  city's own figures; outages that need no crew (a blackout) cost nothing here.
* **Expected fatalities**, for floods only: residents live where the district's power is
  delivered (its substations, weighted by the people each serves), the water there stands as
  deep as the hazard puts it, and :func:`flood_mortality` gives the share who die. The
  assumption is stated with the figure wherever it is shown; the other hazard models have no
  relation between intensity and deaths, so no figure is given for them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from crisis.exercises.effects import PeopleEffects
from crisis.simulation.city import SERVICES, City
from crisis.simulation.hazards import Impact

#: EUR per crew-hour of repair work (illustrative).
EUR_PER_REPAIR_HOUR = 2_000.0
#: Flood mortality among residents, by water depth (m): (from depth, share), stepwise.
FLOOD_MORTALITY: tuple[tuple[float, float], ...] = ((1.0, 0.0005), (2.0, 0.002))
#: A warning of at least this many hours halves flood mortality.
WARNING_HOURS_FOR_MORTALITY = 6.0
FATALITY_ASSUMPTION = (
    "river flood; 0.05 % of residents die where the water stands 1–2 m deep and 0.2 % "
    "above 2 m, none below 1 m; a warning of 6 h or more halves it; evacuated residents are "
    "not exposed; residents counted where their district's power is delivered"
)


def flood_mortality(depth: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Share of residents who die at each water depth (m), under :data:`FLOOD_MORTALITY`."""
    d = np.asarray(depth, dtype=np.float64)
    out = np.zeros(d.shape)
    for start, share in FLOOD_MORTALITY:
        out = np.where(d >= start, share, out)
    return out


def damage_eur(impact: Impact) -> npt.NDArray[np.float64]:
    """``(S,)`` cost of the repairs the hazard made necessary, per scenario."""
    hours = np.where(impact.damaged & impact.crew, impact.repair_hours, 0.0)
    hours = np.where(np.isfinite(hours), hours, 0.0)
    return np.asarray(hours.sum(axis=0) * EUR_PER_REPAIR_HOUR, dtype=np.float64)


def residents(city: City) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """Where residents live: (asset rows, people at each) from the districts' power links."""
    k = SERVICES.index("power")
    sel = city.link_service == k
    rows = city.link_asset[sel].astype(np.intp)
    weight = city.link_weight[sel].astype(np.float64)
    district = city.link_district[sel]
    totals = np.bincount(district, weights=weight, minlength=city.n_districts)
    share = np.divide(
        weight, totals[district], out=np.zeros_like(weight), where=totals[district] > 0
    )
    return rows, share * city.district_population[district]


def flood_fatalities(
    city: City, exposure: Impact, warning_hours: float, effects: PeopleEffects
) -> npt.NDArray[np.float64]:
    """``(S,)`` expected flood deaths per scenario (see the module docstring).

    Args:
        city: The city (unchanged by the plan: barriers protect equipment, not homes).
        exposure: A flood's damage with no measure in place, whose depths at the assets
            stand for the water at residents' homes.
        warning_hours: The plan's early-warning lead time.
        effects: The plan's measures on people (evacuation, public information).
    """
    rows, people = residents(city)
    depth = np.asarray(exposure.intensity[rows], dtype=np.float64)
    depth = np.where(np.isfinite(depth), depth, 0.0)
    share = flood_mortality(depth)
    if warning_hours >= WARNING_HOURS_FOR_MORTALITY:
        share = share / 2.0
    left = effects.fatality_factor(city.district[rows])
    return np.asarray((share * (people * left)[:, None]).sum(axis=0), dtype=np.float64)


def people_without(
    served: npt.NDArray[np.floating[Any]], population: npt.NDArray[np.float64]
) -> dict[str, dict[str, float]]:
    """Per service: people without it at the worst hour, hours until 90 % back (means)."""
    out: dict[str, dict[str, float]] = {}
    q = np.asarray(served, dtype=np.float64)
    for k, name in enumerate(SERVICES):
        if population[k] <= 0:
            continue
        worst = (1.0 - q[k].min(axis=0)) * population[k]
        below = q[k] < 0.9 - 1e-9
        h = below.shape[0]
        back = np.where(below.any(axis=0), h - np.argmax(below[::-1], axis=0), 0)
        out[name] = {
            "peak": float(worst.mean()),
            "t90": float(back.mean()),
            "people_hours": float(((1.0 - q[k]).sum(axis=0) * population[k]).mean()),
        }
    return out
