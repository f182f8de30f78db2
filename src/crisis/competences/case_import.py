"""Read a CASE 1.0 CFPackage (JSON) as a CRISIS framework.

The tree comes from the ``isChildOf`` associations: items directly under the CFDocument are
areas, items below them are competences (``parent`` naming the competence above, none directly
under an area). Items of type "Proficiency level" under a competence give its level
descriptors (``listEnumeration`` 1-4, ``abbreviatedStatement`` the level's name); "Knowledge",
"Skill" and "Attitude" items its statements. An item's ``humanCodingScheme`` is its id when
the codes are unique, else its ``identifier``. ``isRelatedTo`` between items gives ``related``;
to an ESCO skill URI or a ``urn:crisis:`` concept it gives a mapping; ``educationLevel``
"EQF n" gives the EQF level. Competences without level items take their levels from the scale.
Packages that CRISIS writes read back into the same framework.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import ValidationError

from crisis.competences import scales
from crisis.competences.case import LEVEL, STATEMENTS, URN
from crisis.competences.models import Framework, Scale
from crisis.competences.sources import MAX_BYTES, Source, parse_yaml
from crisis.competences.standards import ESCO_SKILL_URI
from crisis.exceptions import ContentError

_EQF = re.compile(r"^EQF\s*([1-8])$")
_KINDS = {kind: attr for attr, kind in STATEMENTS.items()}


def _slug(text: str, fallback: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()[:64].strip("-")
    return slug or f"case-{fallback[:8]}"


def import_case(
    data: bytes, name: str = "framework.json", *, max_bytes: int = MAX_BYTES
) -> Framework:
    """Read a CASE 1.0 package into a framework, checking it whole.

    Raises:
        FormatError: too large, not UTF-8, or not JSON.
        ContentError: every problem, as ``name:line: path: message``.
    """
    src = parse_yaml(data, name, max_bytes=max_bytes)  # JSON is YAML; this keeps line numbers
    errors: list[str] = []
    body = src.data
    if not isinstance(body, dict) or not isinstance(body.get("CFDocument"), dict):
        raise ContentError(
            f"{name}:1: not a CASE package: no CFDocument",
            errors=[f"{name}:1: not a CASE package: expected an object with a CFDocument"],
        )
    document = body["CFDocument"]
    items_raw = body.get("CFItems", [])
    assocs_raw = body.get("CFAssociations", [])
    for key, value in (("CFItems", items_raw), ("CFAssociations", assocs_raw)):
        if not isinstance(value, list):
            errors.append(f"{src.where((key,))}: {key}: expected a list")
    items: dict[str, tuple[int, dict[str, Any]]] = {}
    for i, item in enumerate(items_raw if isinstance(items_raw, list) else []):
        at = ("CFItems", i)
        if not isinstance(item, dict):
            errors.append(f"{src.where(at)}: CFItems.{i}: expected an object")
            continue
        for required in ("identifier", "fullStatement"):
            if not isinstance(item.get(required), str) or not item[required].strip():
                errors.append(f"{src.where(at)}: CFItems.{i}.{required}: required text is missing")
        ident = item.get("identifier")
        if isinstance(ident, str):
            if ident in items:
                errors.append(
                    f"{src.where((*at, 'identifier'))}: CFItems.{i}.identifier: {ident!r} is "
                    f"used twice (first at line {src.line(('CFItems', items[ident][0]))})"
                )
            items[ident] = (i, item)
    doc_id = document.get("identifier")
    children: dict[str, list[tuple[int, str]]] = {}
    parent_of: dict[str, str] = {}
    related: dict[str, list[str]] = {}
    external: dict[str, list[str]] = {}
    for j, assoc in enumerate(assocs_raw if isinstance(assocs_raw, list) else []):
        at = ("CFAssociations", j)
        if not isinstance(assoc, dict):
            errors.append(f"{src.where(at)}: CFAssociations.{j}: expected an object")
            continue
        kind = assoc.get("associationType")
        origin = (assoc.get("originNodeURI") or {}).get("identifier")
        target = assoc.get("destinationNodeURI") or {}
        dest = target.get("identifier")
        if not isinstance(origin, str) or not isinstance(dest, str):
            errors.append(
                f"{src.where(at)}: CFAssociations.{j}: originNodeURI and destinationNodeURI "
                "need an identifier"
            )
            continue
        if kind == "isChildOf":
            if origin not in items:
                errors.append(
                    f"{src.where((*at, 'originNodeURI'))}: CFAssociations.{j}: child "
                    f"{origin!r} is not an item of the package"
                )
                continue
            if dest != doc_id and dest not in items:
                errors.append(
                    f"{src.where((*at, 'destinationNodeURI'))}: CFAssociations.{j}: parent "
                    f"{dest!r} is neither the document nor an item of the package"
                )
                continue
            if origin in parent_of:
                errors.append(
                    f"{src.where(at)}: CFAssociations.{j}: item {origin!r} has a second parent"
                )
                continue
            parent_of[origin] = dest
            children.setdefault(dest, []).append((_sequence(assoc, j), origin))
        elif kind == "isRelatedTo" and origin in items:
            if dest in items:
                related.setdefault(origin, []).append(dest)
            elif isinstance(target.get("uri"), str):
                external.setdefault(origin, []).append(target["uri"])
    for ident in items:
        trail, node = [ident], parent_of.get(ident)
        while node is not None and node in items:
            if node in trail:
                errors.append(
                    f"{src.where(('CFItems', items[ident][0]))}: isChildOf associations form a "
                    "cycle"
                )
                break
            trail.append(node)
            node = parent_of.get(node)
    if errors:
        raise ContentError(f"{len(errors)} problems in {name}: {errors[0]}", errors=errors)
    return _build(src, document, items, children, related, external, errors)


def _sequence(assoc: dict[str, Any], index: int) -> int:
    value = assoc.get("sequenceNumber")
    return value if isinstance(value, int) else 10**6 + index


def _build(
    src: Source,
    document: dict[str, Any],
    items: dict[str, tuple[int, dict[str, Any]]],
    children: dict[str, list[tuple[int, str]]],
    related: dict[str, list[str]],
    external: dict[str, list[str]],
    errors: list[str],
) -> Framework:
    name = src.name
    codes = [item.get("humanCodingScheme") for _, item in items.values()]
    unique = all(isinstance(c, str) and c.strip() for c in codes) and len(set(codes)) == len(codes)

    def ident(key: str) -> str:
        item = items[key][1]
        return str(item["humanCodingScheme"]).strip()[:100] if unique else key

    def kids(key: str) -> list[str]:
        return [k for _, k in sorted(children.get(key, []))]

    def kind(key: str) -> str:
        return str(items[key][1].get("CFItemType") or "")

    level_names: dict[int, str] = {}
    lines: dict[tuple[Any, ...], int] = {(): src.line(("CFDocument",))}
    areas = []
    for a, top in enumerate(kids(str(document.get("identifier")))):
        item = items[top][1]
        lines[("areas", a)] = src.line(("CFItems", items[top][0]))
        area: dict[str, Any] = {"id": ident(top), "title": _title(item), "competences": []}
        if text := _description(item):
            area["description"] = text
        area["related"] = [ident(r) for r in related.get(top, [])]
        stack: list[tuple[str, str | None]] = [(k, None) for k in kids(top)]
        while stack:
            key, parent = stack.pop(0)
            if kind(key) == LEVEL or kind(key) in _KINDS:
                continue  # statements directly under an area are not competences
            entry = _competence(key, items, kids, kind, ident, related, external, level_names)
            if parent is not None:
                entry["parent"] = ident(parent)
            lines[("areas", a, "competences", len(area["competences"]))] = src.line(
                ("CFItems", items[key][0])
            )
            area["competences"].append(entry)
            stack[0:0] = [(k, key) for k in kids(key)]
        areas.append(area)
    scale_data = {
        "proficient": 2,
        "levels": [
            {"value": v, "name": level_names.get(v) or scales.STANDARD_NAMES[v]} for v in range(5)
        ],
    }
    scale = Scale.model_validate(scale_data)
    derived = scales.derived_levels(scale)
    for area in areas:
        for comp in area["competences"]:
            comp["levels"] = {lvl: comp["levels"].get(lvl, derived[lvl]) for lvl in derived}
    data: dict[str, Any] = {
        "id": _slug(str(document.get("title") or ""), str(document.get("identifier"))),
        "title": document.get("title") or "Framework",
        "scale": scale_data,
        "areas": areas,
    }
    for source_key, key in (("description", "description"), ("version", "version")):
        if isinstance(document.get(source_key), str) and document[source_key].strip():
            data[key] = document[source_key]
    if isinstance(document.get("creator"), str):
        data["publisher"] = document.get("publisher") or document["creator"]
    if isinstance(document.get("officialSourceURL"), str):
        data["uri"] = document["officialSourceURL"]
    stamp = document.get("lastChangeDateTime")
    if isinstance(stamp, str) and re.match(r"^\d{4}-\d{2}-\d{2}", stamp):
        data["updated"] = stamp[:10]
    source = Source(name, data, lines)
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        errors += source.validation_errors(exc)
    raise ContentError(f"{len(errors)} problems in {name}: {errors[0]}", errors=errors)


def _description(item: dict[str, Any]) -> str | None:
    # A long statement with a short label: the statement describes the item.
    if item.get("notes"):
        return str(item["notes"])
    return str(item["fullStatement"]) if item.get("abbreviatedStatement") else None


def _title(item: dict[str, Any]) -> str:
    title = item.get("abbreviatedStatement") or item["fullStatement"]
    return str(title).strip()[:200]


def _competence(
    key: str,
    items: dict[str, tuple[int, dict[str, Any]]],
    kids: Any,
    kind: Any,
    ident: Any,
    related: dict[str, list[str]],
    external: dict[str, list[str]],
    level_names: dict[int, str],
) -> dict[str, Any]:
    item = items[key][1]
    entry: dict[str, Any] = {"id": ident(key), "title": _title(item), "levels": {}}
    if text := _description(item):
        entry["description"] = text
    mappings: dict[str, Any] = {}
    for level in item.get("educationLevel") or []:
        match = _EQF.match(str(level).strip())
        if match:
            mappings["eqf"] = int(match.group(1))
    for child in kids(key):
        sub = items[child][1]
        if kind(child) == LEVEL:
            try:
                level = int(str(sub.get("listEnumeration")))
            except ValueError:
                continue
            if 1 <= level <= 4:
                entry["levels"][level] = sub["fullStatement"]
                if sub.get("abbreviatedStatement"):
                    level_names.setdefault(level, sub["abbreviatedStatement"])
        elif kind(child) in _KINDS:
            entry.setdefault(_KINDS[kind(child)], []).append(sub["fullStatement"])
    entry["related"] = [ident(r) for r in related.get(key, [])]
    for uri in external.get(key, []):
        if ESCO_SKILL_URI.match(uri):
            mappings.setdefault("esco", []).append(uri)
        elif uri.startswith(URN):
            scheme, _, code = uri.removeprefix(URN).partition(":")
            if scheme in ("ecf", "digcomp"):
                mappings.setdefault(scheme, []).append(code)
            elif scheme == "undrr" and code.isdigit():
                mappings.setdefault("undrr_essentials", []).append(int(code))
            elif scheme == "cri":
                mappings.setdefault("cri_dimensions", []).append(code)
    if mappings:
        entry["mappings"] = mappings
    return entry
