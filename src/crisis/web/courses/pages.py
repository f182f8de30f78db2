"""Course pages for learners: the modules of their scope, a module, a unit, its quiz, exports.

All of them call :mod:`crisis.web.courses.service`, as the JSON API does.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.courses import render_markdown
from crisis.courses.practice import MATRIX_BANDS, MATRIX_HAZARDS, MIN_ANSWERS, MIN_HAZARDS
from crisis.courses.report import progress_pdf, progress_record
from crisis.courses.units import ExerciseActivity, QuizActivity, Unit, WorkbenchActivity
from crisis.exceptions import ContentError
from crisis.learners import load_bundled_items
from crisis.store import courses as course_store
from crisis.store import exercises as exercise_store
from crisis.store import learning as learning_store
from crisis.store.tables import User
from crisis.web.catalogues import InUse, in_use
from crisis.web.courses import service
from crisis.web.i18n import LANGUAGE_NAMES, N_
from crisis.web.learning import LEARNERS
from crisis.web.rendering import page_language, render
from crisis.web.security import csrf_protect, get_db

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
MODULE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
#: Where each workbench task is done in the practice workspace.
TASK_PAGES = {
    "register": "hazards",
    "matrix": "priorities",
    "weights": "weights",
    "scorecard": "scorecard",
    "actionplan": "actions",
    "impact": "hazards",
}
#: What each workbench task asks of the practice workspace, as the unit page says it.
TASK_REQUIREMENTS = {
    "register": N_(
        "Complete when your register holds at least %(hazards)d hazards, at least one of them "
        "added or edited after you opened this unit."
    ),
    "matrix": N_(
        "Complete when at least %(hazards)d hazards were added, or saved again from their "
        "form after reviewing their likelihood and impacts, after you opened this unit, and "
        "their scenarios fall in at least %(bands)d risk bands of the matrix."
    ),
    "weights": N_(
        "Complete when you save pairwise judgements of the criteria with a consistency ratio "
        "of 0.10 or less after opening this unit."
    ),
    "scorecard": N_(
        "Complete when a scorecard round with at least %(answers)d answered questions was "
        "started or changed after you opened this unit."
    ),
    "actionplan": N_(
        "Complete when you save an action plan with at least one action after opening this unit."
    ),
    "impact": N_(
        "Complete when you apply a simulator estimate of a hazard's impact classes after "
        "opening this unit."
    ),
}


def page(
    request: Request,
    template: str,
    used: InUse,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """Render a course page (``courses/…``) with the catalogue at hand, in the learning layout."""
    return render(
        request, template, {"cat": used.catalogue, "used": used, **(context or {})}, status_code
    )


def hours_text(minutes: int) -> str:
    """``3 h 20 min`` style duration."""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def _context(request: Request, used: InUse, db: Session) -> tuple[str, service.CourseView]:
    return page_language(request), service.course_of(db, used.catalogue)


def render_unit(unit: Unit, lang: str) -> dict[str, Any]:
    """A unit's text in ``lang`` (or English, marked as such), rendered to safe HTML."""
    text, translated = unit.in_language(lang)
    return {
        "title": text.title,
        "case": text.case,
        "blocks": {name: render_markdown(body) for name, body in text.blocks.items()},
        "translated": translated,
        "fallback_from": None if translated else LANGUAGE_NAMES.get(lang, lang),
        "lang": text.lang,
    }


# --- overview -----------------------------------------------------------------------------


