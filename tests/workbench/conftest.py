"""Fixtures for the workbench tests: the demo city and small hand-made registers."""

from __future__ import annotations

from typing import Any

import pytest

from crisis.workbench.register import Register, parse_register
from crisis.workbench.workspace import Workspace, demo_workspace


def hazard_data(
    hazard_id: str, mp: tuple[float, list[int]], ms: tuple[float, list[int]], **extra: Any
) -> dict[str, Any]:
    """A custom hazard with the given annual probabilities and impact lists."""

    def scenario(p: float, impacts: list[int]) -> dict[str, Any]:
        keys = ("people", "economy", "environment", "infrastructure", "society")
        return {
            "likelihood": {"annual_probability": p},
            "impacts": dict(zip(keys, impacts, strict=True)),
        }

    data = {
        "id": hazard_id,
        "title": hazard_id.title(),
        "category": "natural",
        "kind": "shock",
        "most_probable": scenario(*mp),
        "most_severe": scenario(*ms),
    }
    data.update(extra)
    return data


@pytest.fixture
def demo() -> Workspace:
    """The bundled Portavera workspace."""
    return demo_workspace()


@pytest.fixture
def small_register() -> Register:
    """Four hazards whose ranking is easy to reason about."""
    return parse_register({
        "city": "Testville",
        "hazards": [
            hazard_data("alpha", (0.5, [5, 5, 5, 5, 5]), (0.5, [5, 5, 5, 5, 5])),
            hazard_data("beta", (0.5, [3, 3, 3, 3, 3]), (0.5, [3, 3, 3, 3, 3])),
            hazard_data("gamma", (0.0005, [5, 1, 1, 5, 1]), (0.0005, [5, 1, 1, 5, 1])),
            hazard_data("delta", (0.5, [1, 1, 1, 1, 1]), (0.5, [1, 1, 1, 1, 1])),
        ],
    })  # fmt: skip
