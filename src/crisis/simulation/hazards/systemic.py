"""Epidemic, cyber-attack, blackout and drought: hazards that act on people and systems."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from crisis.simulation.city import GROUP_TYPES, SECTORS, City
from crisis.simulation.hazards.base import HAZARD_KINDS, HazardModel, Impact


class Epidemic(HazardModel):
    """An SIR epidemic already under way: staff fall ill and hospitals fill.

    ``dS/dt = −β·S·I``, ``dI/dt = β·S·I − γ·I`` with ``γ = 1 / infectious_days`` and
    ``β = R0·γ``; R0 scatters lognormally between scenarios. Available workforce is
    ``1 − absentee_factor · I(t)`` (the ill and those caring for them) and health demand is
    ``1 + hospital_load · I(t)``.
    """

    kind: Literal["epidemic"] = "epidemic"
    r0: float = Field(default=2.5, gt=0.0, le=20.0)
    r0_sigma: float = Field(default=0.2, ge=0.0, le=2.0)
    infectious_days: float = Field(default=7.0, ge=0.5, le=60.0)
    initial_infected: float = Field(default=0.02, gt=0.0, lt=1.0)
    absentee_factor: float = Field(default=1.5, ge=0.0, le=10.0)
    hospital_load: float = Field(default=10.0, ge=0.0, le=1000.0)
    annual_probability: float = Field(default=0.02, gt=0.0, le=1.0)

    def infected(self, n: int, rng: np.random.Generator, horizon: int) -> np.ndarray:
        """``(H, S)`` infectious share each hour (Euler steps of one hour)."""
        gamma = 1.0 / (self.infectious_days * 24.0)
        beta = self.r0 * np.exp(rng.normal(0.0, self.r0_sigma, n)) * gamma
        s = np.full(n, 1.0 - self.initial_infected)
        i = np.full(n, self.initial_infected)
        out = np.empty((horizon, n), dtype=np.float32)
        for t in range(horizon):
            out[t] = i
            new = beta * s * i
            s, i = s - new, i + new - gamma * i
        return out

    def sample(self, city: City, n: int, rng: np.random.Generator, horizon: int) -> Impact:
        impact = Impact.empty(city, n, self.annual_probability)
        infected = self.infected(n, rng, horizon)
        impact.workforce = np.clip(1.0 - self.absentee_factor * infected, 0.05, 1.0)
        impact.health_demand = (1.0 + self.hospital_load * infected).astype(np.float32)
        return impact


class Cyber(HazardModel):
    """Malware that enters ICT assets and spreads along control links.

    ``initial`` telecom or sensor assets are compromised; each hop, an asset with a control
    group whose member is compromised is compromised too with ``hop_probability``, unless a
    segmentation boundary protects it. Compromised assets stop until IT restores them
    (lognormal ``restore_hours``; no field crew needed).
    """

    kind: Literal["cyber"] = "cyber"
    initial: int = Field(default=1, ge=1, le=10_000)
    hop_probability: float = Field(default=0.5, ge=0.0, le=1.0)
    max_hops: int = Field(default=10, ge=0, le=1000)
    restore_hours: float = Field(default=24.0, gt=0.0, le=10_000.0)
    restore_beta: float = Field(default=0.5, ge=0.0, le=3.0)
    annual_probability: float = Field(default=0.05, gt=0.0, le=1.0)

    def sample(self, city: City, n: int, rng: np.random.Generator, horizon: int) -> Impact:
        impact = Impact.empty(city, n, self.annual_probability)
        # Entry can be any ICT asset; segmentation only stops the spread. Every draw has a
        # fixed size so plans compare on common random numbers.
        ict = np.flatnonzero(
            np.isin(city.sector, [SECTORS.index("telecom"), SECTORS.index("sensor")])
        )
        if ict.size == 0:
            return impact
        hit = np.zeros((city.n_assets, n), dtype=bool)
        k = min(self.initial, ict.size)
        first = np.argsort(rng.uniform(size=(ict.size, n)), axis=0)[:k]
        hit[ict[first], np.broadcast_to(np.arange(n), first.shape)] = True
        control = city.group_type == GROUP_TYPES.index("control")
        if control.any():
            ctl = city.group_matrix[control]
            owners = city.owner_matrix[:, control]
            # Each asset falls, when reached, with hop_probability (one draw per asset).
            open_ = ~city.segmented[:, None]
            open_ = open_ & (rng.uniform(size=hit.shape) < self.hop_probability)
            for _ in range(self.max_hops):
                reached = (owners @ (ctl @ hit.astype(np.float32) > 0.5)) > 0.5
                new = reached & ~hit & open_
                if not new.any():
                    break
                hit |= new
        impact.damaged = hit
        impact.cause[hit] = HAZARD_KINDS.index("cyber")
        z = rng.standard_normal(hit.shape)
        hours = self.restore_hours * np.exp(self.restore_beta * z)
        impact.repair_hours = np.where(hit, hours, 0.0).astype(np.float32)
        return impact


class Blackout(HazardModel):
    """Loss of power sources (a transmission fault upstream); they come back on their own."""

    kind: Literal["blackout"] = "blackout"
    sources: list[str] | None = Field(default=None, description="power source ids; default all")
    outage_hours: float = Field(default=12.0, gt=0.0, le=10_000.0, description="median outage")
    outage_beta: float = Field(default=0.5, ge=0.0, le=3.0)
    annual_probability: float = Field(default=0.1, gt=0.0, le=1.0)

    def sample(self, city: City, n: int, rng: np.random.Generator, horizon: int) -> Impact:
        if self.sources is None:
            rows = np.flatnonzero(city.source & (city.sector == SECTORS.index("power")))
        else:
            rows = np.asarray([city.asset_index(s) for s in self.sources], dtype=np.intp)
        return _outage(
            city,
            n,
            rng,
            rows,
            "blackout",
            self.annual_probability,
            self.outage_hours,
            self.outage_beta,
            1.0,
        )


class Drought(HazardModel):
    """Water sources run dry: each fails with ``share`` and recovers after the rains."""

    kind: Literal["drought"] = "drought"
    share: float = Field(default=0.5, ge=0.0, le=1.0, description="chance a source fails")
    duration_hours: float = Field(default=720.0, gt=0.0, le=100_000.0)
    duration_beta: float = Field(default=0.3, ge=0.0, le=3.0)
    annual_probability: float = Field(default=0.05, gt=0.0, le=1.0)

    def sample(self, city: City, n: int, rng: np.random.Generator, horizon: int) -> Impact:
        rows = np.flatnonzero(city.source & (city.sector == SECTORS.index("water")))
        return _outage(
            city,
            n,
            rng,
            rows,
            "drought",
            self.annual_probability,
            self.duration_hours,
            self.duration_beta,
            self.share,
        )


def _outage(
    city: City,
    n: int,
    rng: np.random.Generator,
    rows: np.ndarray,
    kind: str,
    probability: float,
    median: float,
    beta: float,
    share: float,
) -> Impact:
    impact = Impact.empty(city, n, probability)
    hit = rng.uniform(size=(rows.size, n)) < share
    hours = median * np.exp(beta * rng.standard_normal(n))
    impact.damaged[rows] = hit
    impact.repair_hours[rows] = np.where(hit, hours[None, :], 0.0)
    impact.cause[rows] = np.where(hit, HAZARD_KINDS.index(kind), 0)
    return impact