@router.get("/learning/courses")
def courses_page(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cat = used.catalogue
    lang, view = _context(request, used, db)
    plan = learning_store.plan(db, user)
    scope = service.scope_of(cat, plan.scope)
    progress = service.progress_of(db, user, cat, view.course)
    shown = [m for m in cat.curriculum.modules if scope is None or m.id in scope]
    deadlines = service.learner_deadlines(db, user, cat, view.course, dt.date.today())
    db.commit()
    return page(
        request,
        "courses/index.html",
        used,
        {
            "modules": shown,
            "progress": progress,
            "units": {m.id: view.course.of_module(m.id) for m in shown},
            "scope": plan.scope
            or (cat.curriculum.programmes[0].id if cat.curriculum.programmes else service.ALL),
            "choices": service.scope_choices(cat, lang),
            "deadlines": deadlines,
            "problems": view.problems,
            "hours_text": hours_text,
        },
    )


@router.post("/learning/courses/scope")
def save_scope(
    scope: str = Form("", max_length=64),
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cat = used.catalogue
    allowed = {p.id for p in cat.curriculum.programmes} | {service.ALL}
    if scope not in allowed:
        raise ContentError(f"scope: {scope!r}; choose one of {', '.join(sorted(allowed))}")
    learning_store.save_plan(db, user, scope=scope)
    db.commit()
    return RedirectResponse("/learning/courses", status_code=303)


# --- exports --------------------------------------------------------------------------------


def _record(request: Request, db: Session, user: User, used: InUse) -> tuple[dict[str, Any], Any]:
    cat = used.catalogue
    view = service.course_of(db, cat)
    progress = service.progress_of(db, user, cat, view.course)
    deadlines = service.learner_deadlines(db, user, cat, view.course, dt.date.today())
    record = progress_record(
        cat,
        view.course,
        progress,
        learner=user.display_name or user.username,
        deadlines=[(run.title, items) for run, items in deadlines],
        feedback=service.feedback_records(db, user),
    )
    db.commit()
    return record, view


@router.get("/learning/courses/progress.json")
def export_json(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    record, _ = _record(request, db, user, used)
    return Response(
        json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="crisis-progress-{user.username}.json"'
        },
    )


@router.get("/learning/courses/progress.pdf")
def export_pdf(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    record, view = _record(request, db, user, used)
    data = progress_pdf(used.catalogue, view.course, record, page_language(request))
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="crisis-progress-{user.username}.pdf"'
        },
    )


# --- a module ------------------------------------------------------------------------------


@router.get("/learning/courses/{module_id}")
def module_page(
    request: Request,
    module_id: str,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cat = used.catalogue
    lang, view = _context(request, used, db)
    module = cat.module(module_id)
    units = view.course.of_module(module.id)
    progress = service.progress_of(db, user, cat, view.course, [module.id])[module.id]
    deadlines = [
        (run, [d for d in items if d.target == module.id or d.target.startswith(f"{module.id}-")])
        for run, items in service.learner_deadlines(db, user, cat, view.course, dt.date.today())
        if module.id in run.modules
    ]
    db.commit()
    titles = {u.id: u.in_language(lang)[0].title for u in units}
    return page(
        request,
        "courses/module.html",
        used,
        {
            "module": module,
            "units": units,
            "titles": titles,
            "progress": progress,
            "status": {u.unit: u for u in progress.units},
            "deadlines": deadlines,
            "hours_text": hours_text,
        },
    )


# --- a unit ---------------------------------------------------------------------------------


@router.get("/learning/courses/{module_id}/{unit_id}")
def unit_page(
    request: Request,
    module_id: str,
    unit_id: str,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cat = used.catalogue
    lang, view = _context(request, used, db)
    unit = service.unit_of(view.course, module_id, unit_id)
    module = cat.module(module_id)
    opened = course_store.visit(db, user, unit.id)
    progress = service.progress_of(db, user, cat, view.course, [module.id])[module.id]
    status = next(u for u in progress.units if u.unit == unit.id)
    units = view.course.of_module(module.id)
    position = [u.id for u in units].index(unit.id)
    activity: dict[str, Any] = {"kind": unit.activity.kind}
    if isinstance(unit.activity, QuizActivity):
        activity["quiz"] = unit.activity
        activity["open"] = course_store.open_quiz(db, user, unit.id)
        activity["attempts"] = course_store.quizzes_of(db, user, unit.id)
    elif isinstance(unit.activity, ExerciseActivity):
        activity["exercise"] = unit.activity
        activity["runs"] = exercise_store.runs_of(db, user, unit.activity.exercise)[:5]
    elif isinstance(unit.activity, WorkbenchActivity):
        activity["task"] = unit.activity.task
        workspace = course_store.practice_workspace(db, user)
        activity["workspace"] = workspace.name if workspace else None
        activity["page"] = TASK_PAGES[unit.activity.task]
        activity["requirement"] = TASK_REQUIREMENTS[unit.activity.task]
        activity["numbers"] = {
            "hazards": MATRIX_HAZARDS if unit.activity.task == "matrix" else MIN_HAZARDS,
            "bands": MATRIX_BANDS,
            "answers": MIN_ANSWERS,
        }
    feedback = [f for f in course_store.feedback_for(db, user.id) if f.unit_id == unit.id]
    db.commit()
    outcomes = [o for o in module.outcomes if o.id in unit.outcomes]
    return page(
        request,
        "courses/unit.html",
        used,
        {
            "module": module,
            "unit": unit,
            "shown": render_unit(unit, lang),
            "outcomes": outcomes,
            "status": status,
            "activity": activity,
            "opened": opened,
            "previous": units[position - 1] if position else None,
            "next": units[position + 1] if position + 1 < len(units) else None,
            "position": position + 1,
            "count": len(units),
            "module_complete": progress.complete,
            "feedback": feedback,
            "hours_text": hours_text,
        },
    )


# --- quizzes --------------------------------------------------------------------------------


@router.post("/learning/courses/{module_id}/{unit_id}/quiz")
def start_quiz(
    module_id: str,
    unit_id: str,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    view = service.course_of(db, used.catalogue)
    unit = service.unit_of(view.course, module_id, unit_id)
    attempt = service.start_quiz(db, user, unit)
    db.commit()
    return RedirectResponse(
        f"/learning/courses/{module_id}/{unit_id}/quiz/{attempt.id}", status_code=303
    )


@router.get("/learning/courses/{module_id}/{unit_id}/quiz/{attempt_id}")
def quiz_page(
    request: Request,
    module_id: str,
    unit_id: str,
    attempt_id: int,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    return _quiz(request, db, user, used, module_id, unit_id, attempt_id)


def _quiz(
    request: Request,
    db: Session,
    user: User,
    used: InUse,
    module_id: str,
    unit_id: str,
    attempt_id: int,
    *,
    errors: list[str] | None = None,
    chosen: dict[str, int] | None = None,
    status_code: int = 200,
) -> Response:
    lang, view = _context(request, used, db)
    unit = service.unit_of(view.course, module_id, unit_id)
    activity = service.quiz_activity(unit)
    row = course_store.get_quiz(db, user, attempt_id)
    bank = load_bundled_items()
    questions = [bank.item(i) for i in row.items if i in bank]
    result = service.quiz_result(unit, row) if row.submitted_at is not None else None
    progress = service.progress_of(db, user, used.catalogue, view.course, [module_id])[module_id]
    db.commit()
    return page(
        request,
        "courses/quiz.html",
        used,
        {
            "module": used.catalogue.module(module_id),
            "unit": unit,
            "title": unit.in_language(lang)[0].title,
            "activity": activity,
            "attempt": row,
            "questions": [(q, q.render(lang)) for q in questions],
            "result": result,
            "errors": errors or [],
            "chosen": chosen or {},
            "module_progress": progress,
            "unit_complete": next(u for u in progress.units if u.unit == unit.id).complete,
        },
        status_code,
    )


@router.post("/learning/courses/{module_id}/{unit_id}/quiz/{attempt_id}")
async def submit_quiz(
    request: Request,
    module_id: str,
    unit_id: str,
    attempt_id: int,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    form = await request.form()
    view = service.course_of(db, used.catalogue)
    unit = service.unit_of(view.course, module_id, unit_id)
    answers: dict[str, int] = {}
    bad: list[str] = []
    for key, value in form.items():
        if not key.startswith("q-") or not isinstance(value, str):
            continue
        try:
            answers[key[2:66]] = int(value)
        except ValueError:
            bad.append(f"{key[2:66]}: {value[:20]!r} is not an option")
    try:
        if bad:
            raise ContentError(bad[0], errors=bad)
        service.submit_quiz(db, user, unit, attempt_id, answers)
    except ContentError as exc:
        db.rollback()
        return _quiz(
            request, db, user, used, module_id, unit_id, attempt_id,
            errors=exc.errors, chosen=answers, status_code=400,
        )  # fmt: skip
    db.commit()
    return RedirectResponse(
        f"/learning/courses/{module_id}/{unit_id}/quiz/{attempt_id}", status_code=303
    )


# --- practice workspace ---------------------------------------------------------------------


@router.post("/learning/courses/practice")
def open_practice(
    task: str = Form("register", max_length=16),
    user: User = Depends(LEARNERS),
    db: Session = Depends(get_db),
) -> Response:
    name = service.practice(db, user)
    db.commit()
    return RedirectResponse(f"/workbench/{name}/{TASK_PAGES.get(task, 'hazards')}", status_code=303)
