"""Interventions as data: what a city can buy to be more resilient, and what it costs.

A plan is a list of interventions; :func:`apply_plan` returns a new :class:`City` with them
in place (the original is never changed). Plan files are YAML::

    interventions:
      - kind: flood_protect      # a barrier around the named assets
        assets: [S12, P7]
        height_m: 1.5
      - kind: crews              # more crews for a sector
        sector: power
        local: 2

Kinds and their default unit costs (EUR; set ``cost`` to use your own quote):

================  ==================================================  =====================
``harden``        multiply fragility medians by ``factor`` (≥ 1)     150,000 per asset
``flood_protect`` barrier of ``height_m`` around each asset           60,000 per asset·m
``raise``         lift equipment by ``metres`` (elevation)            100,000 per asset·m
``backup``        generator/battery of ``hours`` at each asset        1,500 per asset·hour
``redundant_feed``  ``asset`` gains ``member`` in its ``type`` group  250,000 each
``crews``         ``local``/``mutual_aid`` crews for ``sector``       120,000 per crew
``segmentation``  cyber segmentation boundary at each asset          30,000 per asset
``early_warning`` sensors and alerts giving ``hours`` of lead time    400,000
================  ==================================================  =====================
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from crisis.exceptions import SimulationError
from crisis.simulation.city import GROUP_TYPES, SECTORS, City, Crews
from crisis.simulation.cityfile import line_of, load_yaml


class _Intervention(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cost: float | None = Field(default=None, ge=0.0, description="EUR; default from unit costs")
    label: str | None = None

    def unit_cost(self, city: City) -> float:
        """Default cost when ``cost`` is not given."""
        raise NotImplementedError  # pragma: no cover - every kind overrides it

    def total_cost(self, city: City) -> float:
        """Cost in EUR: ``cost`` if given, else from unit costs."""
        return float(self.cost) if self.cost is not None else self.unit_cost(city)

    def describe(self) -> str:
        """One line for tables (``label`` when given)."""
        return self.label or self._text()

    def _text(self) -> str:
        return str(self.model_dump(exclude_none=True, exclude={"label"}))

    def apply(self, city: City) -> City:
        """``city`` with this intervention in place."""
        raise NotImplementedError  # pragma: no cover


class _OnAssets(_Intervention):
    assets: list[str] = Field(min_length=1)

    def rows(self, city: City) -> np.ndarray:
        return np.asarray([city.asset_index(a) for a in self.assets], dtype=np.intp)

    def _where(self) -> str:
        more = f" and {len(self.assets) - 3} more" if len(self.assets) > 3 else ""
        return ", ".join(self.assets[:3]) + more


class Harden(_OnAssets):
    """Stronger equipment: every fragility median is multiplied by ``factor``."""

    kind: Literal["harden"] = "harden"
    factor: float = Field(default=1.5, ge=1.0, le=10.0)

    def _text(self) -> str:
        return f"harden {self._where()} (fragility medians × {self.factor:g})"

    def unit_cost(self, city: City) -> float:
        return 150_000.0 * len(self.assets)

    def apply(self, city: City) -> City:
        med = city.fragility_median.copy()
        med[self.rows(city)] *= self.factor
        return city.replace(fragility_median=med)


class FloodProtect(_OnAssets):
    """A barrier around each asset: dry until the water overtops ``height_m``."""

    kind: Literal["flood_protect"] = "flood_protect"
    height_m: float = Field(default=1.0, gt=0.0, le=20.0)

    def _text(self) -> str:
        return f"flood barrier {self.height_m:g} m at {self._where()}"

    def unit_cost(self, city: City) -> float:
        return 60_000.0 * self.height_m * len(self.assets)

    def apply(self, city: City) -> City:
        height = city.flood_protection.copy()
        rows = self.rows(city)
        height[rows] = np.maximum(height[rows], self.height_m)
        return city.replace(flood_protection=height)


class Raise(_OnAssets):
    """Equipment lifted above the floor by ``metres``."""

    kind: Literal["raise"] = "raise"
    metres: float = Field(default=1.0, gt=0.0, le=20.0)

    def _text(self) -> str:
        return f"raise {self._where()} by {self.metres:g} m"

    def unit_cost(self, city: City) -> float:
        return 100_000.0 * self.metres * len(self.assets)

    def apply(self, city: City) -> City:
        elevation = city.elevation.copy()
        elevation[self.rows(city)] += self.metres
        return city.replace(elevation=elevation)


class Backup(_OnAssets):
    """A generator (or batteries) of ``hours`` at each asset."""

    kind: Literal["backup"] = "backup"
    hours: float = Field(default=48.0, gt=0.0, le=10_000.0)

    def _text(self) -> str:
        return f"{self.hours:g} h backup generator at {self._where()}"

    def unit_cost(self, city: City) -> float:
        return 1_500.0 * self.hours * len(self.assets)

    def apply(self, city: City) -> City:
        hours = city.backup_hours.copy()
        rows = self.rows(city)
        hours[rows] = np.maximum(hours[rows], self.hours)
        return city.replace(backup_hours=hours)


class RedundantFeed(_Intervention):
    """A second supply: ``member`` joins ``asset``'s first group of ``type``."""

    kind: Literal["redundant_feed"] = "redundant_feed"
    asset: str
    member: str
    type: Literal["supply", "control", "access", "workforce"] = "supply"

    def _text(self) -> str:
        return f"second {self.type} feed for {self.asset} from {self.member}"

    def unit_cost(self, city: City) -> float:
        return 250_000.0

    def apply(self, city: City) -> City:
        owner, member = city.asset_index(self.asset), city.asset_index(self.member)
        code = GROUP_TYPES.index(self.type)
        match = [g for g in city.groups_of(owner) if city.group_type[g] == code]
        if not match:
            raise SimulationError(
                f"redundant_feed: asset '{self.asset}' has no '{self.type}' group to extend"
            )
        g = match[0]
        if member in city.members_of(g):
            return city
        at = int(city.group_indptr[g + 1])
        members = np.insert(city.group_members, at, member)
        indptr = city.group_indptr.copy()
        indptr[g + 1 :] += 1
        return city.replace(group_members=members, group_indptr=indptr)


