"""CSV and XLSX export and import of the hazard register and of a scorecard round.

Import is all or nothing: every bad cell is reported (``row 4, column ms_people: ...``, rows
counted as a spreadsheet shows them, the header being row 1) and nothing is returned unless
the whole sheet is valid. A column the format does not know is an error, so that a typo in a
header never silently drops data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crisis.exceptions import ContentError, FormatError, LimitExceededError
from crisis.formats.tables import neutralise, read_csv_rows, read_xlsx_rows, restore_cell
from crisis.formats.validation import describe_errors, format_loc
from crisis.workbench.anchors import DIMENSIONS
from crisis.workbench.register import Hazard, Register, combination_errors
from crisis.workbench.scorecard import LEVELS, Answer, ScorecardRound, bundled_scorecard

_PREFIX = {"most_probable": "mp", "most_severe": "ms"}
_SCENARIO_FIELDS = ("description", "annual_probability", "return_period_years", *DIMENSIONS)
_LISTS = ("sources", "exposed_assets", "exposed_districts", "combines")
REGISTER_COLUMNS: tuple[str, ...] = (
    "id", "taxonomy_id", "title", "category", "kind", "confidence", "owner", *_LISTS, "version",
    *(f"{p}_{f}" for p in _PREFIX.values() for f in _SCENARIO_FIELDS),
)  # fmt: skip
REGISTER_REQUIRED: tuple[str, ...] = (
    "id", "title", "category", "kind",
    *(f"{p}_{d}" for p in _PREFIX.values() for d in DIMENSIONS),
)  # fmt: skip
SCORECARD_COLUMNS: tuple[str, ...] = ("question_id", "score", "evidence", "attachments")
SEPARATOR = "; "


# ---------------------------------------------------------------- reading and writing tables


def _bytes_of(source: str | Path | bytes) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, "upload"
    try:
        return Path(source).read_bytes(), Path(source).name
    except FileNotFoundError:
        raise FormatError("file not found", location=str(source)) from None
    except OSError as exc:
        raise FormatError(f"cannot read file: {exc.strerror}", location=str(source)) from None


def _read_csv(source: str | Path | bytes) -> list[list[Any]]:
    data, name = _bytes_of(source)
    try:
        rows = read_csv_rows(data, name)
    except LimitExceededError:
        raise
    except FormatError as exc:
        if "UTF-8" in exc.message:
            raise FormatError("CSV must be UTF-8 encoded") from None
        raise
    # Blank cells of short rows read as empty text, as the csv module gives them.
    return [["" if cell is None else cell for cell in row] for row in rows]


def _read_xlsx(source: str | Path | bytes, sheet: str) -> list[list[Any]]:
    data, name = _bytes_of(source)
    return read_xlsx_rows(data, name, sheet=sheet)


def _table(source: str | Path | bytes, fmt: str, sheet: str) -> list[list[Any]]:
    if fmt == "csv":
        return _read_csv(source)
    if fmt == "xlsx":
        return _read_xlsx(source, sheet)
    raise FormatError(f"format must be 'csv' or 'xlsx', got {fmt!r}")


#: Text cells that start a formula get an apostrophe on export (one rule for every exporter).
guard_cell = neutralise
#: Undo :func:`guard_cell` on an imported cell.
unguard_cell = restore_cell


def _write(rows: list[list[Any]], path: str | Path | None, fmt: str, sheet: str) -> bytes:
    rows = [[guard_cell(cell) for cell in row] for row in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        data = buffer.getvalue().encode("utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        worksheet = book.active
        assert worksheet is not None
        worksheet.title = sheet
        for row in rows:
            worksheet.append(row)
        out = io.BytesIO()
        book.save(out)
        data = out.getvalue()
    else:
        raise FormatError(f"format must be 'csv' or 'xlsx', got {fmt!r}")
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _header(rows: list[list[Any]], known: Sequence[str], required: Sequence[str]) -> list[str]:
    if not rows or not any(cell not in (None, "") for cell in rows[0]):
        raise FormatError("the sheet is empty; expected a header row")
    header = ["" if cell is None else str(cell).strip() for cell in rows[0]]
    for index, name in enumerate(header, start=1):
        if name not in known:
            raise FormatError(
                f"unknown column {name!r} (column {index}); known columns: {', '.join(known)}"
            )
        if header.count(name) > 1:
            raise FormatError(f"column {name!r} appears twice")
    missing = [name for name in required if name not in header]
    if missing:
        raise FormatError(f"required column {missing[0]!r} is missing")
    return header


def _records(rows: list[list[Any]], header: list[str]) -> Iterable[tuple[int, dict[str, Any]]]:
    for number, row in enumerate(rows[1:], start=2):
        cells = list(row) + [None] * (len(header) - len(row))
        if len(row) > len(header) and any(c not in (None, "") for c in row[len(header) :]):
            raise FormatError(f"row {number} has more cells than the header has columns")
        record = {
            name: unguard_cell(cell.strip() if isinstance(cell, str) else cell)
            for name, cell in zip(header, cells, strict=False)
        }
        if all(value in (None, "") for value in record.values()):
            continue
        yield number, record


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _number(value: Any, kind: Callable[[Any], Any]) -> Any:
    if isinstance(value, bool):
        raise ValueError
    if kind is int:
        number = float(value)
        if not math.isfinite(number) or number != int(number):
            raise ValueError
        return int(number)
    return float(value)


# ------------------------------------------------------------------------------ register


def register_rows(register: Register) -> list[list[Any]]:
    """The register as a header and one row per hazard."""
    rows: list[list[Any]] = [list(REGISTER_COLUMNS)]
    for hazard in register.hazards:
        data = hazard.model_dump(mode="json")
        row: dict[str, Any] = {k: data.get(k) for k in REGISTER_COLUMNS if k in data}
        for name in _LISTS:
            row[name] = SEPARATOR.join(data[name])
        for scenario, prefix in _PREFIX.items():
            part = data[scenario]
            row[f"{prefix}_description"] = part["description"]
            row[f"{prefix}_annual_probability"] = part["likelihood"]["annual_probability"]
            row[f"{prefix}_return_period_years"] = part["likelihood"]["return_period_years"]
            for dimension in DIMENSIONS:
                row[f"{prefix}_{dimension}"] = part["impacts"][dimension]
        rows.append([row.get(k) for k in REGISTER_COLUMNS])
    return rows


def export_register(
    register: Register, path: str | Path | None = None, *, fmt: str = "csv"
) -> bytes:
    """Write the register as CSV or XLSX (to ``path`` if given) and return the bytes."""
    return _write(register_rows(register), path, fmt, "register")


def _in_row(number: int) -> Callable[[Sequence[Any]], str]:
    """How an error's field is named in row ``number``: ``row 4, column ms_people``."""
    return lambda loc: f"row {number}, column {_column_of(loc)}"


