"""Recalibrating the item bank from stored responses (``crisis items calibrate``).

Responses are a CSV in long form, one answer per row::

    person,item,correct
    u-0001,C01-03,1
    u-0001,C11-02,0

``correct`` is 1/0 (also true/false). A person answers an item at most once. Items with fewer
than ``min_responses`` answers keep their current parameters (see
:func:`crisis.learners.irt.calibrate`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import numpy.typing as npt

from crisis.exceptions import ContentError, FormatError
from crisis.formats.yamlsource import parse_yaml
from crisis.learners.irt import Calibration, calibrate
from crisis.learners.items import ItemBank

_TRUE = {"1", "true", "yes", "correct"}
_FALSE = {"0", "false", "no", "wrong", "incorrect"}


def read_responses(
    path: str | Path, bank: ItemBank
) -> tuple[npt.NDArray[np.float64], list[str], list[str]]:
    """Read a responses CSV into a persons × items matrix (NaN where not answered).

    Returns:
        The matrix, the person ids (rows) and the item ids (columns, the bank's order).

    Raises:
        FormatError: The file cannot be read or lacks the required columns.
        ContentError: Every bad row, naming file and line (unknown item, bad value, repeat).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read {file.name}: {exc}") from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in ("person", "item", "correct") if c not in header]
    if missing:
        raise FormatError(f"{file.name}:1: missing column(s) {', '.join(missing)}")
    col = {name: header.index(name) for name in ("person", "item", "correct")}
    items = [item.id for item in bank]
    item_col = {iid: k for k, iid in enumerate(items)}
    persons: dict[str, int] = {}
    cells: dict[tuple[int, int], float] = {}
    seen: dict[tuple[str, str], int] = {}
    errors: list[str] = []
    for line, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            errors.append(f"{file.name}:{line}: expected {len(header)} cells, got {len(row)}")
            continue
        person, iid, value = (row[col[c]].strip() for c in ("person", "item", "correct"))
        if iid not in item_col:
            errors.append(f"{file.name}:{line}: item {iid!r} is not in the item bank")
            continue
        if value.lower() in _TRUE:
            score = 1.0
        elif value.lower() in _FALSE:
            score = 0.0
        else:
            errors.append(f"{file.name}:{line}: correct must be 1 or 0, got {value!r}")
            continue
        if not person:
            errors.append(f"{file.name}:{line}: person is empty")
            continue
        if (person, iid) in seen:
            errors.append(
                f"{file.name}:{line}: {person} answered {iid} already on line {seen[(person, iid)]}"
            )
            continue
        seen[(person, iid)] = line
        row_no = persons.setdefault(person, len(persons))
        cells[(row_no, item_col[iid])] = score
    if errors:
        raise ContentError(f"{len(errors)} bad row(s); first: {errors[0]}", errors=errors)
    matrix = np.full((len(persons), len(items)), np.nan)
    for (r, c), score in cells.items():
        matrix[r, c] = score
    return matrix, list(persons), items


def calibrate_bank(path: str | Path, bank: ItemBank, *, min_responses: int = 200) -> Calibration:
    """Recalibrate ``bank`` from a responses CSV; returns parameters for every item."""
    matrix, _, items = read_responses(path, bank)
    return calibrate(matrix, bank.a, bank.b, items=items, min_responses=min_responses)


def load_calibration(path: str | Path) -> dict[str, dict[str, float]]:
    """Read the YAML written by ``crisis items calibrate --out``: item id → ``{a, b}``.

    Only recalibrated items are returned, ready for
    :func:`crisis.learners.items.apply_calibration`.

    Raises:
        FormatError: The file cannot be read or is not a calibration file.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read calibration file {file.name}: {exc}") from None
    data = parse_yaml(raw, file.name).data
    parameters = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(parameters, dict):
        raise FormatError(f"{file.name}: expected a 'parameters' mapping of item ids")
    out = {}
    for iid, values in parameters.items():
        if not isinstance(values, dict) or "a" not in values or "b" not in values:
            raise FormatError(f"{file.name}: item {iid}: expected a and b")
        if values.get("calibrated", True):
            out[str(iid)] = {"a": float(values["a"]), "b": float(values["b"])}
    return out
