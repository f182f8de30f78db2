"""Measures that act on people rather than equipment: evacuation and public information.

The simulator models equipment, networks and crews (its interventions, including early
warning and mutual-aid crews). What residents do is modelled here, on the simulator's own
results, scenario by scenario, so common random numbers are kept:

* ``evacuate`` (placed on a district, before a forecast flood or heatwave): a share of the
  district's residents (``share``) leave for shelters or relatives before the event and come
  back when service returns. While away their hours without service in the district do not
  count, and they are not exposed to the flood. Cost: ``cost_per_person`` for each resident
  moved (transport, shelter and meals for a few days).
* ``public_information`` (city-wide): a preparedness campaign before the season and clear
  messages during the event. The households it reaches (``reach``) keep drinking water for
  ``hours`` hours, so that part of a water outage does not count for them, and they follow
  warnings: their share of flood fatalities falls by ``fatality_cut``. Cost: ``cost``.

The figures are illustrative defaults for training, not measured effects; an author sets
them per exercise. An evacuated resident is not counted twice: the campaign's effect applies
to the residents who stayed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crisis.exceptions import SimulationError
from crisis.simulation.city import SERVICES, City

FloatArray = npt.NDArray[np.float64]


class Evacuate(BaseModel):
    """Evacuating part of a district before the event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    share: float = Field(default=0.7, gt=0.0, le=1.0)
    cost_per_person: float = Field(default=100.0, ge=0.0, le=100_000.0, description="EUR")


class PublicInformation(BaseModel):
    """A public-information campaign: stored water and warnings followed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reach: float = Field(default=0.3, gt=0.0, le=1.0)
    hours: float = Field(default=72.0, gt=0.0, le=336.0)
    fatality_cut: float = Field(default=0.5, ge=0.0, le=1.0)
    cost: float = Field(default=150_000.0, ge=0.0, le=1e9, description="EUR")


EFFECTS: dict[str, type[BaseModel]] = {
    "evacuate": Evacuate,
    "public_information": PublicInformation,
}


def parse_effect(kind: str, params: Mapping[str, Any], where: str = "measure") -> BaseModel:
    """The effect's settings, validated; errors name ``where``, the field and the value."""
    model = EFFECTS.get(kind)
    if model is None:
        raise SimulationError(f"{where}: '{kind}' is not a measure on people")
    try:
        return model.model_validate(dict(params))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise SimulationError(
            f"{where}: field 'params.{field}' = {first.get('input')!r}: {first['msg']}"
        ) from None


def evacuation_cost(city: City, district: str, settings: Evacuate) -> float:
    """EUR to evacuate ``settings.share`` of ``district``'s residents."""
    d = city.district_ids.index(district)
    return float(round(settings.share * city.district_population[d]) * settings.cost_per_person)


class PeopleEffects:
    """The people-side measures of a plan: evacuated shares per district, the campaign.

    Args:
        city: The city.
        placements: ``(kind, district or None, settings)`` of each people-side placement.
    """

    def __init__(
        self, city: City, placements: Sequence[tuple[str, str | None, BaseModel]] = ()
    ) -> None:
        self.evacuated = np.zeros(city.n_districts)
        self.information: PublicInformation | None = None
        for kind, district, settings in placements:
            if kind == "evacuate" and isinstance(settings, Evacuate) and district is not None:
                d = city.district_ids.index(district)
                self.evacuated[d] = max(self.evacuated[d], settings.share)
            elif kind == "public_information" and isinstance(settings, PublicInformation):
                self.information = settings
        pop = city.district_population
        self.stayed = float((pop * (1.0 - self.evacuated)).sum() / max(pop.sum(), 1.0))

    @property
    def empty(self) -> bool:
        """Whether the plan has no people-side measure."""
        return not self.evacuated.any() and self.information is None

    def reduction(
        self,
        district_hours: FloatArray,
        served: npt.NDArray[np.floating[Any]],
        population: FloatArray,
    ) -> FloatArray:
        """``(S,)`` people-hours without service that the measures take off each scenario.

        Args:
            district_hours: ``(D, S)`` people-hours without service of each district.
            served: ``(len(SERVICES), H, S)`` share served per service and hour.
            population: ``(len(SERVICES),)`` people who take each service.
        """
        out = (self.evacuated[:, None] * district_hours).sum(axis=0)
        info = self.information
        if info is not None:
            k = SERVICES.index("water")
            first = served[k, : int(np.ceil(info.hours))].astype(np.float64)
            water = (1.0 - first).sum(axis=0) * population[k]
            out = out + info.reach * self.stayed * water
        return np.asarray(out, dtype=np.float64)

    def fatality_factor(self, district: npt.NDArray[np.integer[Any]]) -> FloatArray:
        """Share of the flood fatalities that remains at residents of each given district."""
        d = np.asarray(district)
        left = np.where(d >= 0, 1.0 - self.evacuated[np.maximum(d, 0)], 1.0)
        if self.information is not None:
            left = left * (1.0 - self.information.reach * self.information.fatality_cut)
        return np.asarray(left, dtype=np.float64)
