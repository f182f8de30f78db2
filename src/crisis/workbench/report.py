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
from collections.abc import Mapping
from dataclasses import dataclass

from crisis.workbench._pdf import Box, Writer, unicode_font
from crisis.workbench.actionplan import Action, action_plan
from crisis.workbench.anchors import bundled_anchors
from crisis.workbench.prioritise import RankedHazard, rank
from crisis.workbench.risk import IMPACT_EMPHASIS, risk_band, risk_index
from crisis.workbench.scorecard import (
    EssentialScore,
    bundled_scorecard,
    essential_scores,
)
from crisis.workbench.workspace import Workspace

__all__ = ["Profile", "profile", "profile_pdf", "unicode_font"]

_HEADINGS: dict[str, dict[str, str]] = {
    "en": {
        "cost_low": "low", "cost_medium": "medium", "cost_high": "high",
        "action": "Action",
        "l5": "almost certain (≥ 1 in 10 years)",
        "l4": "likely (1 in 10–50 years)",
        "l3": "possible (1 in 50–200 years)",
        "l2": "unlikely (1 in 200–1,000 years)",
        "l1": "rare (< 1 in 1,000 years)",
        "title": "City resilience profile", "hazards": "Hazards by risk",
        "matrix": "Risk matrix", "scorecard": "Resilience scorecard", "actions": "Action plan",
        "likelihood": "Likelihood", "impact": "Impact", "score": "Score", "owner": "Owner",
        "due": "Due", "hazard": "Hazard", "competence": "Competence", "rank": "#",
        "scenario": "Deciding scenario", "risk": "Risk index", "weighted": "Weighted impact",
        "most_probable": "most probable", "most_severe": "most severe", "cost": "Cost",
        "target": "Target", "indicator": "Indicator", "essential": "Essential",
        "sendai": "Sendai targets", "low": "low", "medium": "medium", "high": "high",
        "very high": "very high", "none": "—",
        "definition": "Risk index = 10 × ((likelihood class − 1) + {k} × (impact class − 1)), "
        "0–100; impact is the AHP-weighted combination of the five impact dimensions. Bands: "
        "low < 25, medium < 50, high < 75, very high ≥ 75.",
        "matrix_note": "Each number is a hazard's rank in the table above, placed by the "
        "scenario that sets its rank; each cell shows its risk index.",
        "no_plan": "No action plan yet.",
    },
    "el": {
        "cost_low": "χαμηλό", "cost_medium": "μέτριο", "cost_high": "υψηλό",
        "action": "Δράση",
        "l5": "σχεδόν βέβαιη (≥ 1 στα 10 έτη)",
        "l4": "πιθανή (1 στα 10–50 έτη)",
        "l3": "ενδεχόμενη (1 στα 50–200 έτη)",
        "l2": "απίθανη (1 στα 200–1.000 έτη)",
        "l1": "σπάνια (< 1 στα 1.000 έτη)",
        "title": "Προφίλ ανθεκτικότητας πόλης", "hazards": "Επικινδυνότητες κατά κίνδυνο",
        "matrix": "Μήτρα κινδύνου", "scorecard": "Κάρτα αξιολόγησης ανθεκτικότητας",
        "actions": "Σχέδιο δράσης", "likelihood": "Πιθανότητα", "impact": "Επίπτωση",
        "score": "Βαθμός", "owner": "Υπεύθυνος", "due": "Προθεσμία",
        "hazard": "Επικινδυνότητα", "competence": "Ικανότητα", "rank": "#",
        "scenario": "Καθοριστικό σενάριο", "risk": "Δείκτης κινδύνου",
        "weighted": "Σταθμισμένη επίπτωση", "most_probable": "πιθανότερο",
        "most_severe": "σοβαρότερο", "cost": "Κόστος", "target": "Στόχος",
        "indicator": "Δείκτης", "essential": "Βασική αρχή", "sendai": "Στόχοι Sendai",
        "low": "χαμηλός", "medium": "μέτριος", "high": "υψηλός", "very high": "πολύ υψηλός",
        "none": "—",
        "definition": "Δείκτης κινδύνου = 10 × ((κλάση πιθανότητας − 1) + {k} × (κλάση "
        "επίπτωσης − 1)), 0–100· η επίπτωση είναι ο σταθμισμένος κατά AHP συνδυασμός των πέντε "
        "διαστάσεων. Ζώνες: χαμηλός < 25, μέτριος < 50, υψηλός < 75, πολύ υψηλός ≥ 75.",
        "matrix_note": "Κάθε αριθμός είναι η θέση μιας επικινδυνότητας στον πίνακα παραπάνω, "
        "τοποθετημένη κατά το σενάριο που ορίζει τη θέση της· κάθε κελί δείχνει τον δείκτη "
        "κινδύνου του.",
        "no_plan": "Δεν υπάρχει ακόμη σχέδιο δράσης.",
    },
    "de": {
        "cost_low": "gering", "cost_medium": "mittel", "cost_high": "hoch",
        "action": "Maßnahme",
        "l5": "fast sicher (≥ 1 in 10 Jahren)",
        "l4": "wahrscheinlich (1 in 10–50 Jahren)",
        "l3": "möglich (1 in 50–200 Jahren)",
        "l2": "unwahrscheinlich (1 in 200–1.000 Jahren)",
        "l1": "selten (< 1 in 1.000 Jahren)",
        "title": "Resilienzprofil der Stadt", "hazards": "Gefahren nach Risiko",
        "matrix": "Risikomatrix", "scorecard": "Resilienz-Scorecard",
        "actions": "Maßnahmenplan", "likelihood": "Wahrscheinlichkeit",
        "impact": "Auswirkung", "score": "Punktzahl", "owner": "Zuständig", "due": "Frist",
        "hazard": "Gefahr", "competence": "Kompetenz", "rank": "#",
        "scenario": "Maßgebliches Szenario", "risk": "Risikoindex",
        "weighted": "Gewichtete Auswirkung", "most_probable": "wahrscheinlichstes",
        "most_severe": "schwerstes", "cost": "Kosten", "target": "Ziel",
        "indicator": "Indikator", "essential": "Grundsatz", "sendai": "Sendai-Ziele",
        "low": "niedrig", "medium": "mittel", "high": "hoch", "very high": "sehr hoch",
        "none": "—",
        "definition": "Risikoindex = 10 × ((Wahrscheinlichkeitsklasse − 1) + {k} × "
        "(Auswirkungsklasse − 1)), 0–100; die Auswirkung ist die mit AHP gewichtete "
        "Kombination der fünf Dimensionen. Stufen: niedrig < 25, mittel < 50, hoch < 75, "
        "sehr hoch ≥ 75.",
        "matrix_note": "Jede Zahl ist der Rang einer Gefahr in der Tabelle oben, eingetragen "
        "nach dem Szenario, das ihren Rang bestimmt; jede Zelle zeigt ihren Risikoindex.",
        "no_plan": "Noch kein Maßnahmenplan.",
    },
    "pt": {
        "cost_low": "baixo", "cost_medium": "médio", "cost_high": "elevado",
        "action": "Ação",
        "l5": "quase certa (≥ 1 em 10 anos)",
        "l4": "provável (1 em 10–50 anos)",
        "l3": "possível (1 em 50–200 anos)",
        "l2": "improvável (1 em 200–1000 anos)",
        "l1": "rara (< 1 em 1000 anos)",
        "title": "Perfil de resiliência da cidade", "hazards": "Perigos por risco",
        "matrix": "Matriz de risco", "scorecard": "Scorecard de resiliência",
        "actions": "Plano de ação", "likelihood": "Probabilidade", "impact": "Impacto",
        "score": "Pontuação", "owner": "Responsável", "due": "Prazo", "hazard": "Perigo",
        "competence": "Competência", "rank": "#", "scenario": "Cenário determinante",
        "risk": "Índice de risco", "weighted": "Impacto ponderado",
        "most_probable": "mais provável", "most_severe": "mais grave", "cost": "Custo",
        "target": "Meta", "indicator": "Indicador", "essential": "Essencial",
        "sendai": "Metas de Sendai", "low": "baixo", "medium": "médio", "high": "alto",
        "very high": "muito alto", "none": "—",
        "definition": "Índice de risco = 10 × ((classe de probabilidade − 1) + {k} × (classe "
        "de impacto − 1)), 0–100; o impacto é a combinação ponderada por AHP das cinco "
        "dimensões. Faixas: baixo < 25, médio < 50, alto < 75, muito alto ≥ 75.",
        "matrix_note": "Cada número é a posição de um perigo na tabela acima, colocado pelo "
        "cenário que determina a sua posição; cada célula mostra o seu índice de risco.",
        "no_plan": "Ainda não há plano de ação.",
    },
}  # fmt: skip
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


