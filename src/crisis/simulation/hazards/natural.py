"""Earthquake, flood and heatwave: intensity fields and fragility-driven damage."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from crisis.simulation.city import City
from crisis.simulation.hazards.base import (
    HAZARD_KINDS,
    HazardModel,
    Impact,
    fragility_damage,
    sample_repairs,
    vulnerable_rows,
)


def _apply(
    impact: Impact,
    city: City,
    measure: str,
    rows: np.ndarray,
    im: np.ndarray,
    rng: np.random.Generator,
) -> Impact:
    hit = fragility_damage(city, measure, im, rows, rng)
    impact.damaged[rows] = hit
    impact.intensity[rows] = im
    impact.cause[rows] = np.where(hit, HAZARD_KINDS.index(measure), 0)
    impact.crew[rows] = hit
    impact.repair_hours[rows] = np.where(hit, sample_repairs(city, rows, hit.shape[1], rng), 0)
    return impact


class Earthquake(HazardModel):
    """Ground shaking from one earthquake with random scatter.

    ``ln PGA = a + b·M − c·ln(R + d) + η + ε``: ``R`` is the hypocentral distance in km,
    ``η ~ N(0, inter_sigma)`` is shared by a scenario and ``ε ~ N(0, intra_sigma)`` varies by
    asset. The default coefficients give about 0.3 g at 10 km from an M 6.5 event; fit them to
    a published attenuation relation for real studies.
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

    def sample(self, city: City, n: int, rng: np.random.Generator, horizon: int) -> Impact:
        impact = Impact.empty(city, n, self.annual_rate)
        ex = float(np.mean(city.x)) if self.epicentre_x is None else self.epicentre_x
        ey = float(np.mean(city.y)) if self.epicentre_y is None else self.epicentre_y
        rows = vulnerable_rows(city, "earthquake")
        dist = np.hypot(city.x[rows] - ex, city.y[rows] - ey) / 1000.0
        r = np.hypot(dist, self.depth_km)
        ln_pga = self.a + self.b * self.magnitude - self.c * np.log(r + self.d)
        eta = rng.normal(0.0, self.inter_sigma, n)
        eps = rng.normal(0.0, self.intra_sigma, (rows.size, n))
        im = np.exp(ln_pga[:, None] + eta[None, :] + eps).astype(np.float32)
        return _apply(impact, city, "earthquake", rows, im, rng)


class Flood(HazardModel):
    """River or surface flooding: depth = max(0, stage − elevation) at each asset.

    The annual maximum stage follows a Gumbel law; with ``return_period`` set, every scenario
    is that flood (stage quantile plus ``stage_sigma`` scatter) and carries
    ``1 / return_period / S`` of annual probability; with ``return_period`` unset each scenario
    is one sampled year. A barrier (``flood_protection``) keeps the asset dry until the water
    overtops it. A warning of 6 hours or more lets crews sandbag exposed assets (+0.3 m).
    """

    kind: Literal["flood"] = "flood"
    return_period: float | None = Field(default=100.0, ge=1.01, le=100_000.0, description="years")
    gumbel_location: float = Field(default=2.0, ge=-100.0, le=10_000.0, description="m")
    gumbel_scale: float = Field(default=0.6, gt=0.0, le=100.0, description="m")
    stage_sigma: float = Field(default=0.3, ge=0.0, le=20.0, description="m, scenario scatter")
    local_sigma: float = Field(default=0.2, ge=0.0, le=20.0, description="m, per-asset scatter")

    def stage(self, return_period: float) -> float:
        """Flood stage (m) with the given return period."""
        p = 1.0 - 1.0 / return_period
        return float(self.gumbel_location - self.gumbel_scale * np.log(-np.log(p)))

    def sample(self, city: City, n: int, rng: np.random.Generator, horizon: int) -> Impact:
        if self.return_period is None:
            impact = Impact.empty(city, n, 1.0)
            u = rng.uniform(size=n)
            stage = self.gumbel_location - self.gumbel_scale * np.log(-np.log(u))
        else:
            impact = Impact.empty(city, n, 1.0 / self.return_period)
            stage = self.stage(self.return_period) + rng.normal(0.0, self.stage_sigma, n)
        rows = vulnerable_rows(city, "flood")
        local = rng.normal(0.0, self.local_sigma, (rows.size, n))
        depth = stage[None, :] + local - city.elevation[rows, None]
        barrier = city.flood_protection[rows] + (0.3 if city.warning_hours >= 6 else 0.0)
        depth = np.where(depth > barrier[:, None], depth, 0.0).astype(np.float32)
        return _apply(impact, city, "flood", rows, depth, rng)


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

    def sample(self, city: City, n: int, rng: np.random.Generator, horizon: int) -> Impact:
        impact = Impact.empty(city, n, self.annual_probability)
        excess = np.maximum(rng.normal(self.excess_c, self.excess_sigma, n), 0.0)
        rows = vulnerable_rows(city, "heatwave")
        im = np.broadcast_to(excess, (rows.size, n)).astype(np.float32)
        _apply(impact, city, "heatwave", rows, im, rng)
        pop = city.district_population
        vulnerable = float(pop @ city.district_vulnerable / pop.sum()) if pop.sum() else 0.0
        surge = 1.0 + self.health_surge_per_c * excess * (1.0 + vulnerable)
        hours = np.arange(horizon)[:, None] < self.duration_hours
        impact.health_demand = np.where(hours, surge[None, :], 1.0).astype(np.float32)
        return impact
