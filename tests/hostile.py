"""Hostile files for the tests: small on the wire, huge once unpacked or expanded."""

from __future__ import annotations

import io
import zipfile

_XML = '<?xml version="1.0" encoding="UTF-8"?>'
_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OOXML}.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f"{_XML}"
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{_DOC}"><sheets><sheet name="staff" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)


def xlsx(sheet_xml: bytes) -> bytes:
    """A minimal XLSX workbook around one sheet's XML, deflated as hard as zip can."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def xlsx_rows_bomb(rows: int = 2_000_000) -> bytes:
    """A workbook of ``rows`` one-cell rows: about 100 KB zipped per million rows."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>"
    )
    body = b'<row><c t="n"><v>1</v></c></row>' * rows
    return xlsx(head + body + b"</sheetData></worksheet>")


def xlsx_size_bomb(unpacked: int = 64 * 1024 * 1024) -> bytes:
    """A workbook whose sheet unpacks to ``unpacked`` bytes (of XML whitespace)."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    tail = b"<sheetData/></worksheet>"
    return xlsx(head + b" " * (unpacked - len(head) - len(tail)) + tail)


def yaml_alias_bomb(levels: int = 9, width: int = 9) -> bytes:
    """'Billion laughs' in YAML: ``width ** levels`` values from a few hundred bytes."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return ("\n".join(lines) + "\n").encode()


def deep_yaml(depth: int = 1000) -> bytes:
    """A value nested ``depth`` lists deep."""
    return b"framework: " + b"[" * depth + b"]" * depth + b"\n"
