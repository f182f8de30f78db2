"""The 5×5 risk matrix: each scenario in the cell of its likelihood and impact class.

The classes, the risk index and its bands are defined once, in :mod:`crisis.workbench.risk`;
this module only places the scenarios on the grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from crisis.workbench.register import SCENARIOS, Register
from crisis.workbench.risk import (
    RETURN_PERIOD_BOUNDS,
    RISK_BANDS,
    Basis,
    ScenarioRisk,
    assess,
    likelihood_class,
    normalise_weights,
    risk_band,
    risk_index,
)

ScenarioChoice = Literal["most_probable", "most_severe", "both"]
SCENARIO_CHOICES: tuple[str, ...] = ("both", "most_probable", "most_severe")

__all__ = [
    "RETURN_PERIOD_BOUNDS",
    "RISK_BANDS",
    "SCENARIO_CHOICES",
    "Basis",
    "RiskMatrix",
    "ScenarioChoice",
    "ScenarioRisk",
    "assess",
    "likelihood_class",
    "normalise_weights",
    "risk_band",
    "risk_index",
    "risk_matrix",
]


@dataclass
class RiskMatrix:
    """The 5×5 matrix: ``cells[(likelihood, impact)]`` lists the scenarios placed there."""

    basis: str
    entries: list[ScenarioRisk]
    cells: dict[tuple[int, int], list[ScenarioRisk]] = field(default_factory=dict)

    def cell(self, likelihood: int, impact: int) -> list[ScenarioRisk]:
        """The scenarios in one cell, highest score first (empty list if none)."""
        return self.cells.get((likelihood, impact), [])

    def ranked(self) -> list[ScenarioRisk]:
        """Entries from the highest risk down; ties by score, frequency, then id."""
        return sorted(
            self.entries,
            key=lambda e: (-e.key[0], -e.key[1], -e.key[2], e.hazard_id, e.scenario),
        )

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
    basis: Basis = "weighted",
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
    for entry in matrix.ranked():
        matrix.cells.setdefault((entry.likelihood_class, entry.impact_class), []).append(entry)
    return matrix
