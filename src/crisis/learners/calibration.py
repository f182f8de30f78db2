"""Recalibrating the item bank from stored responses (``crisis items calibrate``).

Responses are a CSV in long form, one answer per row::

    person,item,correct
    u-0001,C01-03,1
    u-0001,C11-02,0

``correct`` is 1/0 (also true/false). A person answers an item at most once.

Each competence area is calibrated on its own (the test measures one ability per area, and
calibrating all items as if they measured one ability underestimates their discrimination):
``a`` and ``b`` by marginal maximum likelihood with the lower asymptote ``c`` fixed, then fit
statistics per item (:mod:`crisis.learners.itemfit`). Every item needs ``min_responses``
answers; otherwise calibration stops with an error naming the items short of it, unless
``keep_short`` is given, in which case those items keep their current parameters.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from crisis.competences.models import Catalogue
from crisis.exceptions import ContentError, FormatError
from crisis.formats.yamlsource import parse_yaml
from crisis.learners.irt import Calibration, calibrate
from crisis.learners.itemfit import ItemFit, item_fit
from crisis.learners.items import ItemBank

#: Responses an item needs before its parameters are re-estimated: a few hundred give stable
#: ``a`` and ``b`` (standard errors around 0.1–0.2).
MIN_RESPONSES = 200
#: Items below this discrimination barely tell learners apart.
WEAK_DISCRIMINATION = 0.5

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


@dataclass(frozen=True)
class BankCalibration:
    """Recalibrated parameters and fit of a whole bank, area by area.

    Attributes:
        areas: Area id → its calibration.
        fit: Item id → fit statistics (calibrated items only).
        min_responses: The minimum used.
    """

    areas: dict[str, Calibration]
    fit: dict[str, ItemFit]
    min_responses: int

    @property
    def converged(self) -> bool:
        """Whether EM converged in every area."""
        return all(c.converged for c in self.areas.values())

    @property
    def iterations(self) -> int:
        """Most EM cycles run in an area."""
        return max((c.iterations for c in self.areas.values()), default=0)

    def parameters(self) -> dict[str, dict[str, object]]:
        """Item id → ``a, b, c, responses, calibrated, area`` and fit, for YAML or JSON."""
        out: dict[str, dict[str, object]] = {}
        for area, result in self.areas.items():
            for iid, values in result.as_dict().items():
                fit = self.fit.get(iid)
                out[iid] = {
                    **values,
                    "area": area,
                    **({"fit": fit.as_dict()} if fit is not None and values["calibrated"] else {}),
                }
        return out

    def flagged(self) -> dict[str, list[str]]:
        """Item id → what is wrong with it: misfit, weak discrimination."""
        out: dict[str, list[str]] = {}
        for result in self.areas.values():
            for k, iid in enumerate(result.items):
                if not result.calibrated[k]:
                    continue
                reasons = []
                fit = self.fit.get(iid)
                if fit is not None and fit.misfit:
                    reasons.append("does not fit the model")
                if result.a[k] < WEAK_DISCRIMINATION:
                    reasons.append(f"weak discrimination (a = {result.a[k]:.2f})")
                if reasons:
                    out[iid] = reasons
        return out


def calibrate_bank(
    path: str | Path,
    bank: ItemBank,
    catalogue: Catalogue,
    *,
    min_responses: int = MIN_RESPONSES,
    keep_short: bool = False,
) -> BankCalibration:
    """Recalibrate ``bank`` from a responses CSV, one competence area at a time.

    Raises:
        ContentError: Items have fewer than ``min_responses`` answers (and not
            ``keep_short``), one error per item; an item's competence is not in the framework;
            or a bad row (see :func:`read_responses`).
        FormatError: The file cannot be read.
    """
    if min_responses < 1:
        raise ContentError(f"min_responses must be at least 1, got {min_responses}")
    matrix, _, items = read_responses(path, bank)
    area_of = {c.id: c.area for c in catalogue.framework.competences}
    unknown = [i.id for i in bank if i.competence not in area_of]
    if unknown:
        raise ContentError(
            f"item {unknown[0]}: competence {bank.item(unknown[0]).competence} is not in the "
            "framework, so it has no area to be calibrated in",
            errors=[f"item {iid}: competence not in the framework" for iid in unknown],
        )
    counts = (~np.isnan(matrix)).sum(axis=0)
    short = [(iid, int(n)) for iid, n in zip(items, counts, strict=True) if n < min_responses]
    if short and not keep_short:
        listed = ", ".join(f"{iid} ({n})" for iid, n in short[:10])
        more = f" and {len(short) - 10} more" if len(short) > 10 else ""
        raise ContentError(
            f"calibration needs at least {min_responses} responses per item; {len(short)} of "
            f"{len(items)} items have fewer: {listed}{more} (collect more answers, lower "
            "--min-responses, or keep their current values with --keep-short)",
            errors=[
                f"item {iid}: {n} responses, at least {min_responses} needed" for iid, n in short
            ],
        )
    areas: dict[str, Calibration] = {}
    fits: dict[str, ItemFit] = {}
    for area in [a.id for a in catalogue.framework.areas]:
        cols = [k for k, iid in enumerate(items) if area_of[bank.item(iid).competence] == area]
        if not cols:
            continue
        sub = matrix[:, cols]
        sub = sub[~np.isnan(sub).all(axis=1)]
        ids = [items[k] for k in cols]
        result = calibrate(
            sub,
            bank.a[cols],
            bank.b[cols],
            bank.c[cols],
            items=ids,
            min_responses=min_responses,
        )
        areas[area] = result
        for fit in item_fit(sub, result.a, result.b, result.c, items=ids):
            fits[fit.item] = fit
    return BankCalibration(areas=areas, fit=fits, min_responses=min_responses)


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
