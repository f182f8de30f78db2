"""What every hazard returns, and the sampling helpers hazards share.

A hazard turns into *outages*: for each scenario, the assets it takes out, each with the
hour it goes out, the hour work on it (or its own recovery clock) can start, the hours of
work or outage after that, whether a repair crew is needed, the cause and the intensity
(PGA, peak depth, …). A flood takes assets out as the water reaches them and lets crews in
once it has gone; an earthquake takes them out at hour 0. Outages are kept sparse, grouped
by scenario, so that an ensemble of a million assets holds only what was hit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy import special

from crisis.simulation.city import FRAGILITY_MEASURES, City

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int32]

#: Cause codes stored per outage; 0 = not damaged.
HAZARD_KINDS: tuple[str, ...] = (
    "none",
    "earthquake",
    "flood",
    "heatwave",
    "epidemic",
    "cyber",
    "blackout",
    "drought",
    "outage",
)
#: Cities and scenarios up to this many cells keep the intensity at every asset (for maps,
#: explanations and tests); larger ensembles keep it only where something happened.
DETAIL_CELLS = 4_000_000


class HazardModel(BaseModel):
    """Base of hazard parameter models: data, validated, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample(self, city: City, draw: Draw) -> Outages:
        """The outages of ``draw.n`` scenarios of this hazard on ``city``."""
        raise NotImplementedError  # pragma: no cover - every hazard overrides it

    def expected_ready(self, city: City) -> npt.NDArray[np.float64]:
        """``(N,)`` hour work on each asset can typically start (0 unless a flood holds it)."""
        return np.zeros(city.n_assets)


@dataclass(frozen=True)
class Draw:
    """Where a hazard's random numbers come from, and what is asked of it.

    Attributes:
        seed: The ensemble's seed (see :mod:`crisis.simulation.draws`).
        first: Number of the first scenario in the ensemble.
        n: Scenarios to sample.
        horizon: Hours simulated.
        detail: Keep the intensity at every asset (``(N, n)`` array), not only at outages.
    """

    seed: int
    first: int
    n: int
    horizon: int
    detail: bool

    @property
    def scenarios(self) -> npt.NDArray[np.int64]:
        """Numbers of the scenarios in the ensemble."""
        return np.arange(self.first, self.first + self.n, dtype=np.int64)


@dataclass
class Outages:
    """Outages of some scenarios as flat arrays (one entry per asset and scenario hit).

    Attributes:
        scenario: Scenario (0 … n-1, local to the draw) of each entry.
        asset: Asset index.
        cause: Code into :data:`HAZARD_KINDS`.
        intensity: Intensity at the asset (PGA g, peak depth m, …), NaN if none.
        down: Hour the asset goes out.
        ready: Hour work can start (a flooded asset must be dry) or its outage clock starts.
        hours: Hours of work (with a crew) or of outage after ``ready`` (without).
        crew: A repair crew is needed.
        damaged: Damage that needs repair or an outage of the asset itself; ``False`` for an
            asset only out while water stands on it (a flooded road).
    """

    scenario: npt.NDArray[np.int64]
    asset: IntArray
    cause: npt.NDArray[np.int8]
    intensity: FloatArray
    down: FloatArray
    ready: FloatArray
    hours: FloatArray
    crew: BoolArray
    damaged: BoolArray
    probability: npt.NDArray[np.float64]
    workforce: FloatArray | None = None
    health_demand: FloatArray | None = None
    exposure: FloatArray | None = None

    @classmethod
    def none(cls, n: int, probability: float) -> Outages:
        """Nothing out in ``n`` scenarios sharing ``probability`` of annual probability."""
        i64, f32 = np.zeros(0, np.int64), np.zeros(0, np.float32)
        return cls(
            scenario=i64,
            asset=np.zeros(0, np.int32),
            cause=np.zeros(0, np.int8),
            intensity=f32,
            down=f32,
            ready=f32,
            hours=f32,
            crew=np.zeros(0, bool),
            damaged=np.zeros(0, bool),
            probability=np.full(n, probability / n),
        )

    @classmethod
    def of(
        cls,
        scenario: npt.ArrayLike,
        asset: npt.ArrayLike,
        cause: int,
        probability: npt.NDArray[np.float64],
        *,
        hours: npt.ArrayLike,
        crew: npt.ArrayLike = False,
        down: npt.ArrayLike = 0.0,
        ready: npt.ArrayLike | None = None,
        intensity: npt.ArrayLike = np.nan,
        damaged: npt.ArrayLike = True,
    ) -> Outages:
        """Entries from arrays (scalars broadcast)."""
        s = np.asarray(scenario, dtype=np.int64).ravel()
        k = s.size

        def col(values: npt.ArrayLike, dtype: type) -> npt.NDArray:
            return np.broadcast_to(np.asarray(values, dtype=dtype), (k,)).copy()

        down_col = col(down, np.float32)
        return cls(
            scenario=s,
            asset=col(asset, np.int32),
            cause=np.full(k, cause, dtype=np.int8),
            intensity=col(intensity, np.float32),
            down=down_col,
            ready=down_col.copy() if ready is None else col(ready, np.float32),
            hours=col(hours, np.float32),
            crew=col(crew, np.bool_),
            damaged=col(damaged, np.bool_),
            probability=probability,
        )


