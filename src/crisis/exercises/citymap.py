"""The city as map data: nodes, links and districts in SVG coordinates (no tile service).

Coordinates are the city's own projected metres, flipped so north is up and scaled into a
``width``-wide view box. Exposure is the share of sampled events that damage each asset,
so a learner can see where the hazard bites before placing measures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from crisis.exercises.models import Exercise
from crisis.simulation.city import SECTORS, City
from crisis.simulation.hazards import parse_hazard, sample_hazards


def map_data(city: City, exercise: Exercise | None = None, width: float = 1000.0) -> dict[str, Any]:
    """Everything the map draws, as plain data."""
    pad = 300.0
    x0, x1 = float(city.x.min()) - pad, float(city.x.max()) + pad
    y0, y1 = float(city.y.min()) - pad, float(city.y.max()) + pad
    scale = width / (x1 - x0)
    height = (y1 - y0) * scale
    sx = np.round((city.x - x0) * scale, 1)
    sy = np.round((y1 - city.y) * scale, 1)
    exposure = np.zeros(city.n_assets)
    if exercise is not None:
        hazards = [parse_hazard(h) for h in exercise.hazards]
        exposure = sample_hazards(hazards, city, 40, exercise.seed).damaged.mean(axis=1)
    nodes, links = [], []
    for i in range(city.n_assets):
        item = {
            "i": i,
            "id": city.ids[i],
            "cls": city.asset_class[i] or "asset",
            "sector": SECTORS[int(city.sector[i])],
            "exposure": round(float(exposure[i]), 2),
        }
        a, b = int(city.link_from[i]), int(city.link_to[i])
        if a >= 0 and b >= 0:
            links.append({**item, "x1": sx[a], "y1": sy[a], "x2": sx[b], "y2": sy[b]})
        else:
            nodes.append({**item, "x": sx[i], "y": sy[i], "population": float(city.population[i])})
    districts = []
    for d, name in enumerate(city.district_ids):
        rows = np.flatnonzero(city.district == d)
        if rows.size == 0:
            continue
        pts = np.column_stack([sx[rows], sy[rows]])
        try:
            hull = pts[ConvexHull(pts).vertices] if rows.size >= 3 else pts
        except QhullError:
            hull = pts
        districts.append(
            {
                "i": d,
                "id": name,
                "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in hull),
                "x": float(pts[:, 0].mean()),
                "y": float(pts[:, 1].mean()),
                "population": float(city.district_population[d]),
            }
        )
    return {
        "width": width,
        "height": round(height, 1),
        "nodes": nodes,
        "links": links,
        "districts": districts,
    }
