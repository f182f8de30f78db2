"""Earthquake, flood and heatwave: intensity fields and fragility-driven damage."""

from __future__ import annotations

import weakref
from typing import Any, Literal

import numpy as np
from pydantic import Field

from crisis.simulation import draws
from crisis.simulation.city import FRAGILITY_MEASURES, NETWORKS, City
from crisis.simulation.hazards import compiled
from crisis.simulation.hazards.base import (
    HAZARD_KINDS,
    Draw,
    HazardModel,
    Outages,
    vulnerable_rows,
)

_STREAMS = (draws.STREAMS["flood.local"], draws.STREAMS["fragility"], draws.STREAMS["repair"])
_QUAKE_STREAMS = (
    draws.STREAMS["quake.intra"],
    draws.STREAMS["fragility"],
    draws.STREAMS["repair"],
)
_SORTED: weakref.WeakKeyDictionary[City, dict[float, tuple[np.ndarray, np.ndarray]]] = (
    weakref.WeakKeyDictionary()
)


def _exposure(city: City, draw: Draw, rows: np.ndarray) -> np.ndarray:
    """Dense intensity (zero at exposed rows, NaN elsewhere) when detail is asked for."""
    if not draw.detail:
        return np.zeros((1, 1), dtype=np.float32)
    out = np.full((city.n_assets, draw.n), np.nan, dtype=np.float32)
    out[rows] = 0.0
    return out


class Earthquake(HazardModel):
    """Ground shaking from one earthquake with random scatter.

    ``ln PGA = a + b·M − c·ln(R + d) + η + ε``: ``R`` is the hypocentral distance in km,
    ``η ~ N(0, inter_sigma)`` is shared by a scenario and ``ε ~ N(0, intra_sigma)`` varies by
    asset. The default coefficients give about 0.3 g at 10 km from an M 6.5 event; fit them to
    a published attenuation relation for real studies. Everything damaged is out from hour 0.
    """

    kind: Literal["earthquake"] = "earthquake"
    magnitude: float = Field(default=6.5, ge=3.0, le=9.5, description="moment magnitude")
    epicentre_x: float | None = Field(default=None, description="m, default: city centre")
    epicentre_y: float | None = Field(default=None, description="m, default: city centre")
    depth_km: float = Field(default=10.0, ge=0.0, le=700.0)
    a: float = Field(default=-3.5, ge=-20.0, le=20.0)
    b: float = Field(default=0.9, ge=0.0, le=5.0)
    c: float = Field(default=1.2, ge=0.0, le=5.0)
    d: float = Field(default=10.0, ge=0.0, le=100.0)
    inter_sigma: float = Field(default=0.3, ge=0.0, le=3.0)
    intra_sigma: float = Field(default=0.5, ge=0.0, le=3.0)
    annual_rate: float = Field(default=1 / 475, gt=0.0, le=1.0, description="events per year")

    def sample(self, city: City, draw: Draw) -> Outages:
        ex = float(np.mean(city.x)) if self.epicentre_x is None else self.epicentre_x
        ey = float(np.mean(city.y)) if self.epicentre_y is None else self.epicentre_y
        rows = vulnerable_rows(city, "earthquake")
        dist = np.hypot(city.x[rows] - ex, city.y[rows] - ey) / 1000.0
        r = np.hypot(dist, self.depth_km)
        ln_pga = self.a + self.b * self.magnitude - self.c * np.log(r + self.d)
        etas = self.inter_sigma * draws.grid(draw.seed, "quake.inter", [0], draw.scenarios)[0]
        k = FRAGILITY_MEASURES.index("earthquake")
        exposure = _exposure(city, draw, rows)
        ptr, asset, value, hours = compiled.earthquake(
            draws.seed_word(draw.seed),
            draw.scenarios,
            etas,
            rows.astype(np.int64),
            ln_pga.astype(np.float64),
            float(self.intra_sigma),
            np.ascontiguousarray(city.fragility_median[:, k]),
            np.ascontiguousarray(city.fragility_beta[:, k]),
            city.repair_median,
            city.repair_beta,
            np.asarray(_QUAKE_STREAMS, dtype=np.uint64),
            draw.detail,
            exposure,
        )
        scenario = np.repeat(np.arange(draw.n), np.diff(ptr))
        out = Outages.of(
            scenario,
            asset,
            HAZARD_KINDS.index("earthquake"),
            np.full(draw.n, self.annual_rate / draw.n),
            hours=hours,
            crew=True,
            intensity=value,
        )
        out.exposure = exposure if draw.detail else None
        return out


