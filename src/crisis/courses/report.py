"""A learner's own course progress, for export: a JSON record and a PDF.

The PDF is drawn with fpdf2 in DejaVu Sans (the font the learner report uses), so Greek and
Portuguese print correctly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from crisis.competences.models import Catalogue
from crisis.courses.loader import Course
from crisis.courses.progress import ModuleProgress
from crisis.courses.runs import DeadlineStatus

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Course progress",
        "date": "Date",
        "modules": "Modules",
        "complete": "complete",
        "units": "units",
        "left": "minutes left",
        "recognised": "recorded by",
        "deadlines": "Deadlines",
        "met": "met",
        "missed": "missed",
        "open": "open",
        "overdue": "overdue",
        "feedback": "Feedback",
        "none": "No module started yet.",
    },
    "el": {
        "title": "Πρόοδος στα μαθήματα",
        "date": "Ημερομηνία",
        "modules": "Ενότητες",
        "complete": "ολοκληρώθηκε",
        "units": "μαθήματα",
        "left": "λεπτά απομένουν",
        "recognised": "καταχωρίστηκε από",
        "deadlines": "Προθεσμίες",
        "met": "τηρήθηκε",
        "missed": "χάθηκε",
        "open": "ανοιχτή",
        "overdue": "εκπρόθεσμη",
        "feedback": "Σχόλια",
        "none": "Δεν έχει ξεκινήσει καμία ενότητα ακόμη.",
    },
    "de": {
        "title": "Kursfortschritt",
        "date": "Datum",
        "modules": "Module",
        "complete": "abgeschlossen",
        "units": "Lerneinheiten",
        "left": "Minuten übrig",
        "recognised": "eingetragen von",
        "deadlines": "Fristen",
        "met": "eingehalten",
        "missed": "versäumt",
        "open": "offen",
        "overdue": "überfällig",
        "feedback": "Rückmeldungen",
        "none": "Noch kein Modul begonnen.",
    },
    "pt": {
        "title": "Progresso nos cursos",
        "date": "Data",
        "modules": "Módulos",
        "complete": "concluído",
        "units": "unidades",
        "left": "minutos em falta",
        "recognised": "registado por",
        "deadlines": "Prazos",
        "met": "cumprido",
        "missed": "falhado",
        "open": "em aberto",
        "overdue": "em atraso",
        "feedback": "Comentários",
        "none": "Ainda nenhum módulo iniciado.",
    },
}


def progress_record(
    catalogue: Catalogue,
    course: Course,
    progress: Mapping[str, ModuleProgress],
    *,
    learner: str,
    deadlines: Sequence[tuple[str, Sequence[DeadlineStatus]]] = (),
    feedback: Sequence[dict[str, Any]] = (),
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The learner's progress as a JSON-ready record (modules started or complete)."""
    modules = []
    for mid, entry in progress.items():
        if not (entry.started or entry.complete):
            continue
        module = catalogue.module(mid)
        record = entry.as_dict()
        record["title"] = module.title.get("en")
        titles = {u.id: u.title for u in course.of_module(mid)}
        for unit in record["units"]:  # type: ignore[attr-defined]
            unit["title"] = titles.get(unit["unit"], unit["unit"])
        modules.append(record)
    return {
        "format": "crisis-course-progress/1",
        "learner": learner,
        "date": (today or dt.date.today()).isoformat(),
        "modules": modules,
        "runs": [
            {"run": title, "deadlines": [d.as_dict() for d in items]} for title, items in deadlines
        ],
        "feedback": list(feedback),
    }


def progress_pdf(
    catalogue: Catalogue, course: Course, record: Mapping[str, Any], lang: str = "en"
) -> bytes:
    """The progress record as a PDF (labels and module titles in ``lang``)."""
    from fpdf import FPDF

    from crisis.learners.report import font_files

    labels = _LABELS.get(lang, _LABELS["en"])
    regular, bold = font_files()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_title(labels["title"])
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 9, f"{labels['title']}: {record['learner']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, f"{labels['date']}: {record['date']}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _heading(pdf, labels["modules"])
    if not record["modules"]:
        pdf.cell(0, 6, labels["none"], new_x="LMARGIN", new_y="NEXT")
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for entry in record["modules"]:
        module = catalogue.module(entry["module"])
        units = entry["units"]
        done = sum(1 for u in units if u["status"] == "complete")
        if pdf.get_y() > pdf.h - 40:
            pdf.add_page()
        pdf.set_font("DejaVu", "B", 10)
        head = f"{module.id} {module.title.get(lang)}"
        if entry["complete"]:
            head += f" — {labels['complete']} {str(entry['completed_at'])[:10]}"
        pdf.multi_cell(width, 5.5, head, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        summary = (
            f"{done}/{len(units)} {labels['units']} · {entry['minutes_left']} {labels['left']}"
        )
        if entry.get("recognised_by"):
            summary += f" · {labels['recognised']} {entry['recognised_by']}"
        pdf.cell(0, 5, summary, new_x="LMARGIN", new_y="NEXT")
        y = pdf.get_y()
        pdf.set_fill_color(225, 225, 225)
        pdf.rect(pdf.l_margin, y + 0.5, 80, 3, style="F")
        if units:
            pdf.set_fill_color(31, 119, 180)
            pdf.rect(pdf.l_margin, y + 0.5, 80 * done / len(units), 3, style="F")
        pdf.set_y(y + 5)
        for unit in units:
            mark = "✓" if unit["status"] == "complete" else "·"
            line = f"{mark} {unit['unit']} {unit['title']}"
            if unit["evidence"]:
                line += f" — {unit['evidence']} ({str(unit['completed_at'])[:10]})"
            pdf.multi_cell(width, 4.5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    if record["runs"]:
        _heading(pdf, labels["deadlines"])
        for run in record["runs"]:
            pdf.set_font("DejaVu", "B", 9)
            pdf.multi_cell(width, 5, run["run"], new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 9)
            for item in run["deadlines"]:
                pdf.cell(
                    0,
                    4.5,
                    f"{item['target']}: {item['due']} — "
                    f"{labels.get(item['status'], item['status'])}",
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
    if record["feedback"]:
        _heading(pdf, labels["feedback"])
        for item in record["feedback"]:
            pdf.set_font("DejaVu", "B", 9)
            pdf.cell(
                0,
                5,
                f"{item['unit']} · {item['author']} · {item['at'][:10]}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            pdf.set_font("DejaVu", "", 9)
            pdf.multi_cell(width, 4.5, item["text"], new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    return bytes(pdf.output())


def _heading(pdf: Any, text: str) -> None:
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
