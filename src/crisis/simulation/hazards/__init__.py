"""Hazards as data: parameter models that sample initial damage for many scenarios."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import numpy as np
from pydantic import Field, TypeAdapter, ValidationError

from crisis.exceptions import SimulationError
from crisis.seeding import RandomLike, as_generator
from crisis.simulation.city import City
from crisis.simulation.hazards.base import (
    DETAIL_CELLS,
    HAZARD_KINDS,
    Draw,
    HazardModel,
    Impact,
    Outages,
)
from crisis.simulation.hazards.natural import Earthquake, Flood, Heatwave
from crisis.simulation.hazards.systemic import (
    Blackout,
    Cyber,
    Drought,
    Epidemic,
    GivenOutages,
    OutageItem,
    OutageSet,
)

Hazard = Annotated[
    Earthquake | Flood | Heatwave | Epidemic | Cyber | Blackout | Drought | GivenOutages,
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Hazard)


def parse_hazard(data: Mapping[str, Any], where: str = "hazard") -> HazardModel:
    """Validate one hazard mapping (``{kind: flood, return_period: 100}``).

    Raises:
        SimulationError: naming ``where``, the field and the value when data are invalid.
    """
    try:
        return _ADAPTER.validate_python(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if p != data.get("kind"))
        value = first.get("input")
        raise SimulationError(
            f"{where}: field '{field or 'kind'}' = {value!r}: {first['msg']}"
        ) from None


def seed_of(rng: RandomLike) -> int:
    """An integer seed: ``rng`` itself when it is one, else one drawn from it."""
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return int(rng)
    return int(as_generator(rng).integers(0, 2**63 - 1))


def sample_hazards(
    hazards: Sequence[HazardModel],
    city: City,
    n: int,
    rng: RandomLike,
    horizon: int = 336,
    *,
    first: int = 0,
    detail: bool | None = None,
) -> Impact:
    """Sample ``n`` scenarios of one hazard or several at once (flood + blackout).

    The first hazard gives the scenario probability; the others happen with it. Random
    numbers are addressed by the seed, the scenario's number (``first`` … ``first + n − 1``)
    and the asset (see :mod:`crisis.simulation.draws`): scenario 7 is the same whether it is
    sampled alone or among a thousand.

    Args:
        hazards: Hazard models.
        city: The city.
        n: Number of scenarios.
        rng: An integer seed (or a generator to draw one from).
        horizon: Hours simulated.
        first: Number of the first scenario.
        detail: Keep the intensity at every asset; by default only for small samples.
    """
    if not hazards:
        raise SimulationError("no hazard given: name at least one (for example 'flood')")
    if detail is None:
        detail = city.n_assets * n <= DETAIL_CELLS
    draw = Draw(seed_of(rng), first, n, horizon, detail)
    impact = Impact.from_outages(city.n_assets, hazards[0].sample(city, draw))
    for hazard in hazards[1:]:
        impact = impact.combine(Impact.from_outages(city.n_assets, hazard.sample(city, draw)))
    return impact


HAZARD_MODELS: dict[str, type[HazardModel]] = {
    "blackout": Blackout,
    "cyber": Cyber,
    "drought": Drought,
    "earthquake": Earthquake,
    "epidemic": Epidemic,
    "flood": Flood,
    "heatwave": Heatwave,
    "outages": GivenOutages,
}

__all__ = [
    "HAZARD_KINDS",
    "HAZARD_MODELS",
    "Blackout",
    "Cyber",
    "Draw",
    "Drought",
    "Earthquake",
    "Epidemic",
    "Flood",
    "GivenOutages",
    "Hazard",
    "HazardModel",
    "Heatwave",
    "Impact",
    "OutageItem",
    "OutageSet",
    "Outages",
    "parse_hazard",
    "sample_hazards",
    "seed_of",
]
