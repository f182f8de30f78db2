"""The city as map data: nodes, links and districts in SVG coordinates (no tile service).

Coordinates are the city's own projected metres, flipped so north is up and scaled into a
``width``-wide view box. Exposure is the share of sampled events that damage each asset,
so a learner can see where the hazard bites before placing measures.

For a flood, the map carries the hazard itself: the ground is interpolated between the
assets' elevations on a grid, and the water depth of the exercise's flood (the stage of its
return period minus the ground) is drawn as a semi-transparent image in depth bands, with the
river as the ground an ordinary flood (:data:`RIVER_RETURN_PERIOD` years) covers. Districts
carry their place names (:mod:`crisis.exercises.names`) and every asset its place, so that
pages name "Riverside substation (bus-46)" rather than a bare id.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image
from scipy.interpolate import griddata
from scipy.spatial import ConvexHull, QhullError

from crisis.exercises.models import Exercise
from crisis.exercises.names import asset_places, district_names
from crisis.simulation.city import SECTORS, City
from crisis.simulation.demo import DEMO_NAME, Terrain
from crisis.simulation.hazards import parse_hazard, sample_hazards
from crisis.simulation.hazards.natural import Flood

#: Classes drawn as lines only: the network's plain joints and its runs of cable, pipe, road.
PLAIN = frozenset({"intersection", "junction", "node", "road segment", "cable", "pipe"})
#: Return period (years) of the flood whose extent is drawn as the river and its banks.
RIVER_RETURN_PERIOD = 2.0
#: Depth bands of the flood image (m, lower edges) and their colours (RGBA).
DEPTH_BANDS: tuple[tuple[float, tuple[int, int, int, int]], ...] = (
    (0.0, (129, 196, 240, 120)),
    (0.5, (66, 146, 214, 140)),
    (1.0, (33, 102, 172, 160)),
    (2.0, (8, 48, 107, 180)),
)
RIVER_COLOUR = (25, 90, 160, 230)
#: The demo city's river intake, where its terrain's river passes.
DEMO_INTAKE = "reservoir-River"
#: Cells across the flood image.
GRID = 240


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
    places = asset_places(city)
    eligible_rows = _eligible_rows(city, exercise)
    nodes, links = [], []
    for i in range(city.n_assets):
        cls = city.asset_class[i] or "asset"
        item = {
            "i": i,
            "id": city.ids[i],
            "cls": cls,
            "place": places[i],
            "sector": SECTORS[int(city.sector[i])],
            "exposure": round(float(exposure[i]), 2),
            "marker": cls not in PLAIN or i in eligible_rows,
        }
        a, b = int(city.link_from[i]), int(city.link_to[i])
        if a >= 0 and b >= 0:
            links.append({**item, "x1": sx[a], "y1": sy[a], "x2": sx[b], "y2": sy[b]})
        else:
            nodes.append({**item, "x": sx[i], "y": sy[i], "population": float(city.population[i])})
    districts = []
    names = district_names(city)
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
                "name": names[d],
                "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in hull),
                "ring": [[round(float(x), 1), round(float(y), 1)] for x, y in hull],
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
        "flood": _flood_layer(city, exercise, (x0, x1, y0, y1)),
    }


def _eligible_rows(city: City, exercise: Exercise | None) -> set[int]:
    """Rows any of the exercise's per-asset measures may go on."""
    from crisis.exercises.plans import eligible

    if exercise is None:
        return set()
    out: set[int] = set()
    for measure in exercise.measures:
        if measure.per_asset:
            out.update(int(i) for i in np.flatnonzero(eligible(city, measure)))
    return out


def ground(
    city: City, xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Ground level (m) on the grid ``xs`` × ``ys``.

    The demo city's ground is the terrain it was built on (its river valley); any other
    city's is interpolated between its assets' elevations (linearly inside their hull, from
    the nearest asset outside it), which misses a river bed no asset stands in.
    """
    gx, gy = np.meshgrid(xs, ys)
    if city.name == DEMO_NAME and DEMO_INTAKE in city.index:
        i = city.index[DEMO_INTAKE]
        terrain = Terrain(float(city.x[i]), float(city.y[i]))
        return np.asarray(terrain.elevation(gx, gy), dtype=np.float64)
    ok = np.isfinite(city.elevation)
    pts = np.column_stack([city.x[ok], city.y[ok]])
    z = np.asarray(city.elevation[ok], dtype=np.float64)
    linear = griddata(pts, z, (gx, gy), method="linear")
    near = griddata(pts, z, (gx, gy), method="nearest")
    return np.asarray(np.where(np.isfinite(linear), linear, near), dtype=np.float64)


def _flood_layer(
    city: City, exercise: Exercise | None, box: tuple[float, float, float, float]
) -> dict[str, Any] | None:
    """The flood's depth bands and the river as a PNG over the view box (None: no flood)."""
    if exercise is None or not np.isfinite(city.elevation).any():
        return None
    model = next(
        (m for m in (parse_hazard(h) for h in exercise.hazards) if isinstance(m, Flood)), None
    )
    if model is None:
        return None
    x0, x1, y0, y1 = box
    rows = max(2, round(GRID * (y1 - y0) / (x1 - x0)))
    xs = np.linspace(x0, x1, GRID)
    ys = np.linspace(y1, y0, rows)  # image rows run north to south
    level = ground(city, xs, ys)
    period = model.return_period or 100.0
    stage = model.stage(period)
    depth = stage - level
    rgba = np.zeros((rows, GRID, 4), dtype=np.uint8)
    for start, colour in DEPTH_BANDS:
        rgba[depth > start] = colour
    river = model.stage(RIVER_RETURN_PERIOD) - level > 0
    rgba[river] = RIVER_COLOUR
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", optimize=True)
    flooded = depth > 0
    return {
        "image": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"),
        "return_period": float(period),
        "stage": round(stage, 2),
        "bands": [start for start, _ in DEPTH_BANDS],
        "colours": [f"rgba({r},{g},{b},{a / 255:.2f})" for _, (r, g, b, a) in DEPTH_BANDS],
        "river_colour": "rgba({},{},{},{:.2f})".format(*RIVER_COLOUR[:3], RIVER_COLOUR[3] / 255),
        "share": round(float(flooded.mean()), 3),
    }
