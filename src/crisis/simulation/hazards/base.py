"""What every hazard returns, and the sampling helpers hazards share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy import special

from crisis.simulation.city import FRAGILITY_MEASURES, City

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

#: Cause codes stored per asset and scenario; 0 = not damaged.
HAZARD_KINDS: tuple[str, ...] = (
    "none",
    "earthquake",
    "flood",
    "heatwave",
    "epidemic",
    "cyber",
    "blackout",
    "drought",
)


class HazardModel(BaseModel):
    """Base of hazard parameter models: data, validated, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample(self, city: City, n: int, rng: np.random.Generator, horizon: int) -> Impact:
        """Sample ``n`` scenarios of this hazard on ``city`` over ``horizon`` hours."""
        raise NotImplementedError  # pragma: no cover - every hazard overrides it


@dataclass
class Impact:
    """The initial damage of ``S`` scenarios.

    Attributes:
        damaged: ``(N, S)`` assets out of service at the start.
        repair_hours: ``(N, S)`` work (or outage) hours each damaged asset needs; 0 elsewhere.
        crew: ``(N, S)`` damage that needs a repair crew; other damage clears by itself after
            ``repair_hours`` (a blackout ends, an IT team restores systems).
        cause: ``(N, S)`` code into :data:`HAZARD_KINDS` of the hazard that did the damage.
        intensity: ``(N, S)`` intensity measure at the asset (PGA g, depth m, …), NaN if none.
        probability: ``(S,)`` annual probability of each scenario.
        workforce: ``(H, S)`` share of staff able to work each hour, or ``None`` (all).
        health_demand: ``(H, S)`` health-care demand relative to normal, or ``None`` (1).
    """

    damaged: BoolArray
    repair_hours: FloatArray
    crew: BoolArray
    cause: npt.NDArray[np.int8]
    intensity: FloatArray
    probability: npt.NDArray[np.float64]
    workforce: FloatArray | None = None
    health_demand: FloatArray | None = None

    @classmethod
    def empty(cls, city: City, n: int, probability: float) -> Impact:
        """No damage in ``n`` scenarios, each with annual probability ``probability / n``."""
        shape = (city.n_assets, n)
        return cls(
            damaged=np.zeros(shape, dtype=bool),
            repair_hours=np.zeros(shape, dtype=np.float32),
            crew=np.zeros(shape, dtype=bool),
            cause=np.zeros(shape, dtype=np.int8),
            intensity=np.full(shape, np.nan, dtype=np.float32),
            probability=np.full(n, probability / n),
        )

    def combine(self, other: Impact) -> Impact:
        """Both impacts at once: the first keeps its probability; repairs take the longer."""
        new = other.damaged & ~self.damaged
        workforce = _pick(self.workforce, other.workforce, np.minimum)
        demand = _pick(self.health_demand, other.health_demand, np.maximum)
        return Impact(
            damaged=self.damaged | other.damaged,
            repair_hours=np.maximum(self.repair_hours, other.repair_hours),
            crew=self.crew | other.crew,
            cause=np.where(new, other.cause, self.cause).astype(np.int8),
            intensity=np.where(new, other.intensity, self.intensity).astype(np.float32),
            probability=self.probability,
            workforce=workforce,
            health_demand=demand,
        )


def _pick(a: FloatArray | None, b: FloatArray | None, how: np.ufunc) -> FloatArray | None:
    if a is None:
        return b
    if b is None:
        return a
    return np.asarray(how(a, b), dtype=np.float32)


def sample_repairs(
    city: City, rows: npt.NDArray[np.intp], n: int, rng: np.random.Generator
) -> FloatArray:
    """``(len(rows), n)`` lognormal repair hours (median and beta per asset).

    Drawn for every row whether damaged or not, so that a plan that changes which assets
    fail still sees the same random numbers (common random numbers in comparisons).
    """
    z = rng.standard_normal((rows.size, n))
    median = city.repair_median[rows][:, None]
    return np.asarray(median * np.exp(city.repair_beta[rows][:, None] * z), dtype=np.float32)


def fragility_damage(
    city: City,
    measure: str,
    intensity: FloatArray,
    rows: npt.NDArray[np.intp],
    rng: np.random.Generator,
) -> BoolArray:
    """Sample damage of ``rows`` from lognormal fragility curves.

    ``P(damage | IM) = Φ((ln IM − ln θ) / β)`` is sampled by inverse CDF for all scenarios at
    once: damage ⇔ ``ln IM > ln θ + β·z`` with ``z ~ N(0, 1)``.

    Args:
        city: The city.
        measure: One of :data:`~crisis.simulation.city.FRAGILITY_MEASURES`.
        intensity: ``(len(rows), S)`` intensity at those assets (≤ 0 means no exposure).
        rows: Asset indices with a curve for ``measure``.
        rng: Random generator.
    """
    k = FRAGILITY_MEASURES.index(measure)
    theta = city.fragility_median[rows, k][:, None]
    beta = city.fragility_beta[rows, k][:, None]
    z = rng.standard_normal(intensity.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray((intensity > 0) & (np.log(intensity) > np.log(theta) + beta * z))


def damage_probability(
    city: City, measure: str, intensity: FloatArray, rows: npt.NDArray[np.intp]
) -> FloatArray:
    """``Φ((ln IM − ln θ) / β)`` for ``rows`` (the curve :func:`fragility_damage` samples)."""
    k = FRAGILITY_MEASURES.index(measure)
    theta = city.fragility_median[rows, k][:, None]
    beta = city.fragility_beta[rows, k][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(np.where(intensity > 0, intensity, np.nan)) - np.log(theta)) / beta
    return np.nan_to_num(special.ndtr(z), nan=0.0).astype(np.float32)


def vulnerable_rows(city: City, measure: str) -> npt.NDArray[np.intp]:
    """Assets with a fragility curve for ``measure``."""
    k = FRAGILITY_MEASURES.index(measure)
    return np.flatnonzero(~np.isnan(city.fragility_median[:, k]))


def impact_column(impact: Impact, j: int) -> Impact:
    """Scenario ``j`` of ``impact`` alone, as a one-scenario impact."""
    cut = slice(j, j + 1)
    return Impact(
        damaged=impact.damaged[:, cut].copy(),
        repair_hours=impact.repair_hours[:, cut].copy(),
        crew=impact.crew[:, cut].copy(),
        cause=impact.cause[:, cut].copy(),
        intensity=impact.intensity[:, cut].copy(),
        probability=impact.probability[cut].copy(),
        workforce=None if impact.workforce is None else impact.workforce[:, cut].copy(),
        health_demand=None if impact.health_demand is None else impact.health_demand[:, cut].copy(),
    )
