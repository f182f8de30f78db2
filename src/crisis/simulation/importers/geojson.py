"""Import a GeoJSON map of assets, links and districts, as a GIS would export it.

One FeatureCollection; each feature's geometry says what it is:

* **Point** — an asset, with the properties of the city file's ``assets.geojson``
  (``id``, ``sector``, ``class``, ``network``, ``source``, ``needs``, …; see
  :mod:`crisis.simulation.cityfile`). Repair time and fragility left out take the class
  defaults of :data:`~crisis.simulation.importers.CLASS_DEFAULTS`.
* **LineString** (or MultiLineString) — an asset too; with a ``network`` it is a link. Its
  ends are the ``from``/``to`` properties when given, otherwise the nearest Point of the
  same network to each end of the line, which must lie within ``snap_m`` metres.
* **Polygon** (or MultiPolygon) — a district: ``id``, ``population``, ``vulnerable_share``
  and ``services`` (service → asset ids, as in ``city.yaml``). Assets without a
  ``district`` property join the first district whose polygon contains them.

Coordinates are longitude/latitude as RFC 7946 prescribes and are projected to local metres;
files in a projected system (metres) are recognised by coordinates outside that range or
chosen with ``lonlat=False``. Errors name the file and the feature's index and id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from crisis.exceptions import ContentError, FormatError
from crisis.simulation.city import City
from crisis.simulation.importers._common import (
    Records,
    build_city,
    drop_isolated,
    looks_like_lonlat,
    project,
)

_LINES = ("LineString", "MultiLineString")
_AREAS = ("Polygon", "MultiPolygon")


def _vertices(geometry: dict[str, Any]) -> list[npt.NDArray[np.float64]]:
    """The geometry's parts as ``(k, 2)`` arrays: one per line, one per polygon ring."""
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    parts: list[Any]
    if kind == "Point":
        parts = [[coords]]
    elif kind in ("LineString", "Polygon"):
        parts = [coords] if kind == "LineString" else list(coords or [])[:1]
    elif kind == "MultiLineString":
        parts = list(coords or [])
    elif kind == "MultiPolygon":
        parts = [polygon[0] for polygon in coords or [] if polygon]
    else:
        raise ValueError(f"geometry type {kind!r} is not Point, LineString or Polygon")
    arrays = [np.asarray(part, dtype=np.float64)[:, :2] for part in parts]
    if not arrays or any(a.ndim != 2 or a.shape[0] == 0 for a in arrays):
        raise ValueError("geometry has no coordinates")
    return arrays


