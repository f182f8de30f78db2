"""The learner's PDF report: radar chart, gap bars and the learning-path timeline.

Drawn with fpdf2's own primitives (no plotting library), in DejaVu Sans so that Greek and
Portuguese text print correctly. The font files come from an installed package (matplotlib
ships DejaVu Sans); nothing is downloaded.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from crisis.competences.models import Catalogue, JobProfile
from crisis.exceptions import CrisisError
from crisis.i18n.formats import format_date, format_number, format_percent
from crisis.i18n.texts import texts_in
from crisis.learners.gaps import Gap
from crisis.learners.profile import CompetenceProfile
from crisis.learners.schedule import LearningPath

_BLUE = (31, 119, 180)
_ORANGE = (255, 127, 14)
_GREY = (150, 150, 150)


def font_files() -> tuple[Path, Path]:
    """Paths of DejaVu Sans regular and bold from an installed package.

    Raises:
        CrisisError: No installed package provides the fonts.
    """
    spec = find_spec("matplotlib")
    if spec is not None and spec.origin is not None:
        folder = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    raise CrisisError(
        "the PDF report needs the DejaVu Sans font that matplotlib installs; "
        "install matplotlib (pip install matplotlib)"
    )


#: One written cell: page (from 1), text, and the box it must stay in (x, y, w, h in mm).
Cell = tuple[int, str, float, float, float, float]


def learner_report_pdf(
    *,
    catalogue: Catalogue,
    profile: JobProfile,
    gaps: Sequence[Gap],
    path: LearningPath | None = None,
    competences: CompetenceProfile | None = None,
    learner: str = "",
    lang: str = "en",
    today: dt.date | None = None,
    layout: list[Cell] | None = None,
) -> bytes:
    """Render the learner report as PDF bytes.

    Every text is written into a box of fixed width and wraps at word boundaries inside it;
    names are never cut short and lines are set ragged-right.

    Args:
        catalogue: Framework and curriculum (for titles).
        profile: The job profile the gaps refer to.
        gaps: Gap analysis (all targets).
        path: The learning path, if one was planned.
        competences: The competence profile, to print confidence per competence.
        learner: Name shown in the header.
        lang: Language of labels and titles.
        today: Date printed in the header (default today).
        layout: If given, receives every text with the box it was written into, so that a
            check can compare the rendered words with their boxes.
    """
    from fpdf import FPDF

    labels = {**texts_in("crisis.learners", "report", lang), "_lang": lang}
    regular, bold = font_files()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_title(labels["title"])
    pdf.add_page()
    out = _Writer(pdf, layout)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("DejaVu", "B", 16)
    out.text(
        pdf.l_margin, pdf.get_y(), width, 7.5, labels["title"] + (f": {learner}" if learner else "")
    )
    pdf.set_font("DejaVu", "", 10)
    when = format_date(today or dt.date.today(), lang)
    out.text(
        pdf.l_margin,
        pdf.get_y() + 1,
        width,
        5,
        f"{labels['profile']}: {profile.title.get(lang)} · {labels['date']}: {when}",
    )
    pdf.ln(2)
    _heading(out, labels["radar"])
    _radar(out, list(gaps), labels)
    _heading(out, labels["gaps"])
    _gap_bars(out, list(gaps), competences, labels)
    if path is not None:
        _heading(out, labels["path"])
        _timeline(out, path, labels)
    return bytes(pdf.output())


class _Writer:
    """Writes wrapped text into boxes, starts new pages, and records each box."""

    def __init__(self, pdf: Any, layout: list[Cell] | None) -> None:
        self.pdf = pdf
        self.layout = layout
        self.bottom = pdf.h - 15

    def lines(self, text: str, width: float) -> list[str]:
        """``text`` broken into lines that fit ``width`` at the current font, between words."""
        out: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split():
                candidate = f"{line} {word}" if line else word
                if line and self.pdf.get_string_width(candidate) > width:
                    out.append(line)
                    line = word
                else:
                    line = candidate
            out.append(line)
        return out

    def height(self, text: str, width: float, line_h: float) -> float:
        return len(self.lines(text, width - 1)) * line_h

    def text(
        self, x: float, y: float, width: float, line_h: float, text: str, align: str = "L"
    ) -> float:
        """Write ``text`` wrapped into ``width`` from (x, y); returns the height used.

        A word wider than the box (a very long compound) is set in a smaller size rather than
        broken.
        """
        pdf = self.pdf
        size = pdf.font_size_pt
        longest = max((pdf.get_string_width(w) for w in text.split()), default=0.0)
        while longest > width - 1 and pdf.font_size_pt > 5:
            pdf.set_font_size(pdf.font_size_pt - 0.5)
            longest = max(pdf.get_string_width(w) for w in text.split())
        lines = self.lines(text, width - 1)
        for k, line in enumerate(lines):
            pdf.set_xy(x, y + k * line_h)
            pdf.cell(width, line_h, line, align=align)
        used = len(lines) * line_h
        if self.layout is not None:
            self.layout.append((pdf.page, text, x, y, width, used))
        pdf.set_font_size(size)
        pdf.set_xy(pdf.l_margin, y + used)
        return used

    def room(self, needed: float) -> None:
        """Start a new page unless ``needed`` millimetres fit on this one."""
        if self.pdf.get_y() + needed > self.bottom:
            self.pdf.add_page()


def _heading(out: _Writer, text: str) -> None:
    pdf = out.pdf
    out.room(30)
    pdf.set_font("DejaVu", "B", 12)
    out.text(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.l_margin - pdf.r_margin, 7, text)
    pdf.set_font("DejaVu", "", 8)


def _radar(out: _Writer, gaps: list[Gap], labels: dict[str, str]) -> None:
    pdf = out.pdf
    ordered = sorted(gaps, key=lambda g: g.competence)
    n = len(ordered)
    if n < 3:
        return
    radius = 48.0
    cx, cy = pdf.w / 2, pdf.get_y() + radius + 10
    angle = [-math.pi / 2 + 2 * math.pi * k / n for k in range(n)]

    def point(k: int, level: float) -> tuple[float, float]:
        r = radius * level / 4
        return cx + r * math.cos(angle[k]), cy + r * math.sin(angle[k])

    pdf.set_line_width(0.1)
    pdf.set_draw_color(*_GREY)
    for level in (1, 2, 3, 4):
        pdf.polygon([point(k, level) for k in range(n)], style="D")
    for k, gap in enumerate(ordered):
        x, y = point(k, 4)
        pdf.line(cx, cy, x, y)
        lx, ly = point(k, 4.5)
        out.text(lx - 7, ly - 2, 14, 4, gap.competence, align="C")
    pdf.set_line_width(0.6)
    pdf.set_draw_color(*_ORANGE)
    pdf.polygon([point(k, g.target) for k, g in enumerate(ordered)], style="D")
    pdf.set_draw_color(*_BLUE)
    pdf.set_fill_color(*_BLUE)
    with pdf.local_context(fill_opacity=0.25):
        pdf.polygon([point(k, g.current) for k, g in enumerate(ordered)], style="DF")
    pdf.set_line_width(0.2)
    legend_y = cy + radius + 10
    for k, (name, colour) in enumerate(((labels["current"], _BLUE), (labels["target"], _ORANGE))):
        x = cx - 40 + 45 * k
        pdf.set_fill_color(*colour)
        pdf.rect(x, legend_y, 4, 4, style="F")
        out.text(x + 5, legend_y - 0.5, 38, 5, name)
    pdf.set_xy(pdf.l_margin, legend_y + 8)


def _gap_bars(
    out: _Writer, gaps: list[Gap], competences: CompetenceProfile | None, labels: dict[str, str]
) -> None:
    pdf = out.pdf
    pdf.set_font("DejaVu", "", 8)
    line_h = 3.6
    label_w, bar_w, gutter = 80.0, 48.0, 2.0
    note_w = pdf.w - pdf.l_margin - pdf.r_margin - label_w - bar_w - 2 * gutter
    for gap in gaps:
        title = f"{gap.competence} {gap.title}"
        if gap.essential:
            title += f" ({labels['essential']})"
        note = f"{gap.current} → {gap.target}"
        if competences is not None:
            entry = competences.level(gap.competence)
            note += f" · {labels['confidence']} {format_percent(entry.confidence, labels['_lang'])}"
            if entry.calibration in ("over-confident", "under-confident"):
                note += f" · {labels[entry.calibration]}"
        row_h = max(out.height(title, label_w, line_h), out.height(note, note_w, line_h)) + 1.4
        out.room(row_h)
        y = pdf.get_y()
        out.text(pdf.l_margin, y, label_w, line_h, title)
        x0 = pdf.l_margin + label_w + gutter
        pdf.set_fill_color(230, 230, 230)
        pdf.rect(x0, y + 0.4, bar_w, line_h - 0.8, style="F")
        pdf.set_fill_color(*_BLUE)
        if gap.current:
            pdf.rect(x0, y + 0.4, bar_w * gap.current / 4, line_h - 0.8, style="F")
        pdf.set_draw_color(*_ORANGE)
        pdf.set_line_width(0.8)
        tx = x0 + bar_w * gap.target / 4
        pdf.line(tx, y, tx, y + line_h)
        pdf.set_line_width(0.2)
        out.text(x0 + bar_w + gutter, y, note_w, line_h, note)
        pdf.set_xy(pdf.l_margin, y + row_h)
    pdf.ln(3)


def _timeline(out: _Writer, path: LearningPath, labels: dict[str, str]) -> None:
    pdf = out.pdf
    width = pdf.w - pdf.l_margin - pdf.r_margin
    if not path.steps:
        pdf.set_font("DejaVu", "", 10)
        out.text(pdf.l_margin, pdf.get_y(), width, 6, labels["none"])
        return
    lang = labels["_lang"]
    first_day = path.steps[0].start
    days = max((path.steps[-1].end - first_day).days + 1, 1)
    label_w, gutter, line_h = 55.0, 3.0, 3.8
    chart_w = width - label_w - gutter
    x_chart = pdf.l_margin + label_w + gutter
    pdf.set_font("DejaVu", "", 8)
    for step in path.steps:
        first, last = step.weeks
        span = f"{first}" if first == last else f"{first}–{last}"
        label = f"{step.module} {step.title}"
        text = (
            f"{labels['week']} {span} ({format_date(step.start, lang)} – "
            f"{format_date(step.end, lang)}), "
            f"{format_number(step.hours, lang, 1, trim=True)} {labels['hours']}. "
            f"{step.explanation}"
        )
        row_h = max(out.height(label, label_w, line_h), 4.5 + out.height(text, chart_w, line_h))
        out.room(row_h + 1.5)
        y = pdf.get_y()
        out.text(pdf.l_margin, y, label_w, line_h, label)
        x = x_chart + chart_w * (step.start - first_day).days / days
        bar = max(chart_w * ((step.end - step.start).days + 1) / days, 0.8)
        pdf.set_fill_color(*_BLUE)
        pdf.rect(x, y + 0.6, bar, 2.6, style="F")
        out.text(x_chart, y + 4.5, chart_w, line_h, text)
        pdf.set_xy(pdf.l_margin, y + row_h + 1.5)
    pdf.set_font("DejaVu", "B", 9)
    out.room(8)
    hours = format_number(path.hours, lang, 1, trim=True)
    ects = format_number(path.ects, lang, 2, trim=True)
    per_week = format_number(path.hours_per_week, lang, 1, trim=True)
    out.text(
        pdf.l_margin,
        pdf.get_y() + 1,
        width,
        5,
        f"{labels['total']}: {hours} {labels['hours']}, {ects} ECTS, {path.weeks} "
        f"{labels['weeks']} ({per_week} {labels['hours']}/{labels['week'].lower()})",
    )
