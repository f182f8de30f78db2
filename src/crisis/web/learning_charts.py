"""Geometry of the learner charts, drawn as inline SVG by the templates.

Each chart also appears as a table on the page; these functions only place shapes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from crisis.learners import Gap

#: Radar chart size (the SVG viewBox is square).
RADAR_SIZE = 420
_RADIUS = 150.0


@dataclass(frozen=True)
class Radar:
    """A radar chart: rings, spokes with labels, and the two polygons."""

    size: int
    rings: list[str]
    spokes: list[tuple[float, float, float, float, str, str]]
    current: str
    target: str
    dots: list[tuple[float, float, str, int, int]]


def _point(k: int, n: int, level: float, centre: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * k / n
    r = _RADIUS * level / 4
    return centre + r * math.cos(angle), centre + r * math.sin(angle)


def _polygon(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def radar(gaps: Sequence[Gap]) -> Radar | None:
    """A radar of current level against target, one spoke per competence of the profile."""
    ordered = sorted(gaps, key=lambda g: g.competence)
    n = len(ordered)
    if n < 3:
        return None
    c = RADAR_SIZE / 2
    rings = [_polygon([_point(k, n, level, c) for k in range(n)]) for level in (1, 2, 3, 4)]
    spokes = []
    for k, gap in enumerate(ordered):
        x, y = _point(k, n, 4, c)
        lx, ly = _point(k, n, 4.6, c)
        anchor = "middle" if abs(lx - c) < 8 else ("start" if lx > c else "end")
        spokes.append((x, y, lx, ly + 4, anchor, gap.competence))
    return Radar(
        size=RADAR_SIZE,
        rings=rings,
        spokes=spokes,
        current=_polygon([_point(k, n, g.current, c) for k, g in enumerate(ordered)]),
        target=_polygon([_point(k, n, g.target, c) for k, g in enumerate(ordered)]),
        dots=[
            (*_point(k, n, g.current, c), g.competence, g.current, g.target)
            for k, g in enumerate(ordered)
        ],
    )


@dataclass(frozen=True)
class Bar:
    """One gap bar: where the current level ends and where the target sits (0..1 of width)."""

    gap: Gap
    current: float
    target: float


def gap_bars(gaps: Sequence[Gap]) -> list[tuple[bool, list[Bar]]]:
    """Gap bars grouped essential first, each group in the analysis' priority order."""
    groups: list[tuple[bool, list[Bar]]] = []
    for essential in (True, False):
        bars = [Bar(g, g.current / 4, g.target / 4) for g in gaps if g.essential is essential]
        if bars:
            groups.append((essential, bars))
    return groups


def timeline(weeks: int, spans: Sequence[tuple[int, int]]) -> list[tuple[float, float]]:
    """Left offset and width (percent) of each ``(first, last)`` week span on a timeline."""
    total = max(weeks, 1)
    return [
        (100.0 * (first - 1) / total, max(100.0 * (last - first + 1) / total, 1.0))
        for first, last in spans
    ]


def timeline_days(days: int, spans: Sequence[tuple[int, int]]) -> list[tuple[float, float]]:
    """Left offset and width (percent) of each ``(first, last)`` day span on a timeline."""
    total = max(days, 1)
    return [
        (100.0 * first / total, max(100.0 * (last - first + 1) / total, 0.5))
        for first, last in spans
    ]
