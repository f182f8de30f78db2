"""The PDF city resilience profile: every page rendered, every text box inside its cell."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from crisis.workbench._pdf import Box
from crisis.workbench.actionplan import action_plan
from crisis.workbench.prioritise import rank
from crisis.workbench.report import profile, profile_pdf, unicode_font
from crisis.workbench.workspace import Workspace

LANGUAGES = ("en", "el", "de", "pt")
DAY = dt.date(2026, 11, 30)


def _text_streams(pdf: bytes) -> bytes:
    out = b""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out += zlib.decompress(match.group(1))
        except zlib.error:
            out += match.group(1)
    return out


def _overflows(box: Box) -> list[str]:
    problems = []
    inner = box.w - 2 * box.margin
    for line, width in zip(box.lines, box.line_widths, strict=True):
        if width > inner + 1e-6:
            problems.append(f"line {line!r} is {width:.1f} mm wide in a {inner:.1f} mm box")
    used = len(box.lines) * box.size * 0.45
    if used > box.h + 1e-6:
        problems.append(f"{len(box.lines)} lines need {used:.1f} mm, the cell has {box.h:.1f}")
    # A4 is 210 × 297 mm with 10 mm side margins and the page content ending 12 mm from
    # the bottom (0.01 mm slack: fpdf2 converts A4 from points).
    if box.x < 10 - 0.01 or box.x + box.w > 200 + 0.01 or box.y + used > 285 + 0.01:
        problems.append(f"box at ({box.x:.1f}, {box.y:.1f}) runs outside the printable area")
    # Lines are whole words: joined again they give back exactly the words of the text.
    if " ".join(box.text.split()) != " ".join(" ".join(box.lines).split()):
        problems.append(f"a word was cut: {box.lines!r}")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_box_overflows_its_cell_or_breaks_a_word(demo: Workspace, language: str) -> None:
    if language == "el" and unicode_font() is None:
        pytest.skip("no Unicode TrueType font installed")
    result = profile(demo, language=language, generated=DAY)
    assert len(result.boxes) > 100
    problems = [f"page {b.page}: {p}" for b in result.boxes for p in _overflows(b)]
    assert problems == []


def test_hazards_and_competences_appear_by_name_and_every_matrix_rank_is_listed(
    demo: Workspace,
) -> None:
    result = profile(demo, generated=DAY)
    texts = [b.text for b in result.boxes]
    ranking = rank(demo.hazard_register, demo.criteria_weights())
    for item in ranking:
        assert item.title in texts
    plan = action_plan(demo.rounds[0], register=demo.hazard_register,
                       weights=demo.criteria_weights(), today=DAY)  # fmt: skip
    linked = {a.hazard_id for a in plan if a.hazard_id}
    assert linked and not linked & set(texts)  # hazard ids never stand alone in a cell
    assert {demo.hazard_register.get(h).title for h in linked} <= set(texts)
    assert "Disaster response coordination" in texts or "Financing resilience" in texts
    assert not [t for t in texts if re.fullmatch(r"C\d\d", t)]
    # Rank numbers drawn on the matrix: all of them are rows of the table above it.
    listed = {str(r.rank) for r in ranking}
    on_matrix = {n for t in texts if re.fullmatch(r"\d+(, \d+)*", t) for n in t.split(", ")}
    assert on_matrix and on_matrix <= listed | {str(i) for i in range(0, 101, 5)}


def test_profile_is_a_pdf_with_every_section(demo: Workspace) -> None:
    pdf = profile_pdf(demo, generated=DAY)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    streams = _text_streams(pdf)
    assert streams.count(b" re") >= 25  # the 25 matrix cells at least


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler) not installed")
def test_every_page_renders_and_nothing_is_drawn_in_the_margins(
    demo: Workspace, tmp_path: Path
) -> None:
    from PIL import Image

    for language in ("en", "el"):
        pdf = tmp_path / f"profile-{language}.pdf"
        pdf.write_bytes(profile_pdf(demo, language=language, generated=DAY))
        subprocess.run(
            ["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / language)],
            check=True,
            timeout=120,
        )
        pages = sorted(tmp_path.glob(f"{language}-*.png"))
        assert len(pages) >= 3
        for page in pages:
            image = Image.open(page).convert("L")
            width, height = image.size
            margin = int(width * 8 / 210)  # 8 mm of the 10 mm margin, each side
            for box in ((0, 0, margin, height), (width - margin, 0, width, height)):
                lo, _hi = image.crop(box).getextrema()
                darkest = lo
                assert darkest > 200, f"{page.name}: something is drawn in the margin {box}"


@pytest.mark.skipif(unicode_font() is None, reason="no Unicode TrueType font installed")
def test_greek_profile_embeds_a_unicode_font(demo: Workspace) -> None:
    pdf = profile_pdf(demo, language="el", generated=DAY)
    assert b"DejaVu" in pdf
    assert b"/FontFile2" in pdf


def test_profile_without_scorecard_still_renders(demo: Workspace) -> None:
    bare = demo.model_copy(update={"rounds": ()})
    assert profile_pdf(bare).startswith(b"%PDF-")
