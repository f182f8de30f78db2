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
) -> bytes:
    """Render the learner report as PDF bytes.

    Args:
        catalogue: Framework and curriculum (for titles).
        profile: The job profile the gaps refer to.
        gaps: Gap analysis (all targets).
        path: The learning path, if one was planned.
        competences: The competence profile, to print confidence per competence.
        learner: Name shown in the header.
        lang: Language of labels and titles.
        today: Date printed in the header (default today).
    """
    from fpdf import FPDF

    labels = {**texts_in("crisis.learners", "report", lang), "_lang": lang}
    regular, bold = font_files()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_title(labels["title"])
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(
        0, 9, labels["title"] + (f": {learner}" if learner else ""), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("DejaVu", "", 10)
    when = format_date(today or dt.date.today(), lang)
    pdf.cell(
        0,
        6,
        f"{labels['profile']}: {profile.title.get(lang)} · {labels['date']}: {when}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    _heading(pdf, labels["radar"])
    _radar(pdf, list(gaps), labels)
    _heading(pdf, labels["gaps"])
    _gap_bars(pdf, list(gaps), competences, labels)
    if path is not None:
        _heading(pdf, labels["path"])
        _timeline(pdf, path, labels)
    return bytes(pdf.output())


def _heading(pdf: Any, text: str) -> None:
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)


def _radar(pdf: Any, gaps: list[Gap], labels: dict[str, str]) -> None:
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
        lx, ly = point(k, 4.45)
        pdf.set_xy(lx - 6, ly - 2)
        pdf.cell(12, 4, gap.competence, align="C")
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
        pdf.set_xy(x + 5, legend_y - 0.5)
        pdf.cell(30, 5, name)
    pdf.set_xy(pdf.l_margin, legend_y + 8)


def _gap_bars(
    pdf: Any, gaps: list[Gap], competences: CompetenceProfile | None, labels: dict[str, str]
) -> None:
    label_w, bar_w, row_h = 80.0, 70.0, 5.5
    for gap in gaps:
        if pdf.get_y() > pdf.h - 20:
            pdf.add_page()
        y = pdf.get_y()
        title = f"{gap.competence} {gap.title}"
        if gap.essential:
            title += f" ({labels['essential']})"
        pdf.set_x(pdf.l_margin)
        pdf.cell(label_w, row_h, _fit(pdf, title, label_w - 2))
        x0 = pdf.l_margin + label_w
        pdf.set_fill_color(230, 230, 230)
        pdf.rect(x0, y + 1, bar_w, row_h - 2, style="F")
        pdf.set_fill_color(*_BLUE)
        if gap.current:
            pdf.rect(x0, y + 1, bar_w * gap.current / 4, row_h - 2, style="F")
        pdf.set_draw_color(*_ORANGE)
        pdf.set_line_width(0.8)
        tx = x0 + bar_w * gap.target / 4
        pdf.line(tx, y + 0.5, tx, y + row_h - 0.5)
        pdf.set_line_width(0.2)
        note = f"{gap.current} → {gap.target}"
        if competences is not None:
            entry = competences.level(gap.competence)
            note += f" · {labels['confidence']} {format_percent(entry.confidence, labels['_lang'])}"
            if entry.calibration in ("over-confident", "under-confident"):
                note += f" · {labels[entry.calibration]}"
        pdf.set_xy(x0 + bar_w + 2, y)
        pdf.cell(0, row_h, note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _timeline(pdf: Any, path: LearningPath, labels: dict[str, str]) -> None:
    if not path.steps:
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(0, 6, labels["none"], new_x="LMARGIN", new_y="NEXT")
        return
    weeks = max(path.weeks, 1)
    label_w, chart_w = 55.0, pdf.w - pdf.l_margin - pdf.r_margin - 55.0
    pdf.set_font("DejaVu", "", 8)
    for step in path.steps:
        if pdf.get_y() > pdf.h - 28:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_x(pdf.l_margin)
        pdf.cell(label_w, 5, _fit(pdf, f"{step.module} {step.title}", label_w - 2))
        first, last = step.weeks
        x = pdf.l_margin + label_w + chart_w * (first - 1) / weeks
        width = max(chart_w * (last - first + 1) / weeks, 1.0)
        pdf.set_fill_color(*_BLUE)
        pdf.rect(x, y + 1, width, 3, style="F")
        pdf.set_xy(pdf.l_margin + label_w, y + 5)
        span = f"{first}" if first == last else f"{first}–{last}"
        text = (
            f"{labels['week']} {span} ({format_date(step.start, labels['_lang'])} – "
            f"{format_date(step.end, labels['_lang'])}), "
            f"{format_number(step.hours, labels['_lang'], 1, trim=True)} "
            f"{labels['hours']}. {step.explanation}"
        )
        pdf.multi_cell(chart_w, 3.8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.set_font("DejaVu", "B", 9)
    lang = labels["_lang"]
    hours = format_number(path.hours, lang, 1, trim=True)
    ects = format_number(path.ects, lang, 2, trim=True)
    per_week = format_number(path.hours_per_week, lang, 1, trim=True)
    pdf.cell(
        0,
        6,
        f"{labels['total']}: {hours} {labels['hours']}, {ects} ECTS, {path.weeks} "
        f"{labels['weeks']} ({per_week} {labels['hours']}/{labels['week'].lower()})",
        new_x="LMARGIN",
        new_y="NEXT",
    )


def _fit(pdf: Any, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
