"""Looking at a PDF as a reader would: its pages as images and its words where they landed.

Uses poppler's ``pdftoppm`` (pages to PNG) and ``pdftotext -bbox`` (every word with its box,
in points from the top left), the same renderer a reader's viewer might use.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MM = 72 / 25.4  # points per millimetre


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    def inside(self, x: float, y: float, w: float, h: float, tol: float = 0.8) -> bool:
        return (
            self.x0 >= x - tol
            and self.x1 <= x + w + tol
            and self.y0 >= y - tol
            and self.y1 <= y + h + tol
        )

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: install poppler-utils (make test does)")
    return found


def render_pages(pdf: bytes, folder: Path, stem: str, dpi: int = 70) -> list[Path]:
    """Every page as ``folder/stem-N.png``; returns the files in page order."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{stem}-*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [_tool("pdftoppm"), "-r", str(dpi), "-png", str(source), str(folder / stem)],
            check=True,
            timeout=120,
        )
    return sorted(folder.glob(f"{stem}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def words(pdf: bytes) -> tuple[list[Word], list[tuple[float, float]]]:
    """Every word with its box (points), and each page's size (points)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        out = subprocess.run(
            [_tool("pdftotext"), "-bbox", str(source), "-"],
            check=True,
            capture_output=True,
            timeout=120,
        ).stdout.decode("utf-8")
    found: list[Word] = []
    sizes: list[tuple[float, float]] = []
    for number, page in enumerate(re.split(r"<page ", out)[1:], start=1):
        size = re.match(r'width="([\d.]+)" height="([\d.]+)"', page)
        assert size, "pdftotext gave a page without a size"
        sizes.append((float(size.group(1)), float(size.group(2))))
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
            page,
        ):
            x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
            found.append(Word(number, x0, y0, x1, y1, html.unescape(m.group(5))))
    return found, sizes


def off_page(found: list[Word], sizes: list[tuple[float, float]], margin_mm: float) -> list[Word]:
    """Words that reach into the page margin or beyond the paper."""
    m = margin_mm * MM
    return [
        w
        for w in found
        if w.x0 < m - 1
        or w.y0 < m - 1
        or w.x1 > sizes[w.page - 1][0] - m + 1
        or w.y1 > sizes[w.page - 1][1] - m + 1
    ]


def overlapping(found: list[Word], tol: float = 0.5) -> list[tuple[Word, Word]]:
    """Pairs of words whose boxes overlap (text drawn over text)."""
    pairs = []
    by_page: dict[int, list[Word]] = {}
    for w in found:
        by_page.setdefault(w.page, []).append(w)
    for page_words in by_page.values():
        page_words.sort(key=lambda w: w.y0)
        for i, a in enumerate(page_words):
            for b in page_words[i + 1 :]:
                if b.y0 >= a.y1 - tol:
                    break
                if (
                    min(a.x1, b.x1) - max(a.x0, b.x0) > tol
                    and min(a.y1, b.y1) - max(a.y0, b.y0) > tol
                ):
                    pairs.append((a, b))
    return pairs