def _hazard_table(w: Writer, ranking: list[RankedHazard], h: Mapping[str, str]) -> None:
    widths = [8.0, 60.0, 30.0, 32.0, 24.0, 36.0]
    header = [h["rank"], h["hazard"], h["scenario"], h["likelihood"], h["weighted"], h["risk"]]
    w.row(widths, header, bold=True)
    for r in ranking:
        cells = [
            str(r.rank),
            r.title,
            h[r.scenario],
            str(r.likelihood_class),
            f"{r.impact_weighted:.2f} → {r.impact_class}",
            f"{r.risk} · {h[r.band]}",
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
    language = h.get("_language", "en")
    w.box(float(pdf.l_margin), top, label_width - 2, f"{h['likelihood']} ↓ / {h['impact']} →",
          size=7.5, bold=True)  # fmt: skip
    y0 = top + 10
    for col in range(5):
        title = f"{col + 1} {levels[col + 1].get(language)}"
        w.box(x0 + col * size, y0 - 8, size, title, size=7, align="C")
    for row, likelihood in enumerate(range(5, 0, -1)):
        y = y0 + row * size
        w.box(float(pdf.l_margin), y + size / 2 - 5, label_width - 2,
              f"{likelihood} {h[f'l{likelihood}']}", size=7, align="R")  # fmt: skip
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
    """Render the city resilience profile of ``workspace`` with a record of its text boxes."""
    h = {**_HEADINGS.get(language, _HEADINGS["en"]), "_language": language}
    w = Writer.new()
    pdf = w.pdf
    pdf.add_page()
    register = workspace.hazard_register
    names = {hz.id: hz.title for hz in register.hazards}
    competences = dict(competence_titles or _competences(language))
    w.heading(f"{h['title']}: {register.city}", size=17)
    w.paragraph((generated or dt.date.today()).isoformat(), size=9)
    if not w.unicode:
        w.paragraph("Note: no Unicode font was found; some characters are replaced.")
    w.paragraph(h["definition"].format(k=IMPACT_EMPHASIS), size=8)

    weights = workspace.criteria_weights()
    if register.hazards:
        ranking = rank(register, weights)
        w.heading(h["hazards"])
        _hazard_table(w, ranking, h)
        if pdf.get_y() + 5 * 24 + 45 > w.bottom:
            pdf.add_page()
        w.heading(h["matrix"])
        _draw_matrix(w, ranking, h)

    scoring = workspace.latest_round()
    if scoring is not None:
        pdf.add_page()
        scorecard = bundled_scorecard(scoring.level)
        scores = essential_scores(scoring, scorecard, language=language)
        w.heading(f"{h['scorecard']}: {scoring.label} ({scoring.date.isoformat()})")
        _draw_radar(w, scores)
        widths = [9.0, 121.0, 20.0, 40.0]
        header = [h["rank"], h["essential"], h["score"], h["sendai"]]
        w.row(widths, header, bold=True)
        for score in scores:
            sendai = ", ".join(scorecard.essential(score.number).sendai)
            w.row(
                widths,
                [str(score.number), score.title, f"{score.percent:.0f} %", sendai],
                header=header,
            )
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
            text = action.action
            if action.target:
                text += f"\n{h['target']}: {action.target}"
            if action.indicator:
                text += f"\n{h['indicator']}: {action.indicator}"
            w.row(
                widths,
                [
                    str(action.priority),
                    text,
                    action.owner,
                    action.due.isoformat(),
                    h.get(f"cost_{action.cost}", action.cost) if action.cost else h["none"],
                    names.get(action.hazard_id, action.hazard_id)
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
