"""The one risk definition of the workbench, used by the matrix, the ranking and the PDF.

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

A scenario's impact is the AHP-weighted combination of its five impact classes (people,
economy, environment, infrastructure, society), a decimal between 1 and 5; its *impact
class* is that value rounded half up (or, on request, the highest dimension). The highest
dimension is always reported alongside.

**Risk index** (0–100) of likelihood class ``L`` and impact ``I``::

    risk = 10 · ((L − 1) + 1.5 · (I − 1))

Both scales are roughly logarithmic: one likelihood class spans about five times the
frequency (10 → 50 → 200 → 1,000 years), one impact class about ten times the consequence
(people: a few → 10 → 100 deaths; economy: 0.01 → 0.1 → 1 % of output). On the log scale of
expected annual loss one impact class is therefore worth log 10 / log 5 ≈ 1.43 likelihood
classes; 1.5 rounds that up, leaning slightly towards high-consequence events. The index is
the sum, not the product, of the classes because the classes are logarithms.

Bands are the quarters of the index: low < 25 ≤ medium < 50 ≤ high < 75 ≤ very high. A rare
catastrophe (L1 × I5 = 60) is therefore *high* and a yearly nuisance (L5 × I1 = 40) *medium*.

The matrix places a scenario in its cell (``risk`` from the impact class); the ranking
orders hazards by that same cell value and, among equal values, by ``score`` — the index of
the unrounded weighted impact — so the two never disagree except that the ranking separates
what the matrix shows as equal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from crisis.exceptions import ContentError
from crisis.workbench.anchors import DIMENSIONS
from crisis.workbench.register import Hazard, Likelihood, Scenario

#: How many likelihood classes one impact class is worth.
IMPACT_EMPHASIS = 1.5
#: Upper return-period bound (years) of classes 5, 4, 3, 2; anything rarer is class 1.
RETURN_PERIOD_BOUNDS: tuple[float, ...] = (10.0, 50.0, 200.0, 1000.0)
# The classes' names, in each language, are data: workbench/data/likelihood.yaml.
#: Risk bands on the index: (lower bound inclusive, name), from the top.
RISK_BANDS: tuple[tuple[float, str], ...] = (
    (75.0, "very high"),
    (50.0, "high"),
    (25.0, "medium"),
    (0.0, "low"),
)
BAND_NAMES: tuple[str, ...] = ("low", "medium", "high", "very high")

Basis = Literal["highest", "weighted"]
BASES: tuple[str, ...] = ("weighted", "highest")


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


def risk_index(likelihood: float, impact: float) -> float:
    """The risk index 0–100 of a likelihood class and an impact (class or decimal) 1–5."""
    return 10.0 * ((likelihood - 1.0) + IMPACT_EMPHASIS * (impact - 1.0))


def risk_band(risk: float) -> str:
    """The band of a risk index 0–100."""
    if not 0.0 <= risk <= 100.0 + 1e-9:
        raise ContentError(f"risk index must be 0–100, got {risk}")
    for bound, name in RISK_BANDS:
        if risk >= bound - 1e-9:
            return name
    return "low"  # pragma: no cover - the last bound is 0


def impact_class(weighted: float) -> int:
    """A decimal impact 1–5 rounded half up to its class (2.5 → 3)."""
    return min(5, max(1, math.floor(weighted + 0.5 + 1e-9)))


def normalise_weights(
    weights: Mapping[str, float] | None, keys: tuple[str, ...] = DIMENSIONS
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
        if not (math.isfinite(value) and value >= 0.0):
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
    #: Index of the matrix cell (likelihood class, impact class), 0–100.
    risk: int
    band: str
    #: Index with the unrounded weighted impact: orders scenarios that share a ``risk``.
    score: float
    #: Each dimension's share of ``impact_weighted`` (weight × class).
    contributions: dict[str, float]

    @property
    def key(self) -> tuple[int, float, float]:
        """What orders scenarios: the cell's index, then the finer score, then frequency."""
        return (self.risk, self.score, self.annual_probability)

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {**self.__dict__, "highest_dimensions": list(self.highest_dimensions)}


def assess(
    hazard: Hazard,
    scenario: str,
    *,
    basis: Basis = "weighted",
    dimension_weights: Mapping[str, float] | None = None,
) -> ScenarioRisk:
    """Place one scenario of ``hazard`` on the matrix."""
    chosen: Scenario = hazard.scenario(scenario)
    weights = normalise_weights(dimension_weights)
    impacts = chosen.impacts.as_dict()
    highest = max(impacts.values())
    contributions = {d: weights[d] * impacts[d] for d in DIMENSIONS}
    weighted = sum(contributions.values())
    if basis == "highest":
        iclass = highest
    elif basis == "weighted":
        iclass = impact_class(weighted)
    else:
        raise ContentError(f"basis must be 'weighted' or 'highest', got {basis!r}")
    lclass = likelihood_class(chosen.likelihood)
    risk = round(risk_index(lclass, iclass))
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
        impact_class=iclass,
        risk=risk,
        band=risk_band(risk),
        score=round(risk_index(lclass, weighted), 6),
        contributions={d: round(v, 6) for d, v in contributions.items()},
    )


def cell_bands() -> dict[tuple[int, int], str]:
    """The band of every cell (likelihood, impact) of the 5×5 matrix."""
    return {(lk, im): risk_band(risk_index(lk, im)) for lk in range(1, 6) for im in range(1, 6)}