class Flood(HazardModel):
    """River or surface flooding that rises, peaks and recedes.

    The peak stage follows a Gumbel law; with ``return_period`` set, every scenario is that
    flood (stage quantile plus ``stage_sigma`` scatter) and carries ``1 / return_period / S``
    of annual probability; with ``return_period`` unset each scenario is one sampled year.
    The stage rises linearly from the river's normal level (0 m, the elevation datum) to the
    peak over ``rise_hours``, stays there ``peak_hours`` and falls back over
    ``recession_hours``. At an asset the water stands ``local`` higher (a scatter per asset);
    its depth at the peak is ``peak + local − elevation``. A barrier (``flood_protection``)
    keeps the asset dry until the water overtops it; a warning of 6 hours or more lets crews
    sandbag exposed assets (+0.3 m).

    An asset the fragility curve says is damaged goes out when the water overtops its
    barrier, and work on it can start only once the water has left it. Roads and
    intersections are impassable while more than ``passable_depth_m`` of water stands on
    them, damaged or not.
    """

    kind: Literal["flood"] = "flood"
    return_period: float | None = Field(default=100.0, ge=1.01, le=100_000.0, description="years")
    gumbel_location: float = Field(default=2.0, ge=-100.0, le=10_000.0, description="m")
    gumbel_scale: float = Field(default=0.6, gt=0.0, le=100.0, description="m")
    stage_sigma: float = Field(default=0.3, ge=0.0, le=20.0, description="m, scenario scatter")
    local_sigma: float = Field(default=0.2, ge=0.0, le=20.0, description="m, per-asset scatter")
    rise_hours: float = Field(default=12.0, ge=0.0, le=2_000.0, description="h to the peak")
    peak_hours: float = Field(default=12.0, ge=0.0, le=2_000.0, description="h at the peak")
    recession_hours: float = Field(
        default=36.0, ge=0.0, le=10_000.0, description="h from the peak back to normal"
    )
    passable_depth_m: float = Field(default=0.3, ge=0.0, le=10.0, description="m on a road")

    def stage(self, return_period: float) -> float:
        """Flood stage (m) with the given return period."""
        p = 1.0 - 1.0 / return_period
        return float(self.gumbel_location - self.gumbel_scale * np.log(-np.log(p)))

    def peaks(self, draw: Draw) -> np.ndarray:
        """``(n,)`` peak stage (m) of each scenario."""
        if self.return_period is None:
            u = draws.grid(draw.seed, "flood.year", [0], draw.scenarios, "uniform")[0]
            peak = self.gumbel_location - self.gumbel_scale * np.log(-np.log(u))
        else:
            z = draws.grid(draw.seed, "flood.stage", [0], draw.scenarios)[0]
            peak = self.stage(self.return_period) + self.stage_sigma * z
        return np.maximum(peak, 0.0)

    def sample(self, city: City, draw: Draw) -> Outages:
        probability = 1.0 if self.return_period is None else 1.0 / self.return_period
        sandbags = 0.3 if city.warning_hours >= 6 else 0.0
        barrier = city.flood_protection + sandbags
        rows, thr = _wettable(city, sandbags)
        k = FRAGILITY_MEASURES.index("flood")
        road = city.network == NETWORKS.index("roads")
        exposure = _exposure(city, draw, np.flatnonzero(~np.isnan(city.fragility_median[:, k])))
        ptr, asset, value, down, ready, hours, crew = compiled.flood(
            draws.seed_word(draw.seed),
            draw.scenarios,
            self.peaks(draw),
            draws.Z_MAX * self.local_sigma,
            rows,
            thr,
            city.elevation,
            barrier,
            np.ascontiguousarray(city.fragility_median[:, k]),
            np.ascontiguousarray(city.fragility_beta[:, k]),
            road,
            city.repair_median,
            city.repair_beta,
            float(self.local_sigma),
            float(self.passable_depth_m),
            float(self.rise_hours),
            float(self.peak_hours),
            float(self.recession_hours),
            np.asarray(_STREAMS, dtype=np.uint64),
            draw.detail,
            exposure,
        )
        scenario = np.repeat(np.arange(draw.n), np.diff(ptr))
        out = Outages.of(
            scenario,
            asset,
            HAZARD_KINDS.index("flood"),
            np.full(draw.n, probability / draw.n),
            hours=hours,
            crew=crew,
            down=down,
            ready=ready,
            intensity=value,
            damaged=crew,
        )
        out.exposure = exposure if draw.detail else None
        return out

    def expected_ready(self, city: City) -> np.ndarray:
        """Hour the water leaves each asset in a typical flood (its median peak stage)."""
        if self.return_period is None:
            peak = self.gumbel_location - self.gumbel_scale * np.log(np.log(2.0))
        else:
            peak = self.stage(self.return_period)
        wet = city.elevation < peak
        fall = (
            self.rise_hours
            + self.peak_hours
            + self.recession_hours * (1.0 - np.clip(city.elevation, 0.0, None) / max(peak, 1e-9))
        )
        return np.where(wet, fall, 0.0)

    def water_level(self, peak: float, hours: Any) -> np.ndarray:
        """Stage (m) at ``hours`` for a flood peaking at ``peak`` (for maps and tests)."""
        t = np.asarray(hours, dtype=float)
        rise, hold, fall = self.rise_hours, self.peak_hours, self.recession_hours
        up = np.where(rise > 0, peak * np.minimum(t / max(rise, 1e-9), 1.0), peak)
        down = np.where(
            fall > 0, peak * (1.0 - np.clip((t - rise - hold) / max(fall, 1e-9), 0, 1)), 0.0
        )
        return np.asarray(np.where(t <= rise + hold, up, down))


