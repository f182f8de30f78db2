"""Reading users' files safely and the same way everywhere: YAML with line numbers,
spreadsheets and CSV under limits, validation errors that name the place, safe exports."""

from crisis.formats.limits import (
    MAX_BYTES,
    MAX_CELLS,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    MAX_YAML_ALIASES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
)
from crisis.formats.tables import neutralise, read_csv_rows, read_xlsx_rows, restore_cell
from crisis.formats.validation import describe_errors, format_loc
from crisis.formats.yamlsource import Source, decode, parse_yaml

__all__ = [
    "MAX_BYTES",
    "MAX_CELLS",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "MAX_YAML_ALIASES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "Source",
    "decode",
    "describe_errors",
    "format_loc",
    "neutralise",
    "parse_yaml",
    "read_csv_rows",
    "read_xlsx_rows",
    "restore_cell",
]
