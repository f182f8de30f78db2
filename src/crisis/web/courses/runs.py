"""Course-run pages: instructors open runs for their cohorts, follow progress under the consent
rules and give feedback; learners see their runs and deadlines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.courses.runs import deadline_status
from crisis.exceptions import ContentError, NotFoundError
from crisis.store import courses as course_store
from crisis.store import learning as learning_store
from crisis.store.tables import User
from crisis.web.catalogues import InUse, in_use
from crisis.web.courses import service
from crisis.web.courses.pages import page
from crisis.web.learning import LEARNERS
from crisis.web.learning_cohorts import INSTRUCTORS
from crisis.web.security import csrf_protect, get_db

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def parse_date(value: str, field: str) -> dt.date:
    """A form date, or a 400 naming the field."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ContentError(f"{field}: {value[:40]!r} is not a date (YYYY-MM-DD)") from None


def run_target(used: InUse, target: str) -> tuple[list[str], str]:
    """The modules a run form's target names (``module:M01`` or ``programme:<id>``) and a title."""
    cat = used.catalogue
    kind, _, ident = target.partition(":")
    if kind == "module":
        module = cat.module(ident)
        return [module.id], f"{module.id} {module.title.get('en')}"
    if kind == "programme":
        for programme in cat.curriculum.programmes:
            if programme.id == ident:
                return list(programme.modules), programme.title.get("en")
    raise ContentError(f"module or course: {target[:80]!r} is not one of the choices")


def _form_context(
    request: Request, db: Session, user: User, used: InUse, target: str | None
) -> dict[str, Any]:
    cat = used.catalogue
    view = service.course_of(db, cat)
    modules: list[str] = []
    suggested = ""
    if target:
        try:
            modules, suggested = run_target(used, target)
        except (ContentError, NotFoundError):
            modules = []
    return {
        "cohorts": learning_store.owned_cohorts(db, user),
        "runs": service.runs_owned(db, user),
        "target": target or "",
        "target_modules": modules,
        "units": {m: view.course.of_module(m) for m in modules},
        "suggested": suggested,
        "course": view.course,
        "today": dt.date.today(),
    }


@router.get("/learning/runs")
def runs_page(
    request: Request,
    target: str | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cat = used.catalogue
    context: dict[str, Any] = {"mine": [], "errors": [], "form": {}}
    if user.role != "learner":
        context.update(_form_context(request, db, user, used, target))
    view = service.course_of(db, cat)
    context["mine"] = service.learner_deadlines(db, user, cat, view.course, dt.date.today())
    db.commit()
    return page(request, "courses/runs.html", used, context)


@router.post("/learning/runs")
async def open_run(
    request: Request,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    form = await request.form()
    values = {k: str(v)[:200] for k, v in form.items() if isinstance(v, str)}
    cat = used.catalogue
    view = service.course_of(db, cat)
    target = values.get("target", "")
    try:
        modules, suggested = run_target(used, target)
        try:
            cohort_id = int(values.get("cohort", ""))
        except ValueError:
            raise ContentError("cohort: choose one of your cohorts") from None
        start = parse_date(values.get("start", ""), "start date")
        deadlines = {}
        for key, value in values.items():
            if key.startswith("deadline-") and value.strip():
                deadlines[key.removeprefix("deadline-")] = parse_date(
                    value, f"deadline for {key[9:]}"
                )
        chosen = [str(v) for v in form.getlist("required")]
        required = chosen if values.get("choose_units") == "1" else None
        run = service.open_run(
            db,
            user,
            cat,
            view.course,
            cohort_id=cohort_id,
            title=values.get("title", "").strip() or suggested,
            modules=modules,
            start=start,
            required=required,
            deadlines=deadlines,
        )
    except (ContentError, NotFoundError) as exc:
        db.rollback()
        context = _form_context(request, db, user, used, target)
        errors = exc.errors if isinstance(exc, ContentError) else [str(exc)]
        context.update(errors=errors, form=values, mine=[])
        return page(request, "courses/runs.html", used, context, 400)
    db.commit()
    return RedirectResponse(f"/learning/runs/{run.id}", status_code=303)


@router.get("/learning/runs/{run_id}")
def run_page(
    request: Request,
    run_id: int,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cat = used.catalogue
    view = service.course_of(db, cat)
    run = course_store.get_run(db, run_id)
    cohort = learning_store.get_cohort(db, run.cohort_id)
    today = dt.date.today()
    context: dict[str, Any] = {"run": run, "cohort": cohort, "course": view.course}
    if service.may_run(user, cohort):
        context["view"] = service.run_for_instructor(db, user, cat, view.course, run_id, today)
        template = "courses/run.html"
    else:
        learning_store.membership(db, cohort, user)  # 404 for people outside the cohort
        plan = service.plan_of(run)
        progress = service.progress_of(db, user, cat, view.course, plan.modules)
        context.update(
            plan=plan,
            items=deadline_status(plan, progress, today),
            progress=progress,
            feedback=course_store.feedback_for(db, user.id, run.id),
        )
        template = "courses/run_learner.html"
    db.commit()
    return page(request, template, used, context)


@router.get("/learning/runs/{run_id}/learners/{learner_id}")
def learner_work(
    request: Request,
    run_id: int,
    learner_id: int,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    return _work_page(request, db, user, used, run_id, learner_id)


def _work_page(
    request: Request,
    db: Session,
    user: User,
    used: InUse,
    run_id: int,
    learner_id: int,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    cat = used.catalogue
    view = service.course_of(db, cat)
    run_view, work = service.handed_in_work(db, user, cat, view.course, run_id, learner_id)
    unitless = [m for m in run_view.plan.modules if not view.course.of_module(m)]
    progress = service.progress_of(db, work.learner, cat, view.course, unitless)
    db.commit()
    return page(
        request,
        "courses/work.html",
        used,
        {
            "view": run_view,
            "work": work,
            "unitless": [(cat.module(m), progress[m]) for m in unitless],
            "errors": errors or [],
        },
        status_code,
    )


@router.post("/learning/runs/{run_id}/learners/{learner_id}/feedback")
def give_feedback(
    request: Request,
    run_id: int,
    learner_id: int,
    unit: str = Form("", max_length=16),
    text: str = Form("", max_length=6000),
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    view = service.course_of(db, used.catalogue)
    try:
        service.leave_feedback(
            db, user, used.catalogue, view.course, run_id, learner_id, unit, text
        )
    except ContentError as exc:
        db.rollback()
        return _work_page(
            request, db, user, used, run_id, learner_id, errors=exc.errors, status_code=400
        )
    db.commit()
    return RedirectResponse(
        f"/learning/runs/{run_id}/learners/{learner_id}#unit-{unit}", status_code=303
    )


@router.post("/learning/runs/{run_id}/learners/{learner_id}/recognise")
def recognise(
    run_id: int,
    learner_id: int,
    module: str = Form("", max_length=32),
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    view = service.course_of(db, used.catalogue)
    service.recognise_module(db, user, used.catalogue, view.course, run_id, learner_id, module)
    db.commit()
    return RedirectResponse(f"/learning/runs/{run_id}/learners/{learner_id}", status_code=303)
