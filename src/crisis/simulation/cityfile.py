"""The city file format: a folder with ``city.yaml`` and ``assets.geojson``.

``city.yaml``::

    name: Riverside
    warning_hours: 0            # lead time of an early-warning system (hours)
    crews:                      # per sector; sectors not listed get one local crew
      power: {local: 4, mutual_aid: 6, mutual_aid_delay_hours: 48}
    districts:
      - id: D1
        population: 12000
        vulnerable_share: 0.18
        services:               # service -> asset ids (equal weights) or {asset id: weight}
          power: [S1, S2]
          water: {J4: 0.7, J5: 0.3}
          health: [H1]

``assets.geojson`` is a FeatureCollection with one feature per asset. The geometry is a
Point (a LineString is accepted on reading; its mean vertex becomes the position). Properties:

================  ========================================================================
``id``            unique asset id (required)
``sector``        one of :data:`~crisis.simulation.city.SECTORS` (required)
``class``         asset class, free text (``substation``, ``pipe``, ``hospital``)
``elevation``     metres above datum (default 0)
``population``    people or demand served (default 0)
``backup_hours``  hours a backup generator bridges a power loss, or a source's store (a
                  tank) the loss of what refills it (default 0)
``repair``        ``{median_hours, beta}`` lognormal repair time (default 24 h, 0.5)
``fragility``     ``{earthquake|flood|heatwave: {median, beta}}``; PGA in g, depth in m,
                  heat excess over the design temperature in °C
``flood_protection``  barrier height in m (default 0)
``segmented``     true when a cyber segmentation boundary protects the asset
``criticality``, ``cost``  tags used by priorities and interventions
``district``      id of the district the asset stands in
``network``       ``power``, ``water`` or ``roads`` when the asset is a network element
``source``        true for a network source (generation, reservoir, depot)
``from``, ``to``  for a link (line, pipe, road segment): the two node ids it joins
``needs``         list of groups ``{type: supply|control|access|workforce, any_of: [ids]}``
================  ========================================================================
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from crisis.exceptions import ContentError, FormatError
from crisis.formats.yamlsource import Source, parse_yaml
from crisis.simulation.city import (
    FRAGILITY_MEASURES,
    GROUP_TYPES,
    NETWORKS,
    SECTORS,
    SERVICES,
    City,
    Crews,
)

CITY_FILE = "city.yaml"
ASSETS_FILE = "assets.geojson"
_LINE = "__line__"


def load_yaml(path: Path) -> Any:
    """Parse a YAML file, recording mapping lines; :class:`FormatError` naming file:line.

    Read by the one reader of :mod:`crisis.formats` (size, depth and alias limits).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror}") from None
    source = parse_yaml(data, path.name)
    return _with_lines(source.data, (), source)


def _with_lines(value: Any, where: tuple[Any, ...], source: Source) -> Any:
    if isinstance(value, dict):
        out = {k: _with_lines(v, (*where, k), source) for k, v in value.items()}
        out[_LINE] = source.starts.get(where, source.line(where))
        return out
    if isinstance(value, list):
        return [_with_lines(v, (*where, i), source) for i, v in enumerate(value)]
    return value


def line_of(mapping: Any) -> int | None:
    """The line a mapping parsed by :func:`load_yaml` started on, if known."""
    return mapping.get(_LINE) if isinstance(mapping, dict) else None


