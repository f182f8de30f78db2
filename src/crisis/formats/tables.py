"""Spreadsheets and CSV in and out: rows read under limits, cells made safe to open.

Reading stops as soon as a file passes a limit (unpacked size, rows, cells) with an error
that names it. Writing neutralises cells that a spreadsheet program would run as formulas
(OWASP "CSV injection"); :func:`restore_cell` undoes that when our own export comes back.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

from crisis.exceptions import FormatError, LimitExceededError
from crisis.formats.limits import MAX_BYTES, MAX_CELLS, MAX_ROWS, MAX_UNPACKED_BYTES

#: A text cell starting with one of these is a formula to a spreadsheet program.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` made safe to open in a spreadsheet program: formula-looking text gets a
    leading apostrophe; numbers and other text pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore_cell(value: Any) -> Any:
    """Undo :func:`neutralise` on a cell read back from one of our exports."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class SafeWriter:
    """A ``csv.writer`` whose every cell is neutralised (see :func:`neutralise`)."""

    def __init__(self, out: IO[str], **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """A ``csv.DictWriter`` whose every value is neutralised (see :func:`neutralise`)."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: neutralise(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def write_csv(rows: Iterable[Sequence[Any]], *, lineterminator: str = "\n") -> str:
    """CSV text of ``rows``, every cell neutralised."""
    buffer = io.StringIO()
    SafeWriter(buffer, lineterminator=lineterminator).writerows(rows)
    return buffer.getvalue()


def _limit_rows(
    rows: Iterable[Sequence[Any]], name: str, max_rows: int, max_cells: int
) -> list[list[Any]]:
    out: list[list[Any]] = []
    cells = 0
    width = 0
    for row in rows:
        if len(out) >= max_rows:
            raise LimitExceededError(
                f"more than {max_rows:,} rows", limit="rows", value=max_rows, location=name
            )
        cells += len(row)
        width = max(width, len(row))
        if cells > max_cells or width * (len(out) + 1) > max_cells:
            raise LimitExceededError(
                f"more than {max_cells:,} cells", limit="cells", value=max_cells, location=name
            )
        out.append(list(row))
    for row in out:  # every row as wide as the widest
        row.extend([None] * (width - len(row)))
    return out


def read_csv_rows(
    data: bytes,
    name: str,
    *,
    delimiters: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    max_cells: int = MAX_CELLS,
) -> list[list[Any]]:
    """The rows of a UTF-8 CSV file (short rows padded with ``None``).

    Args:
        delimiters: Guess the delimiter among these (e.g. ``",;\t"``); none: a comma.

    Raises:
        LimitExceededError: larger than ``max_bytes``, or more rows or cells than allowed.
        FormatError: not UTF-8 or not CSV.
    """
    from crisis.formats.yamlsource import decode

    text = decode(data, name, max_bytes=max_bytes)
    dialect: Any = csv.excel
    if delimiters:
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=delimiters)
        except csv.Error:
            dialect = csv.excel
    try:
        return _limit_rows(csv.reader(io.StringIO(text), dialect), name, max_rows, max_cells)
    except csv.Error as exc:
        raise FormatError(f"not a valid CSV file: {exc}", location=name) from None


_ROOT = re.compile(rb"<(?:([\w.-]+):)?worksheet\b[^>]*>")
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\b")


def _with_dimensions(data: bytes) -> bytes:
    """``data``, with a ``<dimension>`` added to every sheet that lacks one.

    Without it openpyxl reads a whole sheet when it opens the workbook, before a single row
    can be counted (real spreadsheet programs always write one; crafted files need not).
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [
            info
            for info in archive.infolist()
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        ]
        missing = []
        for info in sheets:
            with archive.open(info) as part:
                head = part.read(64 * 1024)
            if _DIMENSION.search(head) is None:
                missing.append(info.filename)
        if not missing:
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as fixed:
            for info in archive.infolist():
                content = archive.read(info)
                root = _ROOT.search(content[: 64 * 1024]) if info.filename in missing else None
                if root is not None:
                    prefix = root.group(1) + b":" if root.group(1) else b""
                    tag = b"<" + prefix + b'dimension ref="A1"/>'
                    content = content[: root.end()] + tag + content[root.end() :]
                fixed.writestr(info.filename, content)
    return out.getvalue()


def _check_archive(data: bytes, name: str, max_bytes: int) -> None:
    """Refuse a workbook whose parts unpack to more than ``max_bytes`` (a "zip bomb").

    A zip member never yields more than its declared size (Python's zipfile stops there), so
    the declared sizes are a true bound.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FormatError(f"not a readable XLSX workbook: {exc}", location=name) from None
    if len(members) > 10_000:
        raise LimitExceededError(
            "more than 10,000 parts in the workbook", limit="parts", value=10_000, location=name
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_bytes:
        raise LimitExceededError(
            f"unpacks to {unpacked:,} bytes, more than the limit of {max_bytes:,} bytes",
            limit="unpacked bytes",
            value=max_bytes,
            location=name,
            too_large=True,
        )


def read_xlsx_rows(
    data: bytes,
    name: str,
    *,
    sheet: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_unpacked: int = MAX_UNPACKED_BYTES,
    max_rows: int = MAX_ROWS,
    max_cells: int = MAX_CELLS,
) -> list[list[Any]]:
    """The values of one sheet (``sheet``, or the first) of an XLSX workbook.

    Args:
        max_bytes: Largest size of the file.
        max_unpacked: Largest size of its parts once unpacked.

    Raises:
        LimitExceededError: too large, unpacks too far, or more rows or cells than allowed.
        FormatError: not a readable XLSX workbook.
    """
    from openpyxl import load_workbook

    if len(data) > max_bytes:
        raise LimitExceededError(
            f"file is {len(data):,} bytes, larger than the limit of {max_bytes:,} bytes",
            limit="bytes",
            value=max_bytes,
            location=name,
            too_large=True,
        )
    _check_archive(data, name, max_unpacked)
    try:
        data = _with_dimensions(data)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise FormatError(f"not a readable XLSX workbook: {exc}", location=name) from None
    try:
        if not book.worksheets:
            raise FormatError("the workbook has no sheet", location=name)
        worksheet = book[sheet] if sheet is not None and sheet in book.sheetnames else None
        worksheet = worksheet or book.worksheets[0]
        # The declared dimensions may be anything; read only the cells that are there.
        reset = getattr(worksheet, "reset_dimensions", None)
        if reset is not None:
            reset()
        return _limit_rows(_values(worksheet, name), name, max_rows, max_cells)
    finally:
        book.close()


def _values(worksheet: Any, name: str) -> Iterator[tuple[Any, ...]]:
    try:
        yield from worksheet.iter_rows(values_only=True)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise FormatError(f"not a readable XLSX sheet: {exc}", location=name) from None
