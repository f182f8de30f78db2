"""Readable names for a city's places and assets: "Riverside substation (bus-46)".

A city's district names come from a places file in ``crisis/exercises/places/`` whose
``city`` matches the city's name (the model town's is bundled); a city without one keeps its
district ids. An asset is named by its district (or the nearest district's centre when it
lies outside every district), its class in the reader's language, and its id, which stays
in brackets so that plans and logs can still be matched.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np
import yaml
from scipy.spatial import cKDTree

from crisis.simulation.city import City


@functools.lru_cache(maxsize=8)
def _places() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    folder = resources.files("crisis.exercises") / "places"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            data = yaml.safe_load(item.read_text(encoding="utf-8")) or {}
            out[str(data.get("city", ""))] = {
                str(k): str(v) for k, v in (data.get("districts") or {}).items()
            }
    return out


def district_names(city: City) -> list[str]:
    """Each district's place name (its id when the city has no places file)."""
    known = _places().get(city.name, {})
    return [known.get(d, d) for d in city.district_ids]


def asset_places(city: City) -> list[str]:
    """The place name of each asset: its district's, else the nearest district's."""
    names = district_names(city)
    if not names:
        return [""] * city.n_assets
    centres = np.zeros((city.n_districts, 2))
    for d in range(city.n_districts):
        rows = np.flatnonzero(city.district == d)
        if rows.size:
            centres[d] = city.x[rows].mean(), city.y[rows].mean()
    district = np.asarray(city.district).copy()
    outside = np.flatnonzero(district < 0)
    if outside.size:
        _, nearest = cKDTree(centres).query(np.column_stack([city.x[outside], city.y[outside]]))
        district[outside] = nearest
    return [names[int(d)] for d in district]


def asset_name(place: str, cls: str, asset_id: str, pattern: str = "{place} {cls} ({id})") -> str:
    """One asset's name from its place, its class (already translated) and its id."""
    return pattern.format(place=place, cls=cls or "asset", id=asset_id).strip()
