"""The 5×5 risk matrix: likelihood classes, impact classes and risk = L × I.

Likelihood classes go by return period (equivalently annual probability):

====== ============================ ========================
class  return period                annual probability
====== ============================ ========================
5      10 years or more often       ≥ 0.1
4      more than 10, up to 50       0.02 ≤ p < 0.1
3      more than 50, up to 200      0.005 ≤ p < 0.02
2      more than 200, up to 1,000   0.001 ≤ p < 0.005
1      rarer than 1 in 1,000        < 0.001
====== ============================ ========================

A scenario's impact class is reported two ways, as good practice asks: the *highest*
dimension (precautionary, the default for placing it on the matrix) and the *weighted*
combination of the five dimensions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from crisis.exceptions import ContentError
from crisis.workbench.anchors import DIMENSIONS
from crisis.workbench.register import SCENARIOS, Hazard, Likelihood, Register, Scenario

#: Upper return-period bound (years) of classes 5, 4, 3, 2; anything rarer is class 1.
RETURN_PERIOD_BOUNDS: tuple[float, ...] = (10.0, 50.0, 200.0, 1000.0)
# The classes' names, in each language, are data: workbench/data/likelihood.yaml.

#: Risk bands on the product L × I: (upper bound inclusive, name).
RISK_BANDS: tuple[tuple[int, str], ...] = (
    (4, "low"),
    (9, "medium"),
    (14, "high"),
    (25, "very high"),
)

Basis = Literal["highest", "weighted"]
ScenarioChoice = Literal["most_probable", "most_severe", "both"]


def likelihood_class(likelihood: Likelihood | float) -> int:
    """The likelihood class 1–5 of a likelihood or an annual probability."""
    probability = likelihood.probability if isinstance(likelihood, Likelihood) else likelihood
    if not 0.0 < probability <= 1.0:
        raise ContentError(f"annual probability must be in (0, 1], got {probability}")
    period = 1.0 / probability
    for index, bound in enumerate(RETURN_PERIOD_BOUNDS):
        if period <= bound * (1 + 1e-9):
            return 5 - index
    return 1


def risk_band(risk: int) -> str:
    """The name of the band a risk score 1–25 falls in."""
    for bound, name in RISK_BANDS:
        if risk <= bound:
            return name
    raise ContentError(f"risk score must be 1–25, got {risk}")


def normalise_weights(
    weights: Mapping[str, float] | None, keys: tuple[str, ...]
) -> dict[str, float]:
    """Weights over ``keys`` summing to 1 (equal when ``weights`` is ``None``).

    Raises:
        ContentError: An unknown key, a missing key, or a negative or all-zero weight.
    """
    if weights is None:
        return {k: 1.0 / len(keys) for k in keys}
    unknown = sorted(set(weights) - set(keys))
    if unknown:
        raise ContentError(f"unknown weight {unknown[0]!r}; expected one of {', '.join(keys)}")
    missing = [k for k in keys if k not in weights]
    if missing:
        raise ContentError(f"weight for {missing[0]!r} is missing")
    for key, value in weights.items():
        if not value >= 0.0:
            raise ContentError(f"weight {key!r} must be non-negative, got {value}")
    total = sum(weights[k] for k in keys)
    if total <= 0.0:
        raise ContentError("weights are all zero")
    return {k: weights[k] / total for k in keys}


@dataclass(frozen=True)
class ScenarioRisk:
    """Where one scenario of one hazard sits on the matrix, and why."""

    hazard_id: str
    title: str
    scenario: str
    annual_probability: float
    likelihood_class: int
    impacts: dict[str, int]
    impact_highest: int
    highest_dimensions: tuple[str, ...]
    impact_weighted: float
    impact_class: int
    risk: int
    band: str

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {**self.__dict__, "highest_dimensions": list(self.highest_dimensions)}


def assess(
    hazard: Hazard,
    scenario: str,
    *,
    basis: Basis = "highest",
    dimension_weights: Mapping[str, float] | None = None,
) -> ScenarioRisk:
    """Place one scenario of ``hazard`` on the matrix."""
    chosen: Scenario = hazard.scenario(scenario)
    weights = normalise_weights(dimension_weights, DIMENSIONS)
    impacts = chosen.impacts.as_dict()
    highest = max(impacts.values())
    weighted = sum(weights[d] * impacts[d] for d in DIMENSIONS)
    if basis == "highest":
        impact_class = highest
    elif basis == "weighted":
        impact_class = min(5, max(1, int(weighted + 0.5)))
    else:
        raise ContentError(f"basis must be 'highest' or 'weighted', got {basis!r}")
    lclass = likelihood_class(chosen.likelihood)
    return ScenarioRisk(
        hazard_id=hazard.id,
        title=hazard.title,
        scenario=scenario,
        annual_probability=chosen.likelihood.probability,
        likelihood_class=lclass,
        impacts=impacts,
        impact_highest=highest,
        highest_dimensions=tuple(d for d in DIMENSIONS if impacts[d] == highest),
        impact_weighted=round(weighted, 6),
        impact_class=impact_class,
        risk=lclass * impact_class,
        band=risk_band(lclass * impact_class),
    )


@dataclass
class RiskMatrix:
    """The 5×5 matrix: ``cells[(likelihood, impact)]`` lists the scenarios placed there."""

    basis: str
    entries: list[ScenarioRisk]
    cells: dict[tuple[int, int], list[ScenarioRisk]] = field(default_factory=dict)

    def cell(self, likelihood: int, impact: int) -> list[ScenarioRisk]:
        """The scenarios in one cell (empty list if none)."""
        return self.cells.get((likelihood, impact), [])

    def ranked(self) -> list[ScenarioRisk]:
        """Entries from highest risk down; ties broken by weighted impact, then id."""
        return sorted(self.entries, key=lambda e: (-e.risk, -e.impact_weighted, e.hazard_id))

    def as_dict(self) -> dict[str, object]:
        """Plain data: the entries and a 5×5 grid of hazard ids (row = likelihood 5 … 1)."""
        grid = [
            [[f"{e.hazard_id}:{e.scenario}" for e in self.cell(lk, im)] for im in range(1, 6)]
            for lk in range(5, 0, -1)
        ]
        return {"basis": self.basis, "entries": [e.as_dict() for e in self.ranked()], "grid": grid}


def risk_matrix(
    register: Register,
    *,
    scenario: ScenarioChoice = "both",
    basis: Basis = "highest",
    dimension_weights: Mapping[str, float] | None = None,
) -> RiskMatrix:
    """Place the register's scenarios on the 5×5 matrix."""
    names = SCENARIOS if scenario == "both" else (scenario,)
    entries = [
        assess(h, name, basis=basis, dimension_weights=dimension_weights)
        for h in register.hazards
        for name in names
    ]
    matrix = RiskMatrix(basis=basis, entries=entries)
    for entry in entries:
        matrix.cells.setdefault((entry.likelihood_class, entry.impact_class), []).append(entry)
    return matrix
