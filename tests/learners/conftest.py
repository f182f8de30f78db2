"""Small catalogues built from the competences models, for learners tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crisis.competences.models import Catalogue

AREAS = ("A-TRA", "A-PLA", "A-RES", "A-BUS")


def build_catalogue(
    modules: list[dict[str, Any]],
    *,
    competences: int = 8,
    targets: dict[str, tuple[int, bool]] | None = None,
) -> Catalogue:
    """A framework of ``competences`` competences spread over four areas, plus ``modules``.

    Each module dict needs ``id``, ``hours`` and ``teaches`` ({competence: level}); optional
    ``prerequisites`` and ``ects``.
    """
    ids = [f"C{k:02d}" for k in range(1, competences + 1)]
    areas = []
    for a, area in enumerate(AREAS):
        members = [cid for k, cid in enumerate(ids) if k % len(AREAS) == a]
        areas.append(
            {
                "id": area,
                "title": f"Area {area}",
                "competences": [
                    {
                        "id": cid,
                        "title": f"Competence {cid}",
                        "description": f"What {cid} is about.",
                        "levels": {
                            1: f"Names the basic ideas of {cid}.",
                            2: f"Applies {cid} to routine cases.",
                            3: f"Adapts {cid} to complex cases.",
                            4: f"Leads and improves {cid} practice.",
                        },
                    }
                    for cid in members
                ],
            }
        )
    framework = {
        "id": "test",
        "title": "Test framework",
        "scale": {
            "levels": [
                {"value": v, "name": n}
                for v, n in enumerate(["Not yet", "Basic", "Intermediate", "Advanced", "Expert"])
            ]
        },
        "areas": areas,
    }
    targets = targets or {cid: (3 if k % 2 else 2, k < 4) for k, cid in enumerate(ids)}
    curriculum = {
        "id": "test-curriculum",
        "title": "Test curriculum",
        "modules": [
            {
                "id": m["id"],
                "title": f"Module {m['id']}",
                "group": AREAS[0],
                "hours": m["hours"],
                "ects": m.get("ects", m["hours"] / 25),
                "eqf": 6,
                "prerequisites": m.get("prerequisites", []),
                "outcomes": [
                    {"id": f"{m['id']}-{cid}", "competence": cid, "level": lvl, "text": "x"}
                    for cid, lvl in m["teaches"].items()
                ],
                "teaching_methods": [],
                "assessment_methods": [],
            }
            for m in modules
        ],
    }
    profiles = {
        "role": {
            "id": "role",
            "title": "Test role",
            "targets": {
                cid: {"level": lvl, "essential": ess} for cid, (lvl, ess) in targets.items()
            },
        }
    }
    return Catalogue.model_validate(
        {"framework": framework, "profiles": profiles, "curriculum": curriculum}
    )


@pytest.fixture
def make_catalogue() -> Callable[..., Catalogue]:
    """The :func:`build_catalogue` factory."""
    return build_catalogue


@pytest.fixture
def small_catalogue() -> Catalogue:
    """Eight competences, six modules with a prerequisite chain."""
    return build_catalogue(
        [
            {"id": "M01", "hours": 4, "teaches": {"C01": 2, "C02": 1}},
            {"id": "M02", "hours": 6, "teaches": {"C02": 3, "C03": 2}, "prerequisites": ["M01"]},
            {"id": "M03", "hours": 5, "teaches": {"C04": 3, "C05": 2}},
            {
                "id": "M04",
                "hours": 8,
                "teaches": {"C05": 3, "C06": 3, "C01": 3},
                "prerequisites": ["M03"],
            },
            {"id": "M05", "hours": 3, "teaches": {"C07": 2, "C08": 3}},
            {"id": "M06", "hours": 10, "teaches": {"C03": 3, "C07": 3, "C08": 2}},
        ]
    )
