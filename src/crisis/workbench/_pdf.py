"""A small layer over fpdf2 that keeps text inside its boxes and remembers where it put it.

Text is wrapped at word boundaries only: when a single word is wider than its box, the font
shrinks (down to :data:`MIN_SIZE`) instead of the word being cut. Every text box drawn is
recorded as a :class:`Box`, so that tests can check that no line is wider than its box and
no box runs past its cell or off the page.

Greek needs a Unicode TrueType font: the DejaVu Sans that matplotlib installs is used when
present; otherwise a core font is used and characters it cannot show are replaced.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Smallest font size (pt) a box may shrink to so that its longest word fits.
MIN_SIZE = 5.5
#: Line height as a multiple of the font size in mm per pt.
LEADING = 0.45


def unicode_font() -> Path | None:
    """The DejaVu Sans TrueType file that matplotlib ships, if matplotlib is installed."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class Box:
    """One text box as drawn: its page, rectangle (mm), text, font size and lines."""

    page: int
    x: float
    y: float
    w: float
    h: float
    text: str
    size: float
    lines: tuple[str, ...]
    line_widths: tuple[float, ...]
    #: Inner horizontal margin of the box (mm) on each side.
    margin: float


@dataclass
class Writer:
    """An fpdf2 document with one font family and a record of every text box."""

    pdf: Any
    family: str
    unicode: bool
    boxes: list[Box] = field(default_factory=list)

    @classmethod
    def new(cls) -> Writer:
        """An A4 portrait document with 10 mm margins and the best font available."""
        from fpdf import FPDF

        pdf = FPDF(format="A4")
        pdf.set_margins(10, 12, 10)
        pdf.set_auto_page_break(auto=False, margin=12)
        font = unicode_font()
        if font is not None:
            pdf.add_font("DejaVu", "", str(font))
            bold = font.with_name("DejaVuSans-Bold.ttf")
            pdf.add_font("DejaVu", "B", str(bold if bold.is_file() else font))
            return cls(pdf, "DejaVu", True)
        return cls(pdf, "helvetica", False)

    @property
    def right(self) -> float:
        """The x of the right margin."""
        return float(self.pdf.w - self.pdf.r_margin)

    @property
    def bottom(self) -> float:
        """The y of the bottom margin."""
        return float(self.pdf.h - self.pdf.b_margin)

    @property
    def width(self) -> float:
        """The printable width."""
        return self.right - float(self.pdf.l_margin)

    def text(self, value: str) -> str:
        """``value`` as the font can show it."""
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def fit(self, text: str, width: float, size: float, bold: bool = False) -> float:
        """The largest size ≤ ``size`` at which the longest word of ``text`` fits ``width``."""
        pdf = self.pdf
        inner = width - 2 * pdf.c_margin
        words = self.text(text).split() or [""]
        while size > MIN_SIZE:
            pdf.set_font(self.family, style="B" if bold else "", size=size)
            if max(pdf.get_string_width(w) for w in words) <= inner:
                break
            size -= 0.5
        return max(size, MIN_SIZE)

    def lines(self, text: str, width: float, size: float, bold: bool = False) -> list[str]:
        """How ``text`` wraps at ``size`` in a box ``width`` wide."""
        self.pdf.set_font(self.family, style="B" if bold else "", size=size)
        found = self.pdf.multi_cell(
            width, size * LEADING, self.text(text), dry_run=True, output="LINES"
        )
        return [str(line) for line in found] or [""]

    def box(
        self,
        x: float,
        y: float,
        width: float,
        text: str,
        *,
        size: float = 8.0,
        bold: bool = False,
        align: str = "L",
        height: float | None = None,
    ) -> float:
        """Draw ``text`` wrapped into a box at (x, y); returns the height it takes."""
        pdf = self.pdf
        size = self.fit(text, width, size, bold)
        lines = self.lines(text, width, size, bold)
        line_height = size * LEADING
        used = line_height * len(lines)
        pdf.set_font(self.family, style="B" if bold else "", size=size)
        pdf.set_xy(x, y)
        pdf.multi_cell(width, line_height, self.text(text), align=align)
        self.boxes.append(
            Box(
                page=pdf.page,
                x=x,
                y=y,
                w=width,
                h=height if height is not None else used,
                text=text,
                size=size,
                lines=tuple(lines),
                line_widths=tuple(pdf.get_string_width(line) for line in lines),
                margin=float(pdf.c_margin),
            )
        )
        return used

    def heading(self, text: str, size: float = 13.0) -> None:
        """A section heading on its own line, on a new page if too little room is left."""
        pdf = self.pdf
        if pdf.get_y() + 30 > self.bottom:
            pdf.add_page()
        pdf.set_y(pdf.get_y() + 3)
        used = self.box(pdf.l_margin, pdf.get_y(), self.width, text, size=size, bold=True)
        pdf.set_xy(pdf.l_margin, pdf.get_y() + max(used, 0) + 1)

    def paragraph(self, text: str, size: float = 8.5) -> None:
        """A paragraph across the page width."""
        pdf = self.pdf
        used = self.box(pdf.l_margin, pdf.get_y(), self.width, text, size=size)
        pdf.set_xy(pdf.l_margin, pdf.get_y() + used + 1.5)

    def row(
        self,
        widths: Sequence[float],
        cells: Sequence[str],
        *,
        bold: bool = False,
        size: float = 8.0,
        fill: Sequence[tuple[int, int, int] | None] | None = None,
        header: Sequence[str] | None = None,
    ) -> None:
        """One table row whose height fits its tallest cell; a new page (repeating
        ``header``) when it does not fit."""
        pdf = self.pdf
        pad = 0.8
        heights = []
        for width, text in zip(widths, cells, strict=True):
            fitted = self.fit(text, width, size, bold)
            heights.append(len(self.lines(text, width, fitted, bold)) * fitted * LEADING)
        height = max(heights) + 2 * pad
        if pdf.get_y() + height > self.bottom:
            pdf.add_page()
            if header is not None:
                self.row(widths, header, bold=True, size=size)
        x, y = float(pdf.l_margin), float(pdf.get_y())
        for k, (width, text) in enumerate(zip(widths, cells, strict=True)):
            colour = fill[k] if fill is not None else None
            if colour is not None:
                pdf.set_fill_color(*colour)
            pdf.rect(x, y, width, height, style="DF" if colour is not None else "D")
            self.box(x, y + pad, width, text, size=size, bold=bold, height=height - 2 * pad)
            x += width
        pdf.set_xy(pdf.l_margin, y + height)

    def output(self) -> bytes:
        """The PDF bytes."""
        return bytes(self.pdf.output())
