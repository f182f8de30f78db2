"""Badge images, and Open Badges 3.0 "baking": the signed credential carried inside the image.

PNG: an ``iTXt`` chunk with the keyword ``openbadgecredential`` holding the compact JWT. SVG: an
``<openbadges:credential>`` element (namespace ``https://purl.imsglobal.org/ob/v3p0``) holding
it. :func:`unbake` reads it back from either.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from html import escape, unescape

from PIL import Image, ImageDraw

NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
KEYWORD = b"openbadgecredential"
_PNG = b"\x89PNG\r\n\x1a\n"
#: Colours of the levels 1-4 (light to dark), with white text on each.
COLOURS = {1: "#4f7cac", 2: "#2f6f4e", 3: "#8a4f9e", 4: "#9e3f2f"}


def _lines(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line][:3]


def badge_svg(title: str, level: int, level_name: str, code: str) -> str:
    """A badge picture: a ring in the level's colour, the competence and the level."""
    colour = COLOURS.get(level, "#1b2430")
    lines = _lines(title, 18)
    text = "".join(
        f'<text x="120" y="{104 + 20 * i - 10 * (len(lines) - 1)}" font-size="16" '
        f'text-anchor="middle" fill="#1b2430">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240" '
        f'role="img" aria-label="{escape(title)}: {escape(level_name)}">'
        f'<circle cx="120" cy="120" r="112" fill="{colour}"/>'
        '<circle cx="120" cy="120" r="92" fill="#ffffff"/>'
        f'<text x="120" y="62" font-size="15" text-anchor="middle" fill="{colour}" '
        f'font-weight="bold">{escape(code)}</text>{text}'
        f'<text x="120" y="178" font-size="15" text-anchor="middle" fill="{colour}" '
        f'font-weight="bold">{escape(level_name)}</text>'
        "</svg>"
    )


def badge_png(title: str, level: int, level_name: str, code: str) -> bytes:
    """The same badge as a 240 × 240 PNG."""
    colour = COLOURS.get(level, "#1b2430")
    image = Image.new("RGBA", (240, 240), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 232, 232), fill=colour)
    draw.ellipse((28, 28, 212, 212), fill="#ffffff")
    draw.text((120, 62), code, fill=colour, anchor="mm", font_size=15)
    lines = _lines(title, 18)
    for i, line in enumerate(lines):
        draw.text(
            (120, 100 + 20 * i - 10 * (len(lines) - 1)),
            line,
            fill="#1b2430",
            anchor="mm",
            font_size=15,
        )
    draw.text((120, 174), level_name, fill=colour, anchor="mm", font_size=15)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bake_png(png: bytes, token: str) -> bytes:
    """``png`` with the credential in an ``iTXt`` chunk just before its end."""
    if not png.startswith(_PNG) or png[-12:-8] != b"\x00\x00\x00\x00" or png[-8:-4] != b"IEND":
        raise ValueError("not a PNG image")
    itxt = KEYWORD + b"\x00\x00\x00\x00\x00" + token.encode("utf-8")
    return png[:-12] + _chunk(b"iTXt", itxt) + png[-12:]


def bake_svg(svg: str, token: str) -> str:
    """``svg`` with the credential in an ``<openbadges:credential>`` element."""
    match = re.search(r"<svg\b[^>]*>", svg)
    if match is None:
        raise ValueError("not an SVG image")
    root = match.group(0)
    opened = root[:-1] + f' xmlns:openbadges="{NAMESPACE}">'
    element = f"<openbadges:credential>{escape(token)}</openbadges:credential>"
    return svg[: match.start()] + opened + element + svg[match.end() :]


def unbake(data: bytes) -> str | None:
    """The credential baked into a PNG or SVG image, or ``None`` if there is none."""
    if data.startswith(_PNG):
        at = len(_PNG)
        while at + 8 <= len(data):
            (length,) = struct.unpack(">I", data[at : at + 4])
            kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
            if kind == b"iTXt" and body.startswith(KEYWORD + b"\x00"):
                rest = body[len(KEYWORD) + 1 :]
                flag = rest[0] if rest else 0
                # compression flag, method, then language tag and translated keyword (NUL-ended)
                parts = rest[2:].split(b"\x00", 2)
                raw = parts[2] if len(parts) == 3 else b""
                return (zlib.decompress(raw) if flag else raw).decode("utf-8")
            at += 12 + length
        return None
    text = data.decode("utf-8", errors="replace")
    found = re.search(r"<openbadges:credential[^>]*>(.*?)</openbadges:credential>", text, re.S)
    if found is None:
        return None
    inner = found.group(1).strip()
    return unescape(inner.removeprefix("<![CDATA[").removesuffix("]]>")).strip()