def _inside(px: npt.NDArray[np.float64], py: npt.NDArray[np.float64], ring: Any) -> Any:
    """Even–odd rule: which points lie inside the closed ``ring``."""
    xs, ys = ring[:, 0], ring[:, 1]
    x0, y0, x1, y1 = xs[:, None], ys[:, None], np.roll(xs, -1)[:, None], np.roll(ys, -1)[:, None]
    crosses = (y0 > py) != (y1 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        at = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
    return (np.count_nonzero(crosses & (px < at), axis=0) % 2) == 1


def from_geojson(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    snap_m: float = 1.0,
    lonlat: bool | None = None,
    isolated: str = "error",
) -> City:
    """A City from one GeoJSON file of assets (Points), links (LineStrings), districts.

    Args:
        path: The ``.geojson`` file.
        name: The city's name (default: the file's stem).
        snap_m: Largest distance (m) between a line's end and the node it is joined to.
        lonlat: Whether coordinates are longitude/latitude; ``None`` decides by their range.
        isolated: ``"error"`` to refuse network elements that reach no source, ``"drop"`` to
            leave them out.

    Raises:
        FormatError: Not JSON, or not a FeatureCollection.
        ContentError: Naming the feature (index and id) and field at fault.
    """
    file = Path(path)
    label = file.name
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FormatError(f"cannot read {file}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{label}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise FormatError(f"{label}: expected a FeatureCollection with a 'features' list")

    errors: list[str] = []
    parsed: list[tuple[int, str, dict[str, Any], list[Any]]] = []
    for k, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        fid = props.get("id") if isinstance(props, dict) else None
        place = f"{label}: feature {k} (id '{fid}')" if fid is not None else f"{label}: feature {k}"
        if not isinstance(props, dict) or not isinstance(geometry, dict):
            errors.append(f"{place}: needs 'properties' and 'geometry' objects")
            continue
        try:
            parts = _vertices(geometry)
        except (ValueError, TypeError, IndexError) as exc:
            errors.append(f"{place}: field 'geometry': {exc}")
            continue
        parsed.append((k, str(geometry["type"]), dict(props), parts))
    if errors:
        raise ContentError(errors[0], errors=errors)

    every = np.concatenate([np.concatenate(parts) for *_, parts in parsed]) if parsed else None
    if lonlat is None:
        lonlat = every is not None and looks_like_lonlat(every[:, 0], every[:, 1])
    if lonlat and every is not None:
        origin = (float(every[:, 0].min()), float(every[:, 1].min()))
        parsed = [
            (k, kind, props, [np.stack(project(p[:, 0], p[:, 1], origin), axis=1) for p in parts])
            for k, kind, props, parts in parsed
        ]

    districts = [(k, props, parts) for k, kind, props, parts in parsed if kind in _AREAS]
    assets = [(k, kind, props, parts) for k, kind, props, parts in parsed if kind not in _AREAS]
    _snap_links(label, assets, snap_m, errors)
    meta_districts = _districts(label, districts, assets, errors)
    if errors:
        raise ContentError(errors[0], errors=errors)

    records = Records(source=label)
    for k, _kind, props, parts in assets:
        x, y = np.concatenate(parts).mean(axis=0)
        records.add(f"feature {k} (id '{props.get('id')}')", float(x), float(y), props)
    records = drop_isolated(records, isolated)
    try:
        return build_city(records, name or file.stem, {"districts": meta_districts})
    except ContentError as exc:
        fixed = [e.replace("city.yaml:?", label) for e in exc.errors]
        raise ContentError(fixed[0], errors=fixed) from None


def _snap_links(
    label: str,
    assets: list[tuple[int, str, dict[str, Any], list[Any]]],
    snap_m: float,
    errors: list[str],
) -> None:
    """Fill missing ``from``/``to`` of line links with the nearest node of their network."""
    nodes: dict[str, tuple[list[str], Any]] = {}
    for _, kind, props, parts in assets:
        if kind == "Point" and props.get("network") is not None:
            ids, pts = nodes.setdefault(str(props["network"]), ([], []))
            ids.append(str(props.get("id")))
            pts.append(parts[0][0])
    trees = {net: (ids, cKDTree(np.asarray(pts))) for net, (ids, pts) in nodes.items()}
    for k, kind, props, parts in assets:
        if kind not in _LINES or props.get("network") is None:
            continue
        if props.get("from") is not None and props.get("to") is not None:
            continue
        place = f"{label}: feature {k} (id '{props.get('id')}')"
        found = trees.get(str(props["network"]))
        if found is None:
            errors.append(f"{place}: no Point of network '{props['network']}' to join it to")
            continue
        ids, tree = found
        for end, point in (("from", parts[0][0]), ("to", parts[-1][-1])):
            if props.get(end) is not None:
                continue
            distance, i = tree.query(point)
            if distance > snap_m:
                errors.append(
                    f"{place}: the '{end}' end of the line is {distance:.1f} m from the nearest "
                    f"{props['network']} node '{ids[i]}', more than snap_m={snap_m} m "
                    f"(give field '{end}' or move the node)"
                )
            else:
                props[end] = ids[i]


def _districts(
    label: str,
    districts: list[tuple[int, dict[str, Any], list[Any]]],
    assets: list[tuple[int, str, dict[str, Any], list[Any]]],
    errors: list[str],
) -> list[dict[str, Any]]:
    """District records for ``city.yaml``; assets inside a polygon join its district."""
    out: list[dict[str, Any]] = []
    if not districts:
        return out
    centre = np.array([np.concatenate(parts).mean(axis=0) for *_, parts in assets]).reshape(-1, 2)
    unplaced = np.array([p.get("district") is None for _, _, p, _ in assets], dtype=bool)
    for k, props, rings in districts:
        did = props.get("id")
        if not isinstance(did, str) or not did:
            errors.append(f"{label}: feature {k}: a district polygon needs a string 'id'")
            continue
        record: dict[str, Any] = {
            key: props[key] for key in ("population", "vulnerable_share") if key in props
        }
        out.append({"id": did, **record, "services": props.get("services") or {}})
        if not unplaced.any():
            continue
        inside = np.zeros(len(assets), dtype=bool)
        for ring in rings:
            inside |= _inside(centre[:, 0], centre[:, 1], ring)
        for j in np.flatnonzero(inside & unplaced):
            assets[j][2]["district"] = did
        unplaced &= ~inside
    return out