def _wettable(city: City, sandbags: float) -> tuple[np.ndarray, np.ndarray]:
    """Assets that can get wet (a flood curve, or on a road), sorted by ground + barrier."""
    cached = _SORTED.setdefault(city, {})
    if sandbags not in cached:
        k = FRAGILITY_MEASURES.index("flood")
        wettable = ~np.isnan(city.fragility_median[:, k]) | (
            city.network == NETWORKS.index("roads")
        )
        rows = np.flatnonzero(wettable)
        thr = city.elevation[rows] + city.flood_protection[rows] + sandbags
        order = np.argsort(thr, kind="stable")
        cached[sandbags] = (rows[order].astype(np.int64), thr[order].astype(np.float64))
    return cached[sandbags]


class Heatwave(HazardModel):
    """Days above the design temperature: equipment derates and health demand rises.

    The heat excess (°C over design) of a scenario is normal around ``excess_c``; assets with
    a heatwave fragility fail on it; health demand rises by ``health_surge_per_c`` per degree
    (scaled up by the city's vulnerable share) for ``duration_hours``.
    """

    kind: Literal["heatwave"] = "heatwave"
    excess_c: float = Field(default=5.0, ge=0.0, le=30.0)
    excess_sigma: float = Field(default=1.5, ge=0.0, le=10.0)
    duration_hours: int = Field(default=72, ge=1, le=10_000)
    health_surge_per_c: float = Field(default=0.04, ge=0.0, le=1.0)
    annual_probability: float = Field(default=0.1, gt=0.0, le=1.0)

    def sample(self, city: City, draw: Draw) -> Outages:
        z = draws.grid(draw.seed, "heat.excess", [0], draw.scenarios)[0]
        excess = np.maximum(self.excess_c + self.excess_sigma * z, 0.0)
        rows = vulnerable_rows(city, "heatwave")
        k = FRAGILITY_MEASURES.index("heatwave")
        out = _fragility(
            city, draw, rows, np.broadcast_to(excess, (rows.size, draw.n)), k, "heatwave"
        )
        out.probability = np.full(draw.n, self.annual_probability / draw.n)
        pop = city.district_population
        vulnerable = float(pop @ city.district_vulnerable / pop.sum()) if pop.sum() else 0.0
        surge = 1.0 + self.health_surge_per_c * excess * (1.0 + vulnerable)
        hours = np.arange(draw.horizon)[:, None] < self.duration_hours
        out.health_demand = np.where(hours, surge[None, :], 1.0).astype(np.float32)
        return out


def _fragility(
    city: City, draw: Draw, rows: np.ndarray, im: np.ndarray, k: int, kind: str
) -> Outages:
    """Outages from a fragility curve at a given intensity (dense draws: small hazards)."""
    z = draws.grid(draw.seed, "fragility", rows, draw.scenarios)
    theta = city.fragility_median[rows, k][:, None]
    beta = city.fragility_beta[rows, k][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        hit = (im > 0) & (np.log(im) > np.log(theta) + beta * z)
    i, j = np.nonzero(hit)
    a = rows[i]
    zr = draws.pairs(draw.seed, "repair", a, draw.scenarios[j])
    hours = city.repair_median[a] * np.exp(city.repair_beta[a] * zr)
    out = Outages.of(
        j,
        a,
        HAZARD_KINDS.index(kind),
        np.full(draw.n, 1.0 / draw.n),
        hours=hours,
        crew=True,
        intensity=np.asarray(im)[i, j],
    )
    if draw.detail:
        exposure = np.full((city.n_assets, draw.n), np.nan, dtype=np.float32)
        exposure[rows] = im
        out.exposure = exposure
    return out
