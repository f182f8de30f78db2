"""What the importers share: asset records, class defaults, projection and validation."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import csgraph

from crisis.exceptions import ContentError
from crisis.simulation.city import City
from crisis.simulation.cityfile import ASSETS_FILE, city_from_records

#: Mean Earth radius (m) of the local equirectangular projection.
EARTH_RADIUS_M = 6_371_008.8

#: Repair time (median hours, lognormal beta) and fragility per asset class.
#: Fragility is ``{measure: (median, beta)}``: PGA in g, flood depth in m, heat excess in °C.
#: The figures are illustrative first-order values of the size published for such equipment
#: (HAZUS tabulates comparable curves); calibrate them for a real study. A class not listed
#: gets 24 h repair and no fragility.
CLASS_DEFAULTS: dict[str, tuple[float, float, dict[str, tuple[float, float]]]] = {
    # power
    "hv substation": (72.0, 0.5, {"earthquake": (0.40, 0.5), "flood": (1.0, 0.3)}),
    "substation": (
        24.0,
        0.5,
        {"earthquake": (0.50, 0.6), "flood": (0.5, 0.4), "heatwave": (8.0, 0.5)},
    ),
    "node": (8.0, 0.5, {"earthquake": (1.00, 0.6), "flood": (1.0, 0.4)}),
    "cable": (24.0, 0.5, {"earthquake": (1.50, 0.6)}),
    "overhead line": (12.0, 0.5, {"earthquake": (1.00, 0.6), "heatwave": (6.0, 0.5)}),
    "transformer": (
        168.0,
        0.4,
        {"earthquake": (0.40, 0.5), "flood": (0.8, 0.3), "heatwave": (8.0, 0.5)},
    ),
    "switch": (6.0, 0.5, {"earthquake": (1.00, 0.6), "flood": (0.6, 0.4)}),
    "impedance": (24.0, 0.5, {"earthquake": (1.00, 0.6)}),
    "dc line": (24.0, 0.5, {"earthquake": (1.00, 0.6)}),
    "connector": (8.0, 0.5, {}),
    # water
    "junction": (8.0, 0.5, {}),
    "pipe": (12.0, 0.5, {"earthquake": (0.60, 0.6)}),
    "pump": (48.0, 0.5, {"earthquake": (0.50, 0.5), "flood": (0.6, 0.4)}),
    "valve": (12.0, 0.5, {"earthquake": (0.80, 0.6), "flood": (1.0, 0.4)}),
    "reservoir": (72.0, 0.5, {"earthquake": (1.50, 0.6), "flood": (2.5, 0.4)}),
    "tank": (120.0, 0.5, {"earthquake": (0.50, 0.6)}),
    "scada centre": (48.0, 0.5, {"earthquake": (0.60, 0.5), "flood": (0.8, 0.4)}),
    # roads
    "intersection": (8.0, 0.5, {}),
    "road segment": (12.0, 0.5, {"earthquake": (1.00, 0.6), "flood": (0.3, 0.4)}),
    "bridge": (240.0, 0.5, {"earthquake": (0.50, 0.5), "flood": (2.0, 0.4)}),
    "depot": (24.0, 0.5, {"flood": (0.8, 0.4)}),
    # telecom
    "cell tower": (
        12.0,
        0.5,
        {"earthquake": (0.80, 0.6), "flood": (1.0, 0.4), "heatwave": (12.0, 0.5)},
    ),
    "telecom exchange": (48.0, 0.5, {"earthquake": (0.60, 0.5), "flood": (0.8, 0.4)}),
    # facilities
    "hospital": (240.0, 0.5, {"earthquake": (0.50, 0.6), "flood": (0.8, 0.4)}),
    "fire station": (72.0, 0.5, {"earthquake": (0.60, 0.6), "flood": (0.8, 0.4)}),
    "shelter": (48.0, 0.5, {"earthquake": (0.60, 0.6), "flood": (0.5, 0.4)}),
    "flood gauge": (12.0, 0.5, {"earthquake": (2.00, 0.6), "flood": (4.0, 0.4)}),
}


@dataclass
class Records:
    """Assets in city-file form, with the place each one came from.

    Attributes:
        features: GeoJSON features with the properties of ``assets.geojson``
            (see :mod:`crisis.simulation.cityfile`), coordinates in projected metres.
        places: For each feature, where it came from (``line 12``, ``junction '15'``), used
            in error messages.
        source: Name of the imported file or object (``Net3.inp``, ``pandapower net``).
    """

    features: list[dict[str, Any]] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    source: str = "import"

    def add(
        self, place: str, x: float, y: float, properties: dict[str, Any], *, defaults: bool = True
    ) -> None:
        """Append one asset at ``(x, y)``; class defaults fill repair time and fragility."""
        if defaults:
            properties = {**class_defaults(str(properties.get("class", ""))), **properties}
        self.features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
                "properties": properties,
            }
        )
        self.places.append(place)

    def extend(self, other: Records) -> None:
        """Append every asset of ``other`` (places keep their own source's name)."""
        self.features.extend(other.features)
        self.places.extend(f"{other.source}: {p}" for p in other.places)


def class_defaults(asset_class: str) -> dict[str, Any]:
    """The ``repair`` and ``fragility`` properties :data:`CLASS_DEFAULTS` gives a class."""
    median, beta, curves = CLASS_DEFAULTS.get(asset_class, (24.0, 0.5, {}))
    props: dict[str, Any] = {"repair": {"median_hours": median, "beta": beta}}
    if curves:
        props["fragility"] = {m: {"median": c[0], "beta": c[1]} for m, c in curves.items()}
    return props


def looks_like_lonlat(x: npt.ArrayLike, y: npt.ArrayLike) -> bool:
    """True when every coordinate lies in the longitude/latitude range."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return bool(xs.size) and bool(np.all(np.abs(xs) <= 180.0) and np.all(np.abs(ys) <= 90.0))


def project(
    lon: npt.ArrayLike, lat: npt.ArrayLike, origin: tuple[float, float]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Longitude/latitude (degrees) to local metres east/north of ``origin``.

    An equirectangular projection about the origin's latitude: within a city (tens of km)
    distances are off by well under one per cent, which is all the simulator needs.
    """
    lon0, lat0 = origin
    scale = math.radians(1.0) * EARTH_RADIUS_M
    x = (np.asarray(lon, dtype=float) - lon0) * scale * math.cos(math.radians(lat0))
    y = (np.asarray(lat, dtype=float) - lat0) * scale
    return x, y


def isolated_members(features: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.intp]:
    """Indices of network features no path joins to a source of their network."""
    ids = {f["properties"]["id"]: k for k, f in enumerate(features)}
    n = len(features)
    rows: list[int] = []
    cols: list[int] = []
    member = np.zeros(n, dtype=bool)
    source = np.zeros(n, dtype=bool)
    for k, feature in enumerate(features):
        props = feature["properties"]
        if props.get("network") is None:
            continue
        member[k] = True
        source[k] = bool(props.get("source", False))
        for end in ("from", "to"):
            other = ids.get(props.get(end)) if props.get(end) is not None else None
            if other is not None:
                rows.append(k)
                cols.append(other)
    graph = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, labels = csgraph.connected_components(graph, directed=False)
    fed = np.zeros(labels.max() + 1 if n else 0, dtype=bool)
    fed[labels[source]] = True
    return np.flatnonzero(member & ~fed[labels]) if n else np.zeros(0, dtype=np.intp)


def drop_isolated(records: Records, isolated: str) -> Records:
    """Apply the ``isolated`` rule: ``"error"`` names the stranded elements, ``"drop"`` drops.

    A network element that no path joins to a source could never work, so a city cannot
    hold it. Links whose end was dropped go with it.
    """
    if isolated not in ("error", "drop"):
        raise ContentError(f"isolated must be 'error' or 'drop', not {isolated!r}")
    lost = isolated_members(records.features)
    if lost.size == 0:
        return records
    if isolated == "error":
        names = ", ".join(records.places[k] for k in lost[:5])
        more = f" and {lost.size - 5} more" if lost.size > 5 else ""
        errors = [
            f"{records.source}: {records.places[k]} is joined to no source" for k in lost[:50]
        ]
        raise ContentError(
            f"{records.source}: {names}{more} cannot reach any source of their network "
            "(import with isolated='drop' to leave them out)",
            errors=errors,
        )
    keep = np.ones(len(records.features), dtype=bool)
    keep[lost] = False
    return Records(
        [f for f, k in zip(records.features, keep, strict=True) if k],
        [p for p, k in zip(records.places, keep, strict=True) if k],
        records.source,
    )


_FEATURE = re.compile(re.escape(ASSETS_FILE) + r": feature (\d+) \(id '[^']*'\)")


def build_city(records: Records, name: str, meta: Mapping[str, Any] | None = None) -> City:
    """Validate ``records`` into a City; errors name the imported file and element."""
    meta = {"name": name, **(meta or {})}
    try:
        return city_from_records(meta, records.features)
    except ContentError as exc:

        def place(match: re.Match[str]) -> str:
            k = int(match.group(1))
            where = records.places[k] if k < len(records.places) else f"feature {k}"
            return f"{records.source}: {where}"

        errors = [_FEATURE.sub(place, e) for e in exc.errors]
        raise ContentError(errors[0], errors=errors) from None
