"""Hazards as data: parameter models that sample initial damage for many scenarios."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from crisis.exceptions import SimulationError
from crisis.seeding import RandomLike, as_generator
from crisis.simulation.city import City
from crisis.simulation.hazards.base import HAZARD_KINDS, HazardModel, Impact
from crisis.simulation.hazards.natural import Earthquake, Flood, Heatwave
from crisis.simulation.hazards.systemic import Blackout, Cyber, Drought, Epidemic

Hazard = Annotated[
    Earthquake | Flood | Heatwave | Epidemic | Cyber | Blackout | Drought,
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


def sample_hazards(
    hazards: Sequence[HazardModel], city: City, n: int, rng: RandomLike, horizon: int = 336
) -> Impact:
    """Sample ``n`` scenarios of one hazard or several at once (flood + blackout).

    The first hazard gives the scenario probability; the others happen with it.
    """
    if not hazards:
        raise SimulationError("no hazard given: name at least one (for example 'flood')")
    generator = as_generator(rng)
    impact = hazards[0].sample(city, n, generator, horizon)
    for hazard in hazards[1:]:
        impact = impact.combine(hazard.sample(city, n, generator, horizon))
    return impact


HAZARD_MODELS: dict[str, type[HazardModel]] = {
    "blackout": Blackout,
    "cyber": Cyber,
    "drought": Drought,
    "earthquake": Earthquake,
    "epidemic": Epidemic,
    "flood": Flood,
    "heatwave": Heatwave,
}

__all__ = [
    "HAZARD_KINDS",
    "HAZARD_MODELS",
    "Blackout",
    "Cyber",
    "Drought",
    "Earthquake",
    "Epidemic",
    "Flood",
    "Hazard",
    "HazardModel",
    "Heatwave",
    "Impact",
    "parse_hazard",
    "sample_hazards",
]