def _column_of(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _PREFIX:
        prefix = _PREFIX[parts[0]]
        if len(parts) >= 3 and parts[1] in ("impacts", "likelihood"):
            return f"{prefix}_{parts[2]}"
        if len(parts) >= 2 and parts[1] == "likelihood":
            return f"{prefix}_annual_probability/{prefix}_return_period_years"
        if len(parts) >= 2:
            return f"{prefix}_{parts[1]}"
    return parts[0] if parts else format_loc(loc)


def _hazard_data(record: dict[str, Any], number: int, errors: list[str]) -> dict[str, Any]:
    def cell(name: str, kind: Callable[[Any], Any] | None = None) -> Any:
        value = record.get(name)
        if _blank(value):
            return None
        if kind is None:
            return str(value)
        try:
            return _number(value, kind)
        except (TypeError, ValueError):
            what = "a whole number" if kind is int else "a number"
            errors.append(f"row {number}, column {name}: {value!r} is not {what}")
            return None

    data: dict[str, Any] = {}
    for name in ("id", "taxonomy_id", "title", "category", "kind", "confidence", "owner"):
        value = cell(name)
        if value is not None:
            data[name] = value
    for name in _LISTS:
        value = cell(name)
        data[name] = [] if value is None else [p.strip() for p in value.split(";") if p.strip()]
    version = cell("version", int)
    if version is not None:
        data["version"] = version
    for scenario, prefix in _PREFIX.items():
        likelihood = {
            "annual_probability": cell(f"{prefix}_annual_probability", float),
            "return_period_years": cell(f"{prefix}_return_period_years", float),
        }
        data[scenario] = {
            "description": cell(f"{prefix}_description") or "",
            "likelihood": {k: v for k, v in likelihood.items() if v is not None},
            "impacts": {d: cell(f"{prefix}_{d}", int) for d in DIMENSIONS},
        }
    return data


def import_register(source: str | Path | bytes, *, city: str, fmt: str | None = None) -> Register:
    """Read a register from CSV or XLSX (format from the file suffix unless given).

    Raises:
        FormatError: Unreadable file, unknown or missing column.
        ContentError: Listing every bad cell by row and column; nothing is imported.
    """
    fmt = fmt or _format_of(source)
    rows = _table(source, fmt, "register")
    header = _header(rows, REGISTER_COLUMNS, REGISTER_REQUIRED)
    errors: list[str] = []
    hazards: list[Hazard] = []
    first_row: dict[str, int] = {}
    named: set[str] = set()
    for number, record in _records(rows, header):
        if not _blank(record.get("id")):
            named.add(str(record.get("id")).strip())
        cell_errors: list[str] = []
        data = _hazard_data(record, number, cell_errors)
        errors.extend(cell_errors)
        if cell_errors:
            continue
        try:
            hazard = Hazard.model_validate(data)
        except ValidationError as exc:
            errors.extend(describe_errors(exc, field=_in_row(number)))
            continue
        if hazard.id in first_row:
            errors.append(
                f"row {number}, column id: {hazard.id!r} is already used in row "
                f"{first_row[hazard.id]}"
            )
            continue
        first_row[hazard.id] = number
        hazards.append(hazard)
    for problem in combination_errors(hazards):
        where, _, message = problem.partition(".combines: ")
        hazard_id = where.split("(", 1)[-1].rstrip(")")
        missing = message.removeprefix("the register has no hazard ").strip("'")
        if message != missing and missing in named:
            continue  # that row's own error is reported already
        errors.append(f"row {first_row[hazard_id]}, column combines: {message}")
    if errors:
        summary = errors[0] if len(errors) == 1 else f"{errors[0]} (and {len(errors) - 1} more)"
        raise ContentError(summary, errors=errors)
    return Register(city=city, hazards=tuple(hazards))


def _format_of(source: str | Path | bytes) -> str:
    if isinstance(source, bytes):
        return "xlsx" if source[:2] == b"PK" else "csv"
    suffix = Path(source).suffix.lower().lstrip(".")
    if suffix not in ("csv", "xlsx"):
        raise FormatError(f"cannot tell the format of {Path(source).name!r}; use .csv or .xlsx")
    return suffix


# ----------------------------------------------------------------------------- scorecard


def export_round(
    scoring: ScorecardRound, path: str | Path | None = None, *, fmt: str = "csv"
) -> bytes:
    """Write a round's answers as CSV or XLSX and return the bytes."""
    rows: list[list[Any]] = [list(SCORECARD_COLUMNS)]
    for question_id in sorted(scoring.answers, key=_question_order):
        answer = scoring.answers[question_id]
        rows.append(
            [question_id, answer.score, answer.evidence, SEPARATOR.join(answer.attachments)]
        )
    return _write(rows, path, fmt, "scorecard")


def _question_order(question_id: str) -> tuple[Any, ...]:
    # Natural order, so that P1.2 comes before P1.10 and D2.01 before D10.01.
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"\d+|\D+", question_id)
    )


