"""Import of staff self-assessments collected offline, from CSV or Excel (XLSX).

One row per person, one column per competence::

    person,consent,C01,C02,…,C20
    anna.k,yes,2,1,…,0
    b.silva,no,3,,…,1

``person`` (also accepted: ``name``, ``id``, ``email``) is required and unique; ``consent``
(yes/no, true/false, 1/0; default no) says whether the instructor may see the person's own
results; every other header must be a competence id of the framework. Levels are integers
0..4; an empty cell means "not rated" (counted as 0, "not yet", in gap analysis).

The import is all or nothing: every problem is collected with its row and column, and a
single bad cell rejects the whole file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from crisis.competences.models import Catalogue
from crisis.exceptions import ContentError, FormatError
from crisis.formats.tables import read_csv_rows, read_xlsx_rows
from crisis.learners.cohorts import Member

_PERSON = ("person", "name", "id", "email")
_YES = {"yes", "y", "true", "1", "ja", "sim", "ναι"}
_NO = {"no", "n", "false", "0", "", "nein", "não", "nao", "όχι"}
#: Largest file accepted, in bytes.
MAX_BYTES = 20 * 1024 * 1024


def _column_name(index: int) -> str:
    """Spreadsheet column letters for a 0-based index (0 → A, 26 → AA)."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def read_staff(path: str | Path, catalogue: Catalogue) -> list[Member]:
    """Read a CSV or XLSX file of staff self-assessments.

    Raises:
        FormatError: The file cannot be read, is too large or is neither CSV nor XLSX.
        ContentError: Listing every bad header, cell and duplicate as ``file:row: column …``.
    """
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_BYTES:
            raise FormatError(f"{file.name} is {size:,} bytes, larger than {MAX_BYTES:,}")
        data = file.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read {file.name}: {exc.strerror}") from None
    return read_staff_data(data, file.name, catalogue)


def read_staff_data(
    data: bytes, name: str, catalogue: Catalogue, *, max_bytes: int = MAX_BYTES
) -> list[Member]:
    """:func:`read_staff` for a file's contents (an upload), under the reading limits of
    :mod:`crisis.formats` (unpacked size, rows, cells).

    Raises:
        LimitExceededError: The file passes a limit (the message names it).
        FormatError: The file cannot be read or is neither CSV nor XLSX.
        ContentError: Listing every bad header, cell and duplicate.
    """
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        rows = read_csv_rows(data, name, delimiters=",;\t", max_bytes=max_bytes)
    elif suffix in (".xlsx", ".xlsm"):
        rows = read_xlsx_rows(data, name, max_bytes=max_bytes)
    else:
        raise FormatError(f"{name}: expected a .csv or .xlsx file")
    return parse_rows(rows, catalogue, name=name)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_with_numbers(rows: Sequence[Sequence[Any]]) -> Iterator[tuple[int, list[str]]]:
    for number, row in enumerate(rows, start=1):
        cells = [_cell_text(v) for v in row]
        if any(cells):
            yield number, cells


def parse_rows(rows: Sequence[Sequence[Any]], catalogue: Catalogue, *, name: str) -> list[Member]:
    """Validate table rows (header first) into cohort members; see the module docstring.

    Raises:
        ContentError: Every problem, each naming ``name:row`` and the column.
    """
    numbered = list(_rows_with_numbers(rows))
    if not numbered:
        raise ContentError(f"{name}: the file is empty")
    header_line, header = numbered[0]
    known = {c.id for c in catalogue.framework.competences}
    errors: list[str] = []
    person_col: int | None = None
    consent_col: int | None = None
    competence_cols: dict[int, str] = {}
    for col, title in enumerate(header):
        key = title.strip()
        where = f"{name}:{header_line}: column {_column_name(col)}"
        if key.lower() in _PERSON and person_col is None:
            person_col = col
        elif key.lower() == "consent" and consent_col is None:
            consent_col = col
        elif key.upper() in known:
            if key.upper() in competence_cols.values():
                errors.append(f"{where}: competence {key.upper()} appears twice in the header")
            competence_cols[col] = key.upper()
        elif key:
            errors.append(f"{where}: {key!r} is not a competence id of the framework")
    if person_col is None:
        errors.append(f"{name}:{header_line}: no 'person' column in the header")
    if not competence_cols:
        errors.append(f"{name}:{header_line}: no competence columns (C01, C02, …) in the header")
    if errors:
        raise ContentError(f"{len(errors)} problem(s); first: {errors[0]}", errors=errors)
    assert person_col is not None
    members: list[Member] = []
    first_seen: dict[str, int] = {}
    for line, cells in numbered[1:]:
        cells = cells + [""] * (len(header) - len(cells))
        extra = [c for c in cells[len(header) :] if c]
        if extra:
            errors.append(f"{name}:{line}: more cells than header columns")
        person = cells[person_col]
        if not person:
            errors.append(f"{name}:{line}: column {_column_name(person_col)}: person is empty")
            continue
        if person in first_seen:
            errors.append(
                f"{name}:{line}: person {person!r} appears twice "
                f"(first on row {first_seen[person]})"
            )
            continue
        first_seen[person] = line
        consented = False
        if consent_col is not None:
            value = cells[consent_col].lower()
            if value in _YES:
                consented = True
            elif value not in _NO:
                errors.append(
                    f"{name}:{line}: column {_column_name(consent_col)} (consent): "
                    f"{cells[consent_col]!r} is not yes or no"
                )
        levels: dict[str, int] = {}
        for col, cid in competence_cols.items():
            raw = cells[col]
            if raw == "":
                continue
            where = f"{name}:{line}: column {_column_name(col)} ({cid})"
            if not raw.lstrip("-").isdigit():
                errors.append(f"{where}: {raw!r} is not a level; use a whole number 0..4")
            elif not 0 <= int(raw) <= 4:
                errors.append(f"{where}: level {raw} is out of range 0..4")
            else:
                levels[cid] = int(raw)
        members.append(Member(person=person, levels=levels, consented=consented, imported=True))
    if errors:
        raise ContentError(f"{len(errors)} problem(s); first: {errors[0]}", errors=errors)
    return members