def plain(value: Any) -> Any:
    """``value`` from :func:`load_yaml` without the recorded line numbers."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != _LINE}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def read_city(path: str | os.PathLike[str]) -> City:
    """Read and validate a city folder (or its ``city.yaml``)."""
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    if not (folder / CITY_FILE).is_file():
        raise FormatError(f"{folder}: no {CITY_FILE} here (a city is a folder with {CITY_FILE})")
    meta = load_yaml(folder / CITY_FILE)
    if not isinstance(meta, dict):
        raise FormatError(f"{CITY_FILE}:1: expected a mapping with 'name' and 'districts'")
    assets_path = folder / ASSETS_FILE
    try:
        collection = json.loads(assets_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FormatError(f"cannot read {assets_path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{ASSETS_FILE}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise FormatError(f"{ASSETS_FILE}: expected a FeatureCollection with 'features'")
    return city_from_records(meta, features)


def _num(
    errors: list[str], where: str, props: Mapping[str, Any], key: str, default: float
) -> float:
    value = props.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(f"{where}: field '{key}' is {value!r}, expected a number")
        return default
    return float(value)


def city_from_records(meta: Mapping[str, Any], features: list[Any]) -> City:
    """Build and validate a City from ``city.yaml`` data and GeoJSON features.

    Every mistake is reported with its place: ``assets.geojson: feature 7 (id 'P7'): …`` or
    ``city.yaml:12: …``. Raises :class:`ContentError` with all of them.
    """
    errors: list[str] = []
    n = len(features)
    ids: list[str] = []
    where: list[str] = []
    for k, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        asset_id = props.get("id") if isinstance(props, dict) else None
        place = f"{ASSETS_FILE}: feature {k}"
        if not isinstance(asset_id, str) or not asset_id:
            errors.append(f"{place}: field 'id' is missing or not a string")
            asset_id = f"#{k}"
        where.append(f"{place} (id '{asset_id}')")
        ids.append(asset_id)
    index: dict[str, int] = {}
    for k, asset_id in enumerate(ids):
        if asset_id in index:
            errors.append(f"{where[k]}: duplicate id (first used by feature {index[asset_id]})")
        index.setdefault(asset_id, k)
    if errors:
        raise ContentError(errors[0], errors=errors)

    districts = meta.get("districts") or []
    if not isinstance(districts, list):
        raise ContentError(f"{CITY_FILE}:{meta.get(_LINE, 1)}: 'districts' must be a list")
    d_index: dict[str, int] = {}
    for d in districts:
        if not isinstance(d, dict) or not isinstance(d.get("id"), str):
            errors.append(f"{CITY_FILE}:{meta.get(_LINE, 1)}: every district needs an 'id'")
            continue
        d_index[d["id"]] = len(d_index)

    def ref(place: str, key: str, value: Any, table: dict[str, int], what: str) -> int:
        if value is None:
            return -1
        if value not in table:
            errors.append(f"{place}: field '{key}' names {what} '{value}', which does not exist")
            return -1
        return table[value]

    def code(place: str, key: str, value: Any, allowed: tuple[str, ...], default: int) -> int:
        if value is None:
            return default
        if value not in allowed:
            errors.append(f"{place}: field '{key}' is {value!r}, expected one of {allowed}")
            return default
        return allowed.index(value)

    cols: dict[str, np.ndarray] = {
        name: np.zeros(n)
        for name in ("x", "y", "elevation", "population", "backup_hours", "flood_protection")
    }
    cols.update(
        repair_median=np.full(n, 24.0),
        repair_beta=np.full(n, 0.5),
        criticality=np.zeros(n),
        cost=np.zeros(n),
    )
    med = np.full((n, len(FRAGILITY_MEASURES)), np.nan)
    beta = np.full((n, len(FRAGILITY_MEASURES)), np.nan)
    sector = np.zeros(n, dtype=np.int8)
    network = np.full(n, -1, dtype=np.int8)
    district = np.full(n, -1, dtype=np.int32)
    link_from = np.full(n, -1, dtype=np.int32)
    link_to = np.full(n, -1, dtype=np.int32)
    source = np.zeros(n, dtype=bool)
    segmented = np.zeros(n, dtype=bool)
    classes: list[str] = []
    g_owner: list[int] = []
    g_type: list[int] = []
    g_members: list[list[int]] = []
    for k, feature in enumerate(features):
        props, place = feature["properties"], where[k]
        cols["x"][k], cols["y"][k] = _position(errors, place, feature.get("geometry"))
        for key in ("elevation", "population", "backup_hours", "flood_protection"):
            cols[key][k] = _num(errors, place, props, key, 0.0)
        cols["criticality"][k] = _num(errors, place, props, "criticality", 0.0)
        cols["cost"][k] = _num(errors, place, props, "cost", 0.0)
        repair = props.get("repair") or {}
        if isinstance(repair, dict):
            cols["repair_median"][k] = _num(errors, f"{place} repair", repair, "median_hours", 24)
            cols["repair_beta"][k] = _num(errors, f"{place} repair", repair, "beta", 0.5)
        for measure, curve in (props.get("fragility") or {}).items():
            if measure not in FRAGILITY_MEASURES:
                errors.append(
                    f"{place}: field 'fragility.{measure}' is not one of {FRAGILITY_MEASURES}"
                )
            elif isinstance(curve, dict):
                m = FRAGILITY_MEASURES.index(measure)
                med[k, m] = _num(errors, f"{place} fragility.{measure}", curve, "median", np.nan)
                beta[k, m] = _num(errors, f"{place} fragility.{measure}", curve, "beta", 0.5)
        if props.get("sector") is None:
            errors.append(f"{place}: field 'sector' is missing")
        sector[k] = code(place, "sector", props.get("sector"), SECTORS, 0)
        network[k] = code(place, "network", props.get("network"), NETWORKS, -1)
        district[k] = ref(place, "district", props.get("district"), d_index, "district")
        link_from[k] = ref(place, "from", props.get("from"), index, "asset")
        link_to[k] = ref(place, "to", props.get("to"), index, "asset")
        source[k] = bool(props.get("source", False))
        segmented[k] = bool(props.get("segmented", False))
        classes.append(str(props.get("class", "")))
        needs = props.get("needs") or []
        if not isinstance(needs, list):
            errors.append(f"{place}: field 'needs' must be a list of groups")
            needs = []
        for j, group in enumerate(needs):
            members = group.get("any_of") if isinstance(group, dict) else None
            if not isinstance(members, list) or not members:
                errors.append(f"{place}: field 'needs[{j}].any_of' must list asset ids")
                continue
            g_owner.append(k)
            g_type.append(code(place, f"needs[{j}].type", group.get("type"), GROUP_TYPES, 0))
            g_members.append([ref(place, f"needs[{j}].any_of", m, index, "asset") for m in members])

    crews: dict[str, Crews] = {}
    for sector_name, spec in (meta.get("crews") or {}).items():
        if sector_name == _LINE:
            continue
        line = f"{CITY_FILE}:{spec.get(_LINE, '?') if isinstance(spec, dict) else '?'}"
        if sector_name not in SECTORS or not isinstance(spec, dict):
            errors.append(f"{line}: crews '{sector_name}' is not a sector with a mapping")
            continue
        local = _num(errors, f"{line}: crews.{sector_name}", spec, "local", 1)
        aid = _num(errors, f"{line}: crews.{sector_name}", spec, "mutual_aid", 0)
        delay = _num(errors, f"{line}: crews.{sector_name}", spec, "mutual_aid_delay_hours", 48)
        if local < 0 or aid < 0 or delay < 0:
            errors.append(f"{line}: crews.{sector_name} counts and delay must be ≥ 0")
        crews[sector_name] = Crews(int(local), int(aid), delay)

    l_service: list[int] = []
    l_district: list[int] = []
    l_asset: list[int] = []
    l_weight: list[float] = []
    pops, vulns = [], []
    for d in districts:
        if not isinstance(d, dict) or d.get("id") not in d_index:
            continue
        line = f"{CITY_FILE}:{d.get(_LINE, '?')}: district '{d['id']}'"
        pops.append(_num(errors, line, d, "population", 0))
        vulns.append(_num(errors, line, d, "vulnerable_share", 0))
        for service, assets in (d.get("services") or {}).items():
            if service == _LINE:
                continue
            if service not in SERVICES:
                errors.append(f"{line}: service '{service}' is not one of {SERVICES}")
                continue
            pairs = (
                [(a, 1.0) for a in assets]
                if isinstance(assets, list)
                else [(a, w) for a, w in assets.items() if a != _LINE]
            )
            for asset_id, weight in pairs:
                a = ref(line, f"services.{service}", asset_id, index, "asset")
                if a >= 0:
                    l_service.append(SERVICES.index(service))
                    l_district.append(d_index[d["id"]])
                    l_asset.append(a)
                    l_weight.append(float(weight))
    if errors:
        raise ContentError(errors[0], errors=errors)

    order = np.argsort(np.asarray(g_owner, dtype=np.int64), kind="stable")
    counts = np.array([len(g_members[i]) for i in order], dtype=np.int64)
    city = City(
        name=str(meta.get("name", "city")),
        ids=tuple(ids),
        sector=sector,
        asset_class=tuple(classes),
        fragility_median=med,
        fragility_beta=beta,
        segmented=segmented,
        district=district,
        network=network,
        source=source,
        link_from=link_from,
        link_to=link_to,
        group_owner=np.asarray(g_owner, dtype=np.int32)[order],
        group_type=np.asarray(g_type, dtype=np.int8)[order],
        group_indptr=np.concatenate([[0], np.cumsum(counts)]),
        group_members=np.asarray([m for i in order for m in g_members[i]], dtype=np.int32),
        district_ids=tuple(d_index),
        district_population=np.asarray(pops),
        district_vulnerable=np.asarray(vulns),
        link_service=np.asarray(l_service, dtype=np.int8),
        link_district=np.asarray(l_district, dtype=np.int32),
        link_asset=np.asarray(l_asset, dtype=np.int32),
        link_weight=np.asarray(l_weight),
        crews=crews,
        warning_hours=float(meta.get("warning_hours", 0.0) or 0.0),
        **cols,
    )
    city.check(locate=dict(enumerate(where)), source=CITY_FILE)
    return city


def _position(errors: list[str], place: str, geometry: Any) -> tuple[float, float]:
    if not isinstance(geometry, dict):
        return 0.0, 0.0
    coords = np.asarray(geometry.get("coordinates", []), dtype=object)
    try:
        points = np.asarray(coords.tolist(), dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        errors.append(f"{place}: field 'geometry.coordinates' is not a point or line")
        return 0.0, 0.0
    if points.size == 0:
        return 0.0, 0.0
    x, y = points.mean(axis=0)
    return float(x), float(y)


def city_to_records(city: City) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``city.yaml`` mapping and the GeoJSON FeatureCollection of ``city``."""
    districts: list[dict[str, Any]] = []
    for d, district_id in enumerate(city.district_ids):
        services: dict[str, dict[str, float]] = {}
        for k in np.flatnonzero(city.link_district == d):
            name = SERVICES[city.link_service[k]]
            services.setdefault(name, {})[city.ids[city.link_asset[k]]] = float(city.link_weight[k])
        districts.append(
            {
                "id": district_id,
                "population": float(city.district_population[d]),
                "vulnerable_share": float(city.district_vulnerable[d]),
                "services": services,
            }
        )
    meta = {
        "name": city.name,
        "warning_hours": city.warning_hours,
        "crews": {
            s: {
                "local": c.local,
                "mutual_aid": c.mutual_aid,
                "mutual_aid_delay_hours": c.mutual_aid_delay_hours,
            }
            for s, c in city.crews.items()
        },
        "districts": districts,
    }
    features = []
    for i, asset_id in enumerate(city.ids):
        props: dict[str, Any] = {
            "id": asset_id,
            "sector": SECTORS[city.sector[i]],
            "class": city.asset_class[i],
            "elevation": float(city.elevation[i]),
            "population": float(city.population[i]),
            "repair": {
                "median_hours": float(city.repair_median[i]),
                "beta": float(city.repair_beta[i]),
            },
            "criticality": float(city.criticality[i]),
            "cost": float(city.cost[i]),
        }
        if city.backup_hours[i]:
            props["backup_hours"] = float(city.backup_hours[i])
        if city.flood_protection[i]:
            props["flood_protection"] = float(city.flood_protection[i])
        if city.segmented[i]:
            props["segmented"] = True
        fragility = {
            m: {
                "median": float(city.fragility_median[i, k]),
                "beta": float(city.fragility_beta[i, k]),
            }
            for k, m in enumerate(FRAGILITY_MEASURES)
            if not np.isnan(city.fragility_median[i, k])
        }
        if fragility:
            props["fragility"] = fragility
        if city.district[i] >= 0:
            props["district"] = city.district_ids[city.district[i]]
        if city.network[i] >= 0:
            props["network"] = NETWORKS[city.network[i]]
        if city.source[i]:
            props["source"] = True
        if city.link_from[i] >= 0:
            props["from"] = city.ids[city.link_from[i]]
            props["to"] = city.ids[city.link_to[i]]
        needs = [
            {
                "type": GROUP_TYPES[city.group_type[g]],
                "any_of": [city.ids[m] for m in city.members_of(g)],
            }
            for g in city.groups_of(i)
        ]
        if needs:
            props["needs"] = needs
        geometry = {"type": "Point", "coordinates": [float(city.x[i]), float(city.y[i])]}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return meta, {"type": "FeatureCollection", "features": features}


def write_city(city: City, folder: str | os.PathLike[str]) -> Path:
    """Write ``city`` as ``city.yaml`` + ``assets.geojson`` into ``folder`` (created)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    meta, collection = city_to_records(city)
    _atomic_write(out / CITY_FILE, yaml.safe_dump(meta, sort_keys=False, allow_unicode=True))
    _atomic_write(out / ASSETS_FILE, json.dumps(collection, separators=(",", ":")))
    return out


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
