"""Outage sets as input: "these lines, transformers and buses out", read from a file.

Two formats, each read with the place of every mistake (file and line):

YAML — one or more named sets; each set is one scenario::

    annual_probability: 0.1          # optional: how often such an event happens (default 1)
    sets:
      - name: feeder fault
        outages:
          - {asset: line-12, hours: 24}              # a crew works 24 h on it
          - {asset: trafo-1, hours: 72, crew: false} # back by itself 72 h after it went out
          - {asset: bus-33, hours: 8, start: 6}      # goes out at hour 6
      - name: substation fire
        outages:
          - {asset: bus-46, hours: 120}

A file that is only a list of outages (``outages: [...]`` or a bare list) is one set.

CSV — one outage per row, with a header naming the columns ``asset`` and ``hours``
(required) and ``start``, ``crew`` (``true``/``false``) and ``set`` (the set's name;
rows with the same name form one scenario; without the column all rows are one set)::

    set,asset,hours,start,crew
    feeder fault,line-12,24,0,true
    feeder fault,trafo-1,72,0,false

The result is a hazard model (:class:`~crisis.simulation.hazards.GivenOutages`): give it to
``run_ensemble``, ``compare`` or ``optimise`` like any hazard; scenario ``s`` is set
``s mod len(sets)``.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crisis.exceptions import FormatError, SimulationError
from crisis.simulation.city import City
from crisis.simulation.cityfile import line_of, load_yaml, plain
from crisis.simulation.hazards.systemic import GivenOutages, OutageItem, OutageSet

_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


def read_outages(path: str | os.PathLike[str], city: City | None = None) -> GivenOutages:
    """Read an outage-set file (``.yaml``/``.yml`` or ``.csv``; see the module docstring).

    Args:
        path: The file.
        city: When given, every asset id is checked against it.

    Raises:
        FormatError: The file cannot be read or parsed.
        SimulationError: A field is missing or out of range, or an asset is unknown; the
            message names the file, the line and the field.
    """
    file = Path(path)
    if file.suffix.lower() == ".csv":
        sets, probability = _from_csv(file)
    else:
        sets, probability = _from_yaml(file)
    try:
        model = GivenOutages(sets=[s for s, _ in sets], annual_probability=probability)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SimulationError(f"{file.name}: field {first['loc'][0]!r}: {first['msg']}") from None
    if city is not None:
        for chosen, lines in sets:
            for item, line in zip(chosen.outages, lines, strict=True):
                if item.asset not in city.index:
                    raise SimulationError(
                        f"{file.name}:{line}: asset '{item.asset}' is not an asset of '{city.name}'"
                    )
    return model


def _item(data: dict[str, Any], where: str) -> OutageItem:
    try:
        return OutageItem.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "outage"
        value = first.get("input")
        raise SimulationError(f"{where}: field '{field}' = {value!r}: {first['msg']}") from None


def _from_yaml(file: Path) -> tuple[list[tuple[OutageSet, list[int]]], float]:
    data = load_yaml(file)
    probability = 1.0
    if isinstance(data, dict):
        probability = data.get("annual_probability", 1.0)
        if not isinstance(probability, int | float) or isinstance(probability, bool):
            line = line_of(data) or 1
            raise SimulationError(
                f"{file.name}:{line}: field 'annual_probability' = {probability!r}: "
                "expected a number"
            )
        if "sets" in data:
            raw_sets = data["sets"]
        elif "outages" in data:
            raw_sets = [{"outages": data["outages"], "__line__": line_of(data)}]
        else:
            raise SimulationError(f"{file.name}:1: expected 'sets' or 'outages'")
    elif isinstance(data, list):
        raw_sets = [{"outages": data, "__line__": 1}]
    else:
        raise SimulationError(f"{file.name}:1: expected a mapping with 'sets', or a list")
    if not isinstance(raw_sets, list) or not raw_sets:
        raise SimulationError(f"{file.name}:1: 'sets' must be a non-empty list")
    sets: list[tuple[OutageSet, list[int]]] = []
    for k, raw in enumerate(raw_sets):
        line = line_of(raw) or 1
        if not isinstance(raw, dict) or not isinstance(raw.get("outages"), list):
            raise SimulationError(f"{file.name}:{line}: sets[{k}] needs a list of 'outages'")
        items, lines = [], []
        for j, entry in enumerate(raw["outages"]):
            where = f"{file.name}:{line_of(entry) or line}"
            if not isinstance(entry, dict):
                raise SimulationError(
                    f"{where}: sets[{k}].outages[{j}] must be a mapping with 'asset' and 'hours'"
                )
            items.append(_item(plain(entry), where))
            lines.append(line_of(entry) or line)
        if not items:
            raise SimulationError(f"{file.name}:{line}: sets[{k}] has no outages")
        name = raw.get("name")
        sets.append((OutageSet(name=None if name is None else str(name), outages=items), lines))
    return sets, float(probability)


def _from_csv(file: Path) -> tuple[list[tuple[OutageSet, list[int]]], float]:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise FormatError(f"cannot read {file}: {exc.strerror}") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    for needed in ("asset", "hours"):
        if needed not in columns:
            raise SimulationError(f"{file.name}:1: the header needs a column '{needed}'")
    unknown = set(columns) - {"set", "asset", "hours", "start", "crew"}
    if unknown:
        raise SimulationError(f"{file.name}:1: unknown column(s) {', '.join(sorted(unknown))}")
    groups: dict[str, tuple[list[OutageItem], list[int]]] = {}
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        where = f"{file.name}:{number}"
        data: dict[str, Any] = {"asset": row["asset"], "hours": _number(row["hours"], where)}
        if row.get("start"):
            data["start"] = _number(row["start"], where)
        crew = row.get("crew", "").lower()
        if crew not in _TRUE | _FALSE:
            raise SimulationError(f"{where}: field 'crew' = {row['crew']!r}: expected true/false")
        if crew:
            data["crew"] = crew in _TRUE
        items, lines = groups.setdefault(row.get("set", ""), ([], []))
        items.append(_item(data, where))
        lines.append(number)
    if not groups:
        raise SimulationError(f"{file.name}:2: no outages in the file")
    sets = [
        (OutageSet(name=name or None, outages=items), lines)
        for name, (items, lines) in groups.items()
    ]
    return sets, 1.0


def _number(text: str, where: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text  # validation names the field and the value
