"""Estimate a hazard's people and infrastructure impact classes from simulator results.

The simulator reports, per service, distributions over an ensemble of scenarios of the
*equivalent outage hours* (∫(1 − Q) dt, the population-weighted hours of lost service) and of
the *people-hours without service*. This module maps them onto the register's 1–5 classes:

- **people**: people-hours without the worst-hit service per resident, in hours — below 3
  → 1; below 24 → 2; below 96 → 3; below 336 (two weeks) → 4; 336 or more → 5;
- **infrastructure**: equivalent outage hours of the worst-hit service — below 4 → 1; below
  24 → 2; below 120 → 3; below 336 (two weeks) → 4; 336 or more → 5.

The thresholds follow the written anchors of ``data/impact_anchors.yaml`` and can be replaced.
Uncertainty is carried through by mapping p5, p50 and p95 separately; the p50 class is the
estimate. Taking the worst service percentile by percentile gives the percentiles of the
worst service when one service dominates, and slightly understates them otherwise.

:func:`from_summary` reads the ``{service: {metric: {p5, p50, p95, ...}}}`` summary of the
simulator's metrics module; :func:`simulate_impact` runs an ensemble of one hazard on a city
model and maps it in one call.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crisis.exceptions import ContentError
from crisis.seeding import RandomLike, as_generator
from crisis.workbench.register import Hazard
from crisis.workbench.taxonomy import Taxonomy, bundled_taxonomy

PEOPLE_BOUNDS: tuple[float, ...] = (3.0, 24.0, 96.0, 336.0)
INFRASTRUCTURE_BOUNDS: tuple[float, ...] = (4.0, 24.0, 120.0, 336.0)
QUANTILES: tuple[str, ...] = ("p5", "p50", "p95")


@dataclass(frozen=True)
class Spread:
    """A distribution summarised by its 5th, 50th and 95th percentiles."""

    p5: float
    p50: float
    p95: float

    def __post_init__(self) -> None:
        values = (self.p5, self.p50, self.p95)
        if not all(math.isfinite(v) and v >= 0 for v in values):
            raise ContentError(f"percentiles must be finite and non-negative, got {values}")
        if not self.p5 <= self.p50 <= self.p95:
            raise ContentError(f"percentiles must satisfy p5 ≤ p50 ≤ p95, got {values}")


@dataclass(frozen=True)
class SimulatedImpact:
    """What an ensemble run of one hazard reports, reduced to what the mapping needs.

    Attributes:
        population: Residents of the city.
        people_hours: People-hours without service, per service.
        outage_hours: Equivalent outage hours per service (``"power"``, ``"water"``, …).
    """

    population: float
    people_hours: dict[str, Spread] = field(default_factory=dict)
    outage_hours: dict[str, Spread] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.population > 0:
            raise ContentError(f"population must be positive, got {self.population}")
        if not self.outage_hours or not self.people_hours:
            raise ContentError("outage_hours and people_hours need at least one service")


@dataclass(frozen=True)
class ClassEstimate:
    """An impact class with its uncertainty range."""

    dimension: str
    value: Spread
    p5: int
    p50: int
    p95: int

    @property
    def level(self) -> int:
        """The estimate: the class of the median."""
        return self.p50

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "dimension": self.dimension,
            "value": self.value.__dict__,
            "class": self.p50,
            "range": [self.p5, self.p95],
        }


def impact_class(value: float, bounds: tuple[float, ...]) -> int:
    """The class 1–5 of ``value`` given the four upper bounds of classes 1–4."""
    return bisect.bisect_right(bounds, value) + 1


def _classes(dimension: str, value: Spread, bounds: tuple[float, ...]) -> ClassEstimate:
    return ClassEstimate(
        dimension=dimension,
        value=value,
        p5=impact_class(value.p5, bounds),
        p50=impact_class(value.p50, bounds),
        p95=impact_class(value.p95, bounds),
    )


def estimate_impact(result: SimulatedImpact) -> dict[str, ClassEstimate]:
    """People and infrastructure classes, each with its p5–p95 range."""
    people = result.people_hours.values()
    per_resident = Spread(
        *(max(getattr(s, q) for s in people) / result.population for q in QUANTILES)
    )
    worst = Spread(*(max(getattr(s, q) for s in result.outage_hours.values()) for q in QUANTILES))
    return {
        "people": _classes("people", per_resident, PEOPLE_BOUNDS),
        "infrastructure": _classes("infrastructure", worst, INFRASTRUCTURE_BOUNDS),
    }


def from_summary(
    summary: Mapping[str, Mapping[str, Mapping[str, Any]]], population: float
) -> SimulatedImpact:
    """Read the simulator's per-service ensemble summary.

    Args:
        summary: ``{service: {"eoh": {"p5", "p50", "p95"}, "people_hours": {...}}}``.
        population: Residents of the city.

    Raises:
        ContentError: A service lacks ``eoh`` or ``people_hours`` percentiles.
    """
    outage: dict[str, Spread] = {}
    people: dict[str, Spread] = {}
    for service, metrics in summary.items():
        try:
            eoh = [float(metrics["eoh"][q]) for q in QUANTILES]
            hours = [float(metrics["people_hours"][q]) for q in QUANTILES]
        except (KeyError, TypeError, ValueError):
            raise ContentError(
                f"summary for service {service!r} needs eoh and people_hours with p5, p50, p95"
            ) from None
        outage[service] = Spread(*eoh)
        people[service] = Spread(*hours)
    return SimulatedImpact(population=population, people_hours=people, outage_hours=outage)


def apply_estimate(hazard: Hazard, scenario: str, estimates: Mapping[str, ClassEstimate]) -> Hazard:
    """A copy of ``hazard`` whose scenario takes the estimated classes (version unchanged).

    The caller saves it through :func:`crisis.workbench.register.save_hazard`, which checks
    for concurrent edits.
    """
    chosen = hazard.scenario(scenario)
    impacts = chosen.impacts.model_copy(update={d: e.level for d, e in estimates.items()})
    updated = chosen.model_copy(update={"impacts": impacts})
    return hazard.model_copy(update={scenario: updated})


def simulate_impact(
    city: Any,
    hazard: Mapping[str, Any],
    *,
    scenarios: int = 200,
    horizon: int = 336,
    rng: RandomLike = None,
) -> dict[str, ClassEstimate]:
    """Run an ensemble of one hazard on a city model and estimate the impact classes.

    Args:
        city: A :class:`crisis.simulation.city.City`.
        hazard: The simulator's hazard mapping, e.g. ``{"kind": "flood", "return_period": 100}``.
        scenarios: Ensemble size.
        horizon: Hours simulated after the event.
        rng: Seed or generator.

    Raises:
        SimulationError: The hazard cannot be simulated on this city.
    """
    from crisis.simulation.hazards import parse_hazard, sample_hazards
    from crisis.simulation.metrics import scenario_metrics, service_population, summarise
    from crisis.simulation.recovery import simulate

    model = parse_hazard(hazard)
    impact = sample_hazards([model], city, scenarios, as_generator(rng), horizon)
    timeline = simulate(city, impact, horizon=horizon)
    population, vulnerable = service_population(city)
    metrics = scenario_metrics(timeline.served, timeline.served_vulnerable, population, vulnerable)
    summary = summarise(metrics, impact.probability)
    return estimate_impact(from_summary(summary, float(city.district_population.sum())))


#: Simulator parameters per hazard type and scenario: the most severe scenario is drawn
#: harder than the most probable one; the likelihood comes from the register.
_SCENARIO_PARAMETERS: dict[str, dict[str, dict[str, float]]] = {
    "earthquake": {"most_probable": {"magnitude": 5.5}, "most_severe": {"magnitude": 6.8}},
    "flood": {"most_probable": {}, "most_severe": {}},
    "heatwave": {"most_probable": {"excess_c": 4.0}, "most_severe": {"excess_c": 7.0}},
    "epidemic": {"most_probable": {"r0": 1.5}, "most_severe": {"r0": 3.0}},
    "cyber": {"most_probable": {"initial": 1}, "most_severe": {"initial": 5}},
    "blackout": {"most_probable": {"outage_hours": 12.0}, "most_severe": {"outage_hours": 72.0}},
    "drought": {"most_probable": {"share": 0.3}, "most_severe": {"share": 0.7}},
}
#: Largest ensemble a request may ask for.
MAX_SCENARIOS = 2000


def simulator_hazard(
    hazard: Hazard, scenario: str, taxonomy: Taxonomy | None = None
) -> dict[str, Any] | None:
    """The simulator's hazard mapping for one scenario of ``hazard``, or ``None``.

    Only hazards whose taxonomy entry names a simulator hazard type can be simulated; the
    scenario's likelihood becomes the simulated event's probability (a flood's return period).
    """
    chosen = hazard.scenario(scenario)
    if hazard.taxonomy_id is None:
        return None
    entries = {e.id: e for e in (taxonomy or bundled_taxonomy()).entries}
    entry = entries.get(hazard.taxonomy_id)
    if entry is None or entry.simulator is None:
        return None
    kind = entry.simulator
    mapping: dict[str, Any] = {"kind": kind, **_SCENARIO_PARAMETERS[kind][scenario]}
    probability = chosen.likelihood.probability
    if kind == "flood":
        mapping["return_period"] = min(max(chosen.likelihood.period, 1.01), 100_000.0)
    elif kind == "earthquake":
        mapping["annual_rate"] = probability
    else:
        mapping["annual_probability"] = probability
    return mapping


def estimates_from_result(result: Mapping[str, Any]) -> dict[str, ClassEstimate]:
    """Read the ``estimates`` of a finished :func:`estimate_impact_job` back.

    Raises:
        ContentError: The result does not hold a people and an infrastructure estimate.
    """
    estimates: dict[str, ClassEstimate] = {}
    try:
        for dimension in ("people", "infrastructure"):
            data = result["estimates"][dimension]
            value = Spread(**{q: float(data["value"][q]) for q in QUANTILES})
            low, high = (int(k) for k in data["range"])
            estimates[dimension] = ClassEstimate(dimension, value, low, int(data["class"]), high)
    except (KeyError, TypeError, ValueError):
        raise ContentError("the impact estimate is incomplete; run it again") from None
    return estimates


def estimate_note(estimates: Mapping[str, ClassEstimate], scenarios: int) -> str:
    """A source line recording a simulated estimate and its p5–p95 range."""
    parts = [
        f"{e.dimension} {e.p50} (p5–p95: {e.p5}–{e.p95})"
        for e in (estimates["people"], estimates["infrastructure"])
    ]
    return f"Simulator ensemble of {scenarios} scenarios on the demo city: {', '.join(parts)}"


def estimate_impact_job(
    params: Mapping[str, Any], progress: Callable[[float], None]
) -> dict[str, Any]:
    """Background job: run :func:`simulate_impact` on the simulator's demo city.

    Args:
        params: ``hazard`` (the simulator's mapping), ``scenarios`` (ensemble size),
            ``seed`` and optionally ``horizon`` (hours).
        progress: Called with the fraction done.

    Returns:
        ``{"hazard", "scenarios", "estimates": {"people": ..., "infrastructure": ...}}``.

    Raises:
        ContentError: Bad parameters.
        SimulationError: The hazard cannot be simulated.
    """
    from crisis.simulation.demo import demo_city

    scenarios = params.get("scenarios", 200)
    if isinstance(scenarios, bool) or not isinstance(scenarios, int):
        raise ContentError(f"scenarios: expected a whole number, got {scenarios!r}")
    if not 1 <= scenarios <= MAX_SCENARIOS:
        raise ContentError(f"scenarios: must be 1–{MAX_SCENARIOS}, got {scenarios}")
    hazard = params.get("hazard")
    if not isinstance(hazard, Mapping):
        raise ContentError("hazard: expected the simulator's hazard mapping")
    progress(0.05)
    city = demo_city(params.get("cache_dir"))
    progress(0.4)
    estimates = simulate_impact(
        city,
        hazard,
        scenarios=scenarios,
        horizon=int(params.get("horizon", 336)),
        rng=params.get("seed"),
    )
    progress(1.0)
    return {
        "hazard": dict(hazard),
        "scenarios": scenarios,
        "estimates": {d: e.as_dict() for d, e in estimates.items()},
    }
