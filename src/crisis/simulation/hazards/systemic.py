"""Epidemic, cyber-attack, blackout, drought and given outage sets: hazards that act on
people and systems, or outages stated outright."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from crisis.exceptions import SimulationError
from crisis.simulation import draws
from crisis.simulation.city import GROUP_TYPES, SECTORS, City
from crisis.simulation.hazards.base import HAZARD_KINDS, Draw, HazardModel, Outages


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

    def infected(self, draw: Draw) -> np.ndarray:
        """``(H, S)`` infectious share each hour (Euler steps of one hour)."""
        gamma = 1.0 / (self.infectious_days * 24.0)
        z = draws.grid(draw.seed, "epidemic.r0", [0], draw.scenarios)[0]
        beta = self.r0 * np.exp(self.r0_sigma * z) * gamma
        n = draw.n
        s = np.full(n, 1.0 - self.initial_infected)
        i = np.full(n, self.initial_infected)
        out = np.empty((draw.horizon, n), dtype=np.float32)
        for t in range(draw.horizon):
            out[t] = i
            new = beta * s * i
            s, i = s - new, i + new - gamma * i
        return out

    def sample(self, city: City, draw: Draw) -> Outages:
        out = Outages.none(draw.n, self.annual_probability)
        infected = self.infected(draw)
        out.workforce = np.clip(1.0 - self.absentee_factor * infected, 0.05, 1.0).astype(np.float32)
        out.health_demand = (1.0 + self.hospital_load * infected).astype(np.float32)
        return out


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

    def sample(self, city: City, draw: Draw) -> Outages:
        n = draw.n
        probability = np.full(n, self.annual_probability / n)
        # Entry can be any ICT asset; segmentation only stops the spread.
        ict = np.flatnonzero(
            np.isin(city.sector, [SECTORS.index("telecom"), SECTORS.index("sensor")])
        )
        if ict.size == 0:
            return Outages.none(n, self.annual_probability)
        hit = np.zeros((city.n_assets, n), dtype=bool)
        k = min(self.initial, ict.size)
        entry = draws.grid(draw.seed, "cyber.entry", ict, draw.scenarios, "uniform")
        first = np.argsort(entry, axis=0, kind="stable")[:k]
        hit[ict[first], np.broadcast_to(np.arange(n), first.shape)] = True
        control = city.group_type == GROUP_TYPES.index("control")
        if control.any():
            ctl = city.group_matrix[control]
            owners = city.owner_matrix[:, control]
            # Each asset falls, when reached, with hop_probability (one number per asset).
            hop = draws.grid(
                draw.seed, "cyber.hop", np.arange(city.n_assets), draw.scenarios, "uniform"
            )
            open_ = ~city.segmented[:, None] & (hop < self.hop_probability)
            for _ in range(self.max_hops):
                reached = (owners @ (ctl @ hit.astype(np.float32) > 0.5)) > 0.5
                new = reached & ~hit & open_
                if not new.any():
                    break
                hit |= new
        a, j = np.nonzero(hit)
        z = draws.pairs(draw.seed, "cyber.restore", a, draw.scenarios[j])
        hours = self.restore_hours * np.exp(self.restore_beta * z)
        return Outages.of(j, a, HAZARD_KINDS.index("cyber"), probability, hours=hours)


class Blackout(HazardModel):
    """Loss of power sources (a transmission fault upstream); they come back on their own."""

    kind: Literal["blackout"] = "blackout"
    sources: list[str] | None = Field(default=None, description="power source ids; default all")
    outage_hours: float = Field(default=12.0, gt=0.0, le=10_000.0, description="median outage")
    outage_beta: float = Field(default=0.5, ge=0.0, le=3.0)
    annual_probability: float = Field(default=0.1, gt=0.0, le=1.0)

    def sample(self, city: City, draw: Draw) -> Outages:
        if self.sources is None:
            rows = np.flatnonzero(city.source & (city.sector == SECTORS.index("power")))
        else:
            rows = np.asarray([city.asset_index(s) for s in self.sources], dtype=np.intp)
        return _outage(
            draw,
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

    def sample(self, city: City, draw: Draw) -> Outages:
        rows = np.flatnonzero(city.source & (city.sector == SECTORS.index("water")))
        return _outage(
            draw,
            rows,
            "drought",
            self.annual_probability,
            self.duration_hours,
            self.duration_beta,
            self.share,
        )


def _outage(
    draw: Draw,
    rows: np.ndarray,
    kind: str,
    probability: float,
    median: float,
    beta: float,
    share: float,
) -> Outages:
    n = draw.n
    hit = draws.grid(draw.seed, "outage.hit", rows, draw.scenarios, "uniform") < share
    z = draws.grid(draw.seed, "outage.duration", [0], draw.scenarios)[0]
    hours = median * np.exp(beta * z)
    i, j = np.nonzero(hit)
    return Outages.of(
        j, rows[i], HAZARD_KINDS.index(kind), np.full(n, probability / n), hours=hours[j]
    )


class OutageItem(BaseModel):
    """One asset out in an outage set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    asset: str = Field(min_length=1)
    hours: float = Field(gt=0.0, le=100_000.0, description="repair work, or outage length")
    start: float = Field(default=0.0, ge=0.0, le=100_000.0, description="hour it goes out")
    crew: bool = Field(default=True, description="a repair crew is needed")


class OutageSet(BaseModel):
    """A named set of assets out together: one scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    outages: list[OutageItem] = Field(min_length=1)


class GivenOutages(HazardModel):
    """Outages stated outright ("these lines, transformers and buses out"), no sampling.

    Scenario ``s`` of an ensemble is outage set ``s mod len(sets)``; each set is equally
    likely, and the sets together carry ``annual_probability``. An outage with a crew takes
    its ``hours`` of work once a crew reaches it; one without comes back ``hours`` after it
    went out. See ``docs/simulation.md`` for the file format (``crisis sim run --outages``).
    """

    kind: Literal["outages"] = "outages"
    sets: list[OutageSet] = Field(min_length=1)
    annual_probability: float = Field(default=1.0, gt=0.0, le=1.0)

    def sample(self, city: City, draw: Draw) -> Outages:
        rows: list[int] = []
        scen: list[int] = []
        hours: list[float] = []
        start: list[float] = []
        crew: list[bool] = []
        for j, s in enumerate(draw.scenarios):
            chosen = self.sets[int(s) % len(self.sets)]
            for k, item in enumerate(chosen.outages):
                if item.asset not in city.index:
                    name = chosen.name or f"sets[{int(s) % len(self.sets)}]"
                    raise SimulationError(
                        f"outage set {name!r}: outages[{k}].asset names '{item.asset}', "
                        f"which is not an asset of '{city.name}'"
                    )
                rows.append(city.index[item.asset])
                scen.append(j)
                hours.append(item.hours)
                start.append(item.start)
                crew.append(item.crew)
        return Outages.of(
            scen,
            rows,
            HAZARD_KINDS.index("outage"),
            np.full(draw.n, self.annual_probability / draw.n),
            hours=hours,
            crew=crew,
            down=np.ceil(np.asarray(start, dtype=float)),
        )