def import_round(
    source: str | Path | bytes,
    *,
    label: str,
    date: dt.date,
    level: str = "preliminary",
    fmt: str | None = None,
) -> ScorecardRound:
    """Read a round's answers from CSV or XLSX, checked against the bundled scorecard.

    Raises:
        FormatError: Unreadable file, unknown or missing column.
        ContentError: Listing every bad cell by row and column; nothing is imported.
    """
    if level not in LEVELS:
        raise ContentError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    fmt = fmt or _format_of(source)
    rows = _table(source, fmt, "scorecard")
    header = _header(rows, SCORECARD_COLUMNS, ("question_id", "score"))
    scorecard = bundled_scorecard(level)
    known = {q.id for q in scorecard.questions.questions}
    errors: list[str] = []
    answers: dict[str, Answer] = {}
    seen: dict[str, int] = {}
    for number, record in _records(rows, header):
        question_id = "" if _blank(record.get("question_id")) else str(record["question_id"])
        if question_id not in known:
            shown = "empty" if not question_id else f"{question_id!r}: no such {level} question"
            errors.append(f"row {number}, column question_id: {shown}")
            continue
        if question_id in seen:
            errors.append(
                f"row {number}, column question_id: {question_id!r} already answered in row "
                f"{seen[question_id]}"
            )
            continue
        seen[question_id] = number
        try:
            score = _number(record.get("score"), int)
        except (TypeError, ValueError):
            errors.append(
                f"row {number}, column score: {record.get('score')!r} is not a whole number"
            )
            continue
        if not 0 <= score <= scorecard.max_score:
            errors.append(
                f"row {number}, column score: must be 0–{scorecard.max_score}, got {score}"
            )
            continue
        attachments = record.get("attachments")
        names = [] if _blank(attachments) else str(attachments).split(";")
        answers[question_id] = Answer(
            score=score,
            evidence="" if _blank(record.get("evidence")) else str(record["evidence"]),
            attachments=tuple(n.strip() for n in names if n.strip()),
        )
    if not errors:
        try:
            return ScorecardRound.model_validate(
                {"level": level, "label": label, "date": date, "answers": answers}
            )
        except ValidationError as exc:
            errors.extend(describe_errors(exc))
    summary = errors[0] if len(errors) == 1 else f"{errors[0]} (and {len(errors) - 1} more)"
    raise ContentError(summary, errors=errors)
