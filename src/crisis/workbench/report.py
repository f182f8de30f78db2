"""The city resilience profile as a PDF: ranked hazards, risk matrix, scorecard, action plan.

It uses the workbench's one risk definition (:mod:`crisis.workbench.risk`): the table lists
every hazard of the register with its rank, and the matrix places each hazard, by that
rank number, in the cell of the scenario that sets its rank — so every number on the matrix
is a row of the table. Hazards and competences appear by name, never by id. Text wraps at
word boundaries and shrinks rather than breaking a word (:mod:`crisis.workbench._pdf`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from crisis.i18n.formats import format_date, format_number, format_percent
from crisis.i18n.texts import texts_in
from crisis.workbench._pdf import Box, Writer, unicode_font
from crisis.workbench.actionplan import Action, action_plan
from crisis.workbench.anchors import bundled_anchors, bundled_likelihood
from crisis.workbench.prioritise import RankedHazard, rank
from crisis.workbench.risk import IMPACT_EMPHASIS, risk_band, risk_index
from crisis.workbench.scorecard import (
    EssentialScore,
    bundled_scorecard,
    essential_scores,
)
from crisis.workbench.workspace import Workspace

__all__ = ["Profile", "profile", "profile_pdf", "unicode_font"]

_BAND_COLOURS = {
    "low": (207, 232, 207),
    "medium": (251, 234, 168),
    "high": (247, 192, 143),
    "very high": (231, 144, 138),
}


@dataclass(frozen=True)
class Profile:
    """A rendered profile: the PDF and every text box drawn (for layout checks)."""

    pdf: bytes
    boxes: tuple[Box, ...]


def _competences(language: str) -> dict[str, str]:
    from crisis.competences import load_bundled

    return {c.id: c.title.get(language) for c in load_bundled().framework.competences}


def _band(h: Mapping[str, str], band: str) -> str:
    return h["band_" + band.replace(" ", "_")]


def _hazard_table(
    w: Writer, ranking: list[RankedHazard], h: Mapping[str, str], written: Callable[[str], str]
) -> None:
    language = h["_language"]
    widths = [8.0, 60.0, 30.0, 32.0, 24.0, 36.0]
    header = [h["rank"], h["hazard"], h["scenario"], h["likelihood"], h["weighted"], h["risk"]]
    w.row(widths, header, bold=True)
    for r in ranking:
        cells = [
            str(r.rank),
            written(r.title),
            h[r.scenario],
            str(r.likelihood_class),
            f"{format_number(r.impact_weighted, language, 2)} → {r.impact_class}",
            f"{r.risk} · {_band(h, r.band)}",
        ]
        fill = [None, None, None, None, None, _BAND_COLOURS[r.band]]
        w.row(widths, cells, fill=fill, header=header)


def _draw_matrix(w: Writer, ranking: list[RankedHazard], h: Mapping[str, str]) -> None:
    pdf = w.pdf
    size, label_width = 24.0, 40.0
    x0 = float(pdf.l_margin) + label_width
    needed = 5 * size + 30
    if pdf.get_y() + needed > w.bottom:
        pdf.add_page()
    top = float(pdf.get_y())
    levels = bundled_anchors().levels
    scale = bundled_likelihood()
    language = h["_language"]
    w.box(float(pdf.l_margin), top, label_width - 2, f"{h['likelihood']} ↓ / {h['impact']} →",
          size=7.5, bold=True)  # fmt: skip
    y0 = top + 10
    for col in range(5):
        title = f"{col + 1} {levels[col + 1].get(language)}"
        w.box(x0 + col * size, y0 - 8, size, title, size=7, align="C")
    for row, likelihood in enumerate(range(5, 0, -1)):
        y = y0 + row * size
        w.box(float(pdf.l_margin), y + size / 2 - 5, label_width - 2,
              f"{likelihood} {scale.label(likelihood, language)}", size=7, align="R")  # fmt: skip
        for col, impact in enumerate(range(1, 6)):
            x = x0 + col * size
            risk = round(risk_index(likelihood, impact))
            pdf.set_fill_color(*_BAND_COLOURS[risk_band(risk)])
            pdf.set_draw_color(255, 255, 255)
            pdf.rect(x, y, size, size, style="DF")
            pdf.set_draw_color(0, 0, 0)
            w.box(x + 0.5, y + 0.5, size - 1, str(risk), size=6, height=4)
            here = [
                str(r.rank)
                for r in ranking
                if r.likelihood_class == likelihood and r.impact_class == impact
            ]
            if here:
                w.box(x + 1, y + 5, size - 2, ", ".join(here), size=9, bold=True, align="C",
                      height=size - 6)  # fmt: skip
    pdf.set_xy(pdf.l_margin, y0 + 5 * size + 2)
    w.paragraph(h["matrix_note"], size=8)


def _draw_radar(w: Writer, scores: list[EssentialScore]) -> None:
    pdf = w.pdf
    radius = 38.0
    if pdf.get_y() + 2 * radius + 20 > w.bottom:
        pdf.add_page()
    cx = float(pdf.l_margin) + w.width / 2
    cy = float(pdf.get_y()) + radius + 8
    n = len(scores)

    def point(k: int, r: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * k / n
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    pdf.set_draw_color(180, 180, 180)
    for ring in (0.25, 0.5, 0.75, 1.0):
        pdf.polygon([point(k, radius * ring) for k in range(n)], style="D")
    for k, score in enumerate(scores):
        pdf.line(cx, cy, *point(k, radius))
        lx, ly = point(k, radius + 5)
        w.box(lx - 5, ly - 2, 10, str(score.number), size=8, align="C")
    pdf.set_draw_color(30, 90, 160)
    pdf.set_fill_color(150, 190, 230)
    shape = [point(k, radius * max(s.percent, 1.0) / 100.0) for k, s in enumerate(scores)]
    pdf.polygon(shape, style="DF")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, cy + radius + 10)


def profile(
    workspace: Workspace,
    *,
    language: str = "en",
    actions: list[Action] | None = None,
    generated: dt.date | None = None,
    competence_titles: Mapping[str, str] | None = None,
) -> Profile:
    """Render the city resilience profile of ``workspace`` with a record of its text boxes.

    The team's own texts (hazard titles, round labels, actions, owners) are in the
    workspace's language; a PDF in another language marks them, "[EN] …".
    """
    h = {**texts_in("crisis.workbench", "report", language), "_language": language}

    def written(text: str) -> str:
        if not text or workspace.language == language:
            return text
        return f"[{workspace.language.upper()}] {text}"

    w = Writer.new()
    pdf = w.pdf
    pdf.add_page()
    register = workspace.hazard_register
    names = {hz.id: hz.title for hz in register.hazards}
    competences = dict(competence_titles or _competences(language))
    w.heading(f"{h['title']}: {register.city}", size=17)
    stamp = format_date(generated or dt.date.today(), language, "long")
    w.paragraph(f"{h['generated']} {stamp}", size=9)
    if not w.unicode:
        w.paragraph(h["no_font"])
    w.paragraph(h["definition"].format(k=IMPACT_EMPHASIS), size=8)

    weights = workspace.criteria_weights()
    if register.hazards:
        ranking = rank(register, weights)
        w.heading(h["hazards"])
        _hazard_table(w, ranking, h, written)
        if pdf.get_y() + 5 * 24 + 45 > w.bottom:
            pdf.add_page()
        w.heading(h["matrix"])
        _draw_matrix(w, ranking, h)

    scoring = workspace.latest_round()
    if scoring is not None:
        pdf.add_page()
        scorecard = bundled_scorecard(scoring.level)
        scores = essential_scores(scoring, scorecard, language=language)
        w.heading(
            f"{h['scorecard']}: {written(scoring.label)} ({format_date(scoring.date, language)})"
        )
        _draw_radar(w, scores)
        widths = [9.0, 121.0, 20.0, 40.0]
        header = [h["rank"], h["essential"], h["score"], h["sendai"]]
        w.row(widths, header, bold=True)
        for score in scores:
            sendai = ", ".join(scorecard.essential(score.number).sendai)
            percent = format_percent(score.percent / 100, language)
            w.row(widths, [str(score.number), score.title, percent, sendai], header=header)
        plan = (
            actions
            if actions is not None
            else action_plan(scoring, register=register, weights=weights, today=generated)
        )
        w.heading(h["actions"])
        if not plan:
            w.paragraph(h["no_plan"])
        widths = [7.0, 72.0, 27.0, 19.0, 14.0, 25.0, 26.0]
        header = [h["rank"], h["action"], h["owner"], h["due"], h["cost"], h["hazard"],
                  h["competence"]]  # fmt: skip
        w.row(widths, header, bold=True, size=7.5)
        for action in plan:
            text = written(action.action)
            if action.target:
                text += f"\n{h['target']}: {written(action.target)}"
            if action.indicator:
                text += f"\n{h['indicator']}: {written(action.indicator)}"
            w.row(
                widths,
                [
                    str(action.priority),
                    text,
                    written(action.owner),
                    format_date(action.due, language),
                    h.get(f"cost_{action.cost}", action.cost) if action.cost else h["none"],
                    written(names.get(action.hazard_id, action.hazard_id))
                    if action.hazard_id
                    else h["none"],
                    competences.get(action.competence, action.competence),
                ],
                size=7.5,
                header=header,
            )
    return Profile(w.output(), tuple(w.boxes))


def profile_pdf(
    workspace: Workspace,
    *,
    language: str = "en",
    top: int | None = None,
    actions: list[Action] | None = None,
    generated: dt.date | None = None,
    competence_titles: Mapping[str, str] | None = None,
) -> bytes:
    """Render the city resilience profile of ``workspace`` and return the PDF bytes.

    ``top`` is accepted for compatibility and ignored: the table lists every hazard, so
    that every rank on the matrix can be looked up.
    """
    del top
    return profile(
        workspace,
        language=language,
        actions=actions,
        generated=generated,
        competence_titles=competence_titles,
    ).pdf
