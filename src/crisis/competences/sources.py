"""Reading content files: the shared reader of :mod:`crisis.formats`, under the names the
competences package has always used."""

from __future__ import annotations

from crisis.formats.limits import MAX_BYTES
from crisis.formats.yamlsource import Path_, Source, decode, parse_yaml

__all__ = ["MAX_BYTES", "Path_", "Source", "decode", "parse_yaml"]