class ExtraCrews(_Intervention):
    """More repair crews for a sector (local now, mutual aid after its delay)."""

    kind: Literal["crews"] = "crews"
    sector: str
    local: int = Field(default=0, ge=0, le=10_000)
    mutual_aid: int = Field(default=0, ge=0, le=10_000)
    mutual_aid_delay_hours: float | None = Field(default=None, ge=0.0, le=10_000.0)

    def _text(self) -> str:
        return f"+{self.local} local / +{self.mutual_aid} mutual-aid {self.sector} crews"

    def unit_cost(self, city: City) -> float:
        return 120_000.0 * (self.local + self.mutual_aid)

    def apply(self, city: City) -> City:
        if self.sector not in SECTORS:
            raise SimulationError(f"crews: field 'sector' = {self.sector!r} is not a sector")
        old = city.crews_for(self.sector)
        delay = self.mutual_aid_delay_hours
        new = Crews(
            old.local + self.local,
            old.mutual_aid + self.mutual_aid,
            old.mutual_aid_delay_hours if delay is None else delay,
        )
        return city.replace(crews={**city.crews, self.sector: new})


class Segmentation(_OnAssets):
    """A cyber segmentation boundary: malware cannot spread into these assets."""

    kind: Literal["segmentation"] = "segmentation"

    def _text(self) -> str:
        return f"cyber segmentation at {self._where()}"

    def unit_cost(self, city: City) -> float:
        return 30_000.0 * len(self.assets)

    def apply(self, city: City) -> City:
        segmented = city.segmented.copy()
        segmented[self.rows(city)] = True
        return city.replace(segmented=segmented)


class EarlyWarning(_Intervention):
    """Sensors and alerts: ``hours`` of lead time (sandbags, mutual aid called early)."""

    kind: Literal["early_warning"] = "early_warning"
    hours: float = Field(default=12.0, gt=0.0, le=720.0)

    def _text(self) -> str:
        return f"early warning, {self.hours:g} h lead time"

    def unit_cost(self, city: City) -> float:
        return 400_000.0

    def apply(self, city: City) -> City:
        return city.replace(warning_hours=max(city.warning_hours, self.hours))


Intervention = Annotated[
    Harden
    | FloodProtect
    | Raise
    | Backup
    | RedundantFeed
    | ExtraCrews
    | Segmentation
    | EarlyWarning,
    Field(discriminator="kind"),
]
KINDS: tuple[str, ...] = (
    "backup",
    "crews",
    "early_warning",
    "flood_protect",
    "harden",
    "raise",
    "redundant_feed",
    "segmentation",
)
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Intervention)


def parse_intervention(data: Mapping[str, Any], where: str = "intervention") -> _Intervention:
    """Validate one intervention mapping; errors name ``where``, the field and the value."""
    clean = {k: v for k, v in data.items() if k != "__line__"}
    kind = clean.get("kind")
    if kind not in KINDS:
        raise SimulationError(
            f"{where}: field 'kind' = {kind!r} is not a known intervention; "
            f"expected one of {', '.join(KINDS)}"
        )
    try:
        result: _Intervention = _ADAPTER.validate_python(clean)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if p != kind)
        raise SimulationError(
            f"{where}: field '{field}' = {first.get('input')!r}: {first['msg']}"
        ) from None
    return result


def read_plan(path: str | os.PathLike[str]) -> list[_Intervention]:
    """Read a plan YAML file (``interventions: [...]``), naming file:line on errors."""
    file = Path(path)
    data = load_yaml(file)
    items = data.get("interventions") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise SimulationError(f"{file.name}:1: expected a list under 'interventions'")
    return [
        parse_intervention(item, f"{file.name}:{line_of(item) or '?'}")
        if isinstance(item, dict)
        else _bad(file.name)
        for item in items
    ]


def _bad(name: str) -> _Intervention:
    raise SimulationError(f"{name}: every intervention must be a mapping with a 'kind'")


def as_plan(plan: Sequence[_Intervention | Mapping[str, Any]] | None) -> list[_Intervention]:
    """Interventions from models or plain mappings."""
    return [
        p if isinstance(p, _Intervention) else parse_intervention(p, f"plan[{i}]")
        for i, p in enumerate(plan or [])
    ]


def apply_plan(city: City, plan: Sequence[_Intervention | Mapping[str, Any]] | None) -> City:
    """A new city with every intervention of ``plan`` in place, in order."""
    for item in as_plan(plan):
        city = item.apply(city)
    return city


def plan_cost(city: City, plan: Sequence[_Intervention | Mapping[str, Any]] | None) -> float:
    """Total cost of ``plan`` in EUR."""
    return sum(item.total_cost(city) for item in as_plan(plan))


InterventionModel = _Intervention
