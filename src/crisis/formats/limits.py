"""How far a file may expand once read, whatever its size on the wire.

A few kilobytes can unpack into millions of spreadsheet rows or YAML nodes; these limits stop
reading early with an error that names the limit, so no upload can keep the server busy.
The byte limit of the web app is ``CRISIS_MAX_UPLOAD_MB``; the others are fixed here and
generous for any real framework, register, staff list or exercise.
"""

from __future__ import annotations

#: Default largest file, in bytes (also the default limit on a spreadsheet's unpacked size).
MAX_BYTES = 10 * 1024 * 1024
#: Bytes a spreadsheet's parts may unpack to (compressed XML is often ten times smaller).
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
#: Rows of one sheet or CSV file.
MAX_ROWS = 20_000
#: Cells of one sheet or CSV file.
MAX_CELLS = 500_000
#: Nesting levels of a YAML or JSON document, aliases expanded.
MAX_YAML_DEPTH = 50
#: Aliases (``*name``) in one YAML document.
MAX_YAML_ALIASES = 1_000
#: Values of one YAML document once every alias is expanded.
MAX_YAML_NODES = 200_000