def _pick(a: FloatArray | None, b: FloatArray | None, how: np.ufunc) -> FloatArray | None:
    if a is None:
        return b
    if b is None:
        return a
    return np.asarray(how(a, b), dtype=np.float32)


@dataclass
class Impact:
    """The outages of ``S`` scenarios, grouped by scenario.

    Entries ``ptr[s]:ptr[s+1]`` belong to scenario ``s`` and are sorted by asset; each
    asset appears at most once per scenario (see :class:`Outages` for the fields). Dense
    ``(N, S)`` views — :attr:`damaged`, :attr:`repair_hours`, :attr:`crew`,
    :attr:`cause`, :attr:`intensity` — are built on demand for small uses.

    Attributes:
        n_assets: Assets of the city.
        probability: ``(S,)`` annual probability of each scenario.
        workforce: ``(H, S)`` share of staff able to work each hour, or ``None`` (all).
        health_demand: ``(H, S)`` health-care demand relative to normal, or ``None`` (1).
        exposure: ``(N, S)`` intensity at every asset when sampled in detail, else ``None``.
    """

    n_assets: int
    probability: npt.NDArray[np.float64]
    ptr: npt.NDArray[np.int64]
    asset: IntArray
    cause_code: npt.NDArray[np.int8]
    value: FloatArray
    down: FloatArray
    ready: FloatArray
    hours: FloatArray
    needs_crew: BoolArray
    is_damage: BoolArray
    workforce: FloatArray | None = None
    health_demand: FloatArray | None = None
    exposure: FloatArray | None = None
    _dense: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def n_scenarios(self) -> int:
        """Number of scenarios ``S``."""
        return len(self.probability)

    @property
    def shape(self) -> tuple[int, int]:
        """``(N, S)``."""
        return self.n_assets, self.n_scenarios

    @cached_property
    def entry_scenario(self) -> npt.NDArray[np.int64]:
        """Scenario of each entry."""
        return np.repeat(np.arange(self.n_scenarios), np.diff(self.ptr))

    @classmethod
    def from_outages(cls, n_assets: int, outages: Outages) -> Impact:
        """Group entries by scenario and asset; merge an asset hit twice in a scenario.

        A merged asset goes out at the earlier hour, can be worked on at the later ready
        hour, needs the longer work and a crew if either does; it keeps the cause of its
        first entry.
        """
        o = outages
        n = len(o.probability)
        if o.scenario.size == 0 or (
            np.all(o.scenario[1:] >= o.scenario[:-1]) and _unique_per_scenario(o, n_assets)
        ):
            return cls(
                n_assets=n_assets,
                probability=o.probability,
                ptr=np.searchsorted(o.scenario, np.arange(n + 1)).astype(np.int64),
                asset=o.asset.astype(np.int32, copy=False),
                cause_code=o.cause.astype(np.int8, copy=False),
                value=o.intensity.astype(np.float32, copy=False),
                down=o.down.astype(np.float32, copy=False),
                ready=o.ready.astype(np.float32, copy=False),
                hours=o.hours.astype(np.float32, copy=False),
                needs_crew=o.crew.astype(bool, copy=False),
                is_damage=o.damaged.astype(bool, copy=False),
                workforce=o.workforce,
                health_demand=o.health_demand,
                exposure=o.exposure,
            )
        key = o.scenario * np.int64(n_assets) + o.asset
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.ones(key.size, dtype=bool)
        first[1:] = key[1:] != key[:-1]
        group = np.cumsum(first) - 1
        starts = np.flatnonzero(first)

        def take(a: np.ndarray) -> np.ndarray:
            return a[order][starts]

        def reduce(a: np.ndarray, how: np.ufunc) -> np.ndarray:
            out = take(a).copy()
            how.at(out, group, a[order])
            return out

        scen = take(o.scenario)
        ptr = np.searchsorted(scen, np.arange(n + 1)).astype(np.int64)
        return cls(
            n_assets=n_assets,
            probability=o.probability,
            ptr=ptr,
            asset=take(o.asset).astype(np.int32),
            cause_code=take(o.cause).astype(np.int8),
            value=take(o.intensity).astype(np.float32),
            down=reduce(o.down, np.minimum).astype(np.float32),
            ready=reduce(o.ready, np.maximum).astype(np.float32),
            hours=reduce(o.hours, np.maximum).astype(np.float32),
            needs_crew=reduce(o.crew, np.logical_or).astype(bool),
            is_damage=reduce(o.damaged, np.logical_or).astype(bool),
            workforce=o.workforce,
            health_demand=o.health_demand,
            exposure=o.exposure,
        )

    @classmethod
    def empty(cls, city: City, n: int, probability: float) -> Impact:
        """No outage in ``n`` scenarios sharing ``probability`` of annual probability."""
        return cls.from_outages(city.n_assets, Outages.none(n, probability))

    @classmethod
    def from_dense(
        cls,
        damaged: npt.ArrayLike,
        repair_hours: npt.ArrayLike,
        *,
        crew: npt.ArrayLike | None = None,
        cause: npt.ArrayLike | None = None,
        intensity: npt.ArrayLike | None = None,
        probability: float = 0.01,
    ) -> Impact:
        """Damage given as ``(N, S)`` arrays, all at hour 0 (hand-made cases and tests).

        ``crew`` defaults to every damaged asset; ``cause`` to ``none``.
        """
        hit = np.asarray(damaged, dtype=bool)
        n, s = hit.shape
        a, j = np.nonzero(hit)
        hours = np.broadcast_to(np.asarray(repair_hours, dtype=np.float32), hit.shape)[a, j]
        crews = hit if crew is None else np.asarray(crew, dtype=bool)
        causes = np.zeros(hit.shape, np.int8) if cause is None else np.asarray(cause, np.int8)
        values = (
            np.full(hit.shape, np.nan, np.float32)
            if intensity is None
            else np.asarray(intensity, np.float32)
        )
        outages = Outages(
            scenario=j.astype(np.int64),
            asset=a.astype(np.int32),
            cause=causes[a, j],
            intensity=values[a, j],
            down=np.zeros(a.size, np.float32),
            ready=np.zeros(a.size, np.float32),
            hours=hours,
            crew=crews[a, j],
            damaged=np.ones(a.size, bool),
            probability=np.full(s, probability / s),
        )
        return cls.from_outages(n, outages)

    def combine(self, other: Impact) -> Impact:
        """Both impacts at once: the first keeps its probability; an asset hit by both
        goes out at the earlier hour and needs the longer repair."""
        s = self.n_scenarios

        def entries(imp: Impact) -> Outages:
            return Outages(
                scenario=imp.entry_scenario,
                asset=imp.asset,
                cause=imp.cause_code,
                intensity=imp.value,
                down=imp.down,
                ready=imp.ready,
                hours=imp.hours,
                crew=imp.needs_crew,
                damaged=imp.is_damage,
                probability=imp.probability,
            )

        a, b = entries(self), entries(other)
        columns = {f: np.concatenate([getattr(a, f), getattr(b, f)]) for f in _ENTRY_FIELDS}
        merged = Outages(**columns, probability=self.probability)
        out = Impact.from_outages(self.n_assets, merged)
        out.workforce = _pick(self.workforce, other.workforce, np.minimum)
        out.health_demand = _pick(self.health_demand, other.health_demand, np.maximum)
        if self.exposure is not None and other.exposure is not None:
            out.exposure = np.where(np.isnan(self.exposure), other.exposure, self.exposure)
        else:
            out.exposure = self.exposure if self.exposure is not None else other.exposure
        assert out.n_scenarios == s
        return out

    def column(self, j: int) -> Impact:
        """Scenario ``j`` alone, as a one-scenario impact."""
        lo, hi = int(self.ptr[j]), int(self.ptr[j + 1])
        cut = slice(lo, hi)
        return Impact(
            n_assets=self.n_assets,
            probability=self.probability[j : j + 1].copy(),
            ptr=np.array([0, hi - lo], dtype=np.int64),
            asset=self.asset[cut].copy(),
            cause_code=self.cause_code[cut].copy(),
            value=self.value[cut].copy(),
            down=self.down[cut].copy(),
            ready=self.ready[cut].copy(),
            hours=self.hours[cut].copy(),
            needs_crew=self.needs_crew[cut].copy(),
            is_damage=self.is_damage[cut].copy(),
            workforce=None if self.workforce is None else self.workforce[:, j : j + 1].copy(),
            health_demand=None
            if self.health_demand is None
            else self.health_demand[:, j : j + 1].copy(),
            exposure=None if self.exposure is None else self.exposure[:, j : j + 1].copy(),
        )

    def count_damaged(self) -> npt.NDArray[np.int64]:
        """``(S,)`` assets damaged (or out by themselves) in each scenario."""
        return np.bincount(self.entry_scenario[self.is_damage], minlength=self.n_scenarios).astype(
            np.int64
        )

    # -- dense views (N × S) for small uses --------------------------------------------------
    def _scatter(self, name: str, values: np.ndarray, fill: object, mask: np.ndarray) -> np.ndarray:
        if name not in self._dense:
            out = np.full(self.shape, fill, dtype=values.dtype)
            out[self.asset[mask], self.entry_scenario[mask]] = values[mask]
            out.setflags(write=False)
            self._dense[name] = out
        return self._dense[name]

    @property
    def damaged(self) -> BoolArray:
        """``(N, S)`` assets damaged or out by themselves (not a road only under water)."""
        return self._scatter("damaged", self.is_damage, False, self.is_damage)

    @property
    def out(self) -> BoolArray:
        """``(N, S)`` assets out at some hour (damaged, or a road under water)."""
        every = np.ones(self.asset.size, dtype=bool)
        return self._scatter("out", every, False, every)

    @property
    def repair_hours(self) -> FloatArray:
        """``(N, S)`` work or outage hours of each damaged asset; 0 elsewhere."""
        return self._scatter("repair_hours", self.hours, 0.0, self.is_damage)

    @property
    def crew(self) -> BoolArray:
        """``(N, S)`` damage that needs a repair crew."""
        return self._scatter("crew", self.needs_crew, False, self.is_damage)

    @property
    def cause(self) -> npt.NDArray[np.int8]:
        """``(N, S)`` code into :data:`HAZARD_KINDS` of each outage (0 = none)."""
        every = np.ones(self.asset.size, dtype=bool)
        return self._scatter("cause", self.cause_code, 0, every)

    @property
    def intensity(self) -> FloatArray:
        """``(N, S)`` intensity at each asset (everywhere when sampled in detail)."""
        if self.exposure is not None:
            return self.exposure
        every = np.ones(self.asset.size, dtype=bool)
        return self._scatter("intensity", self.value, np.float32(np.nan), every)

    def timing(self, name: str) -> FloatArray:
        """``(N, S)`` ``down`` or ``ready`` hour of each outage (NaN where none)."""
        every = np.ones(self.asset.size, dtype=bool)
        return self._scatter(name, getattr(self, name), np.float32(np.nan), every)


