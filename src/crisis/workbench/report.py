"""The city resilience profile as a PDF: top hazards, risk matrix, scorecard radar, actions.

Drawn with fpdf2 primitives only. Greek needs a Unicode TrueType font: the DejaVu Sans that
matplotlib installs is used when present; otherwise the PDF falls back to a core font,
replaces characters it cannot show, and says so on the first page.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crisis.i18n.formats import format_date, format_number, format_percent
from crisis.i18n.texts import texts_in
from crisis.workbench.actionplan import Action, action_plan
from crisis.workbench.matrix import risk_matrix
from crisis.workbench.prioritise import rank
from crisis.workbench.scorecard import EssentialScore, bundled_scorecard, essential_scores
from crisis.workbench.workspace import Workspace

_BAND_COLOURS = {
    "low": (163, 214, 163),
    "medium": (250, 226, 140),
    "high": (245, 166, 95),
    "very high": (222, 90, 80),
}


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


@dataclass
class _Writer:
    pdf: Any
    family: str
    unicode: bool

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")


def _band(likelihood: int, impact: int) -> str:
    risk = likelihood * impact
    return "low" if risk <= 4 else "medium" if risk <= 9 else "high" if risk <= 14 else "very high"


def _draw_matrix(
    w: _Writer, workspace: Workspace, numbers: dict[str, int], h: dict[str, str]
) -> None:
    pdf = w.pdf
    matrix = risk_matrix(workspace.hazard_register, scenario="most_severe")
    size, x0 = 24.0, 40.0
    y0 = pdf.get_y() + 4
    pdf.set_font(w.family, size=7)
    for row, likelihood in enumerate(range(5, 0, -1)):
        for col, impact in enumerate(range(1, 6)):
            x, y = x0 + col * size, y0 + row * size
            pdf.set_fill_color(*_BAND_COLOURS[_band(likelihood, impact)])
            pdf.rect(x, y, size, size, style="DF")
            labels = ", ".join(str(numbers[e.hazard_id]) for e in matrix.cell(likelihood, impact))
            if labels:
                pdf.set_xy(x + 1, y + 1)
                pdf.multi_cell(size - 2, 3.5, labels, align="C")
        pdf.set_xy(x0 - 8, y0 + row * size + size / 2 - 2)
        pdf.cell(6, 4, str(likelihood), align="R")
    for col in range(5):
        pdf.set_xy(x0 + col * size, y0 + 5 * size + 1)
        pdf.cell(size, 4, str(col + 1), align="C")
    pdf.set_font(w.family, size=9)
    pdf.set_xy(x0, y0 + 5 * size + 6)
    pdf.cell(5 * size, 5, w.text(f"{h['impact']} →"), align="C")
    pdf.set_xy(x0 - 30, y0 - 6)
    pdf.cell(40, 5, w.text(f"{h['likelihood']} ↓"))
    pdf.set_xy(pdf.l_margin, y0 + 5 * size + 14)


def _draw_radar(w: _Writer, scores: list[EssentialScore]) -> None:
    pdf = w.pdf
    cx, radius = 105.0, 45.0
    cy = pdf.get_y() + radius + 10
    n = len(scores)

    def point(k: int, r: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * k / n
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    pdf.set_draw_color(180, 180, 180)
    for ring in (0.25, 0.5, 0.75, 1.0):
        pdf.polygon([point(k, radius * ring) for k in range(n)], style="D")
    pdf.set_font(w.family, size=8)
    for k, score in enumerate(scores):
        pdf.line(cx, cy, *point(k, radius))
        lx, ly = point(k, radius + 6)
        pdf.set_xy(lx - 5, ly - 2)
        pdf.cell(10, 4, str(score.number), align="C")
    pdf.set_draw_color(30, 90, 160)
    pdf.set_fill_color(150, 190, 230)
    shape = [point(k, radius * max(s.percent, 1.0) / 100.0) for k, s in enumerate(scores)]
    pdf.polygon(shape, style="DF")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, cy + radius + 12)


def _row(w: _Writer, widths: Sequence[float], cells: list[str], bold: bool = False) -> None:
    pdf = w.pdf
    pdf.set_font(w.family, style="B" if bold else "", size=8)
    heights = []
    for width, text in zip(widths, cells, strict=True):
        lines = pdf.multi_cell(width, 4, w.text(text), dry_run=True, output="LINES")
        heights.append(4 * max(1, len(lines)))
    height = max(heights)
    if pdf.get_y() + height > pdf.h - pdf.b_margin:
        pdf.add_page()
    x, y = pdf.l_margin, pdf.get_y()
    for width, text in zip(widths, cells, strict=True):
        pdf.rect(x, y, width, height)
        pdf.set_xy(x, y)
        pdf.multi_cell(width, 4, w.text(text))
        x += width
    pdf.set_xy(pdf.l_margin, y + height)


def _heading(w: _Writer, text: str) -> None:
    w.pdf.ln(3)
    w.pdf.set_font(w.family, style="B", size=13)
    w.pdf.cell(0, 8, w.text(text), new_x="LMARGIN", new_y="NEXT")


def profile_pdf(
    workspace: Workspace,
    *,
    language: str = "en",
    top: int = 10,
    actions: list[Action] | None = None,
    generated: dt.date | None = None,
) -> bytes:
    """Render the city resilience profile of ``workspace`` and return the PDF bytes."""
    from fpdf import FPDF

    h = texts_in("crisis.workbench", "report", language)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    font = unicode_font()
    if font is not None:
        pdf.add_font("DejaVu", "", str(font))
        bold = font.with_name("DejaVuSans-Bold.ttf")
        pdf.add_font("DejaVu", "B", str(bold if bold.is_file() else font))
        w = _Writer(pdf, "DejaVu", True)
    else:
        w = _Writer(pdf, "helvetica", False)
    pdf.add_page()
    register = workspace.hazard_register
    pdf.set_font(w.family, style="B", size=18)
    pdf.cell(0, 10, w.text(f"{h['title']}: {register.city}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(w.family, size=9)
    stamp = format_date(generated or dt.date.today(), language, "long")
    pdf.cell(0, 5, w.text(f"{h['generated']} {stamp}"), new_x="LMARGIN", new_y="NEXT")
    if not w.unicode:
        pdf.multi_cell(0, 5, w.text(h["no_font"]))

    def written(text: str) -> str:
        # The team's own texts are in the workspace's language; marked when the PDF is not.
        if not text or workspace.language == language:
            return text
        return f"[{workspace.language.upper()}] {text}"

    ranking = rank(register, workspace.criteria_weights())
    numbers = {r.hazard_id: r.rank for r in ranking}
    _heading(w, h["hazards"])
    _row(w, [10, 120, 25], ["#", h["hazard"], h["score"]], bold=True)
    for item in ranking[:top]:
        _row(
            w,
            [10, 120, 25],
            [str(item.rank), written(item.title), format_number(item.score, language, 3)],
        )

    _heading(w, f"{h['matrix']} ({h['most_severe']})")
    _draw_matrix(w, workspace, numbers, h)

    scoring = workspace.latest_round()
    if scoring is not None:
        pdf.add_page()
        scorecard = bundled_scorecard(scoring.level)
        scores = essential_scores(scoring, scorecard, language=language)
        _heading(
            w, f"{h['scorecard']}: {written(scoring.label)} ({format_date(scoring.date, language)})"
        )
        _draw_radar(w, scores)
        for score in scores:
            percent = format_percent(score.percent / 100, language)
            _row(w, [10, 140, 25], [str(score.number), score.title, percent])
        plan = actions if actions is not None else action_plan(scoring, register=register)
        _heading(w, h["actions"])
        widths = [8, 82, 32, 20, 28, 20]
        _row(
            w,
            widths,
            ["#", h["action"], h["owner"], h["due"], h["hazard"], h["competence"]],
            bold=True,
        )
        titles = {hazard.id: hazard.title for hazard in register.hazards}
        for action in plan:
            hazard = (
                written(titles.get(action.hazard_id, action.hazard_id)) if action.hazard_id else ""
            )
            _row(w, widths, [
                str(action.priority), written(action.action), written(action.owner),
                format_date(action.due, language), hazard, action.competence,
            ])  # fmt: skip
    return bytes(pdf.output())