def _unique_per_scenario(o: Outages, n_assets: int) -> bool:
    """No asset twice in one scenario (entries already grouped by scenario)."""
    from crisis.simulation.hazards.compiled import grouped_unique

    return bool(grouped_unique(o.scenario, o.asset.astype(np.int64), n_assets))


_ENTRY_FIELDS = (
    "scenario",
    "asset",
    "cause",
    "intensity",
    "down",
    "ready",
    "hours",
    "crew",
    "damaged",
)


def repair_times(
    city: City, rows: npt.NDArray[np.intp], scenarios: npt.NDArray[np.int64], seed: int
) -> npt.NDArray[np.float32]:
    """``(len(rows), len(scenarios))`` lognormal repair hours (median and beta per asset).

    Each asset's number is addressed by the scenario and the asset (common random numbers
    whatever else a plan changes).
    """
    from crisis.simulation import draws

    z = draws.grid(seed, "repair", rows, scenarios)
    median = city.repair_median[rows][:, None]
    return np.asarray(median * np.exp(city.repair_beta[rows][:, None] * z), dtype=np.float32)


def damage_probability(
    city: City, measure: str, intensity: FloatArray, rows: npt.NDArray[np.intp]
) -> FloatArray:
    """``Φ((ln IM − ln θ) / β)`` for ``rows``: the fragility curve the hazards sample."""
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
