"""The JSON API under ``/api/v1/courses``: modules, units, quizzes, progress, runs, authoring —
the same service functions as the pages, answering JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from crisis.courses.report import progress_record
from crisis.learners import load_bundled_items
from crisis.store import courses as course_store
from crisis.store import learning as learning_store
from crisis.store.tables import User
from crisis.web.catalogues import InUse, in_use
from crisis.web.courses import service
from crisis.web.courses.pages import render_unit
from crisis.web.learning import LEARNERS
from crisis.web.learning_cohorts import INSTRUCTORS
from crisis.web.rendering import page_language
from crisis.web.security import csrf_protect, get_db

router = APIRouter(prefix="/api/v1/courses", dependencies=[Depends(csrf_protect)], tags=["courses"])
Lang = Literal["en", "el", "de", "pt"]


class ScopeIn(BaseModel):
    """What to study: a programme id of the curriculum, or ``all``."""

    scope: str = Field(..., max_length=64, examples=["scro-mooc"])


class AnswersIn(BaseModel):
    """A quiz's answers: item id → option (numbered from 0)."""

    answers: dict[str, int]


class RunIn(BaseModel):
    """A course run to open."""

    cohort: int
    title: str = Field("", max_length=200)
    modules: list[str] = Field(..., min_length=1, max_length=60)
    start: dt.date
    required: list[str] | None = None
    deadlines: dict[str, dt.date] = {}


class FeedbackIn(BaseModel):
    """Feedback on a learner's unit of a run."""

    learner: int
    unit: str = Field(..., max_length=16)
    text: str = Field(..., max_length=5000)


class UnitSourceIn(BaseModel):
    """A unit (or translation) file's text."""

    source: str = Field(..., max_length=200_000)
    lang: Lang = "en"
    message: str = Field("", max_length=500)


@router.get("/modules")
def modules(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """The modules of my scope with my progress in each."""
    cat = used.catalogue
    plan = learning_store.plan(db, user)
    scope = service.scope_of(cat, plan.scope)
    view = service.course_of(db, cat)
    progress = service.progress_of(db, user, cat, view.course, scope)
    db.commit()
    lang = page_language(request)
    return {
        "scope": plan.scope,
        "modules": [
            {**p.as_dict(), "title": cat.module(mid).title.get(lang)} for mid, p in progress.items()
        ],
    }


@router.put("/scope")
def put_scope(
    body: ScopeIn,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Choose what to study (a programme, or ``all``)."""
    from crisis.exceptions import ContentError

    allowed = {p.id for p in used.catalogue.curriculum.programmes} | {service.ALL}
    if body.scope not in allowed:
        raise ContentError(f"scope: {body.scope!r}; choose one of {', '.join(sorted(allowed))}")
    learning_store.save_plan(db, user, scope=body.scope)
    db.commit()
    return {"scope": body.scope}


@router.get("/modules/{module_id}")
def module(
    request: Request,
    module_id: str,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """One module: its units and my progress."""
    cat = used.catalogue
    found = cat.module(module_id)
    view = service.course_of(db, cat)
    progress = service.progress_of(db, user, cat, view.course, [found.id])[found.id]
    db.commit()
    lang = page_language(request)
    return {
        **progress.as_dict(),
        "title": found.title.get(lang),
        "units": [
            {
                **p.as_dict(),
                "title": u.in_language(lang)[0].title,
                "minutes": u.minutes,
                "activity": u.activity.model_dump(by_alias=True),
            }
            for u, p in zip(view.course.of_module(found.id), progress.units, strict=True)
        ],
    }


@router.get("/units/{unit_id}")
def unit(
    request: Request,
    unit_id: str,
    lang: Lang | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """A unit's text (rendered, safe HTML) in my language, with my status."""
    view = service.course_of(db, used.catalogue)
    found = view.course.unit(unit_id)
    opened = course_store.visit(db, user, found.id)
    progress = service.progress_of(db, user, used.catalogue, view.course, [found.module])
    db.commit()
    shown = render_unit(found, lang or page_language(request))
    status = next(u for u in progress[found.module].units if u.unit == found.id)
    return {
        "id": found.id,
        "module": found.module,
        "outcomes": list(found.outcomes),
        "minutes": found.minutes,
        "activity": found.activity.model_dump(by_alias=True),
        "language": shown["lang"],
        "translated": shown["translated"],
        "title": shown["title"],
        "case": shown["case"],
        "html": shown["blocks"],
        # Evidence for the unit counts from its first opening (exercise runs, workbench work).
        "opened_at": opened.isoformat(),
        **status.as_dict(),
    }


@router.post("/units/{unit_id}/quiz", status_code=201)
def start_quiz(
    request: Request,
    unit_id: str,
    lang: Lang | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Start (or continue) the unit's quiz: its questions, without answers."""
    view = service.course_of(db, used.catalogue)
    found = view.course.unit(unit_id)
    attempt = service.start_quiz(db, user, found)
    db.commit()
    bank = load_bundled_items()
    language = lang or page_language(request)
    return {
        "quiz": attempt.id,
        "needed": service.quiz_activity(found).needed(),
        "questions": [bank.item(i).render(language) for i in attempt.items],
    }


@router.post("/units/{unit_id}/quiz/{attempt_id}")
def submit_quiz(
    unit_id: str,
    attempt_id: int,
    body: AnswersIn,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Submit a quiz's answers (all at once; a second submission is a 409)."""
    view = service.course_of(db, used.catalogue)
    found = view.course.unit(unit_id)
    _, result = service.submit_quiz(db, user, found, attempt_id, body.answers)
    db.commit()
    return {
        "correct": result.correct,
        "total": result.total,
        "needed": result.needed,
        "passed": result.passed,
        "answers": {
            iid: {"chosen": c, "answer": a, "right": ok}
            for iid, (c, a, ok) in result.answers.items()
        },
    }


@router.get("/progress")
def progress(
    user: User = Depends(LEARNERS), used: InUse = Depends(in_use), db: Session = Depends(get_db)
) -> Any:
    """My course progress: the same record as the JSON export."""
    cat = used.catalogue
    view = service.course_of(db, cat)
    deadlines = service.learner_deadlines(db, user, cat, view.course, dt.date.today())
    record = progress_record(
        cat,
        view.course,
        service.progress_of(db, user, cat, view.course),
        learner=user.display_name or user.username,
        deadlines=[(run.title, items) for run, items in deadlines],
        feedback=service.feedback_records(db, user),
    )
    db.commit()
    return record


@router.get("/runs")
def runs(
    user: User = Depends(LEARNERS), used: InUse = Depends(in_use), db: Session = Depends(get_db)
) -> Any:
    """Runs of my cohorts (with my deadlines) and, for instructors, the runs I lead."""
    cat = used.catalogue
    view = service.course_of(db, cat)
    mine = service.learner_deadlines(db, user, cat, view.course, dt.date.today())
    led = service.runs_owned(db, user) if user.role != "learner" else []
    db.commit()
    return {
        "member_of": [
            {
                **service.plan_of(r).as_dict(),
                "id": r.id,
                "deadlines_status": [d.as_dict() for d in items],
            }
            for r, items in mine
        ],
        "leading": [{**service.plan_of(r).as_dict(), "id": r.id, "cohort": c.id} for r, c in led],
    }


@router.post("/runs", status_code=201)
def open_run(
    body: RunIn,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Open a course run for a cohort I run."""
    view = service.course_of(db, used.catalogue)
    run = service.open_run(
        db,
        user,
        used.catalogue,
        view.course,
        cohort_id=body.cohort,
        title=body.title or ", ".join(body.modules),
        modules=body.modules,
        start=body.start,
        required=body.required,
        deadlines=body.deadlines,
    )
    db.commit()
    return {**service.plan_of(run).as_dict(), "id": run.id, "cohort": run.cohort_id}


@router.get("/runs/{run_id}/progress")
def run_progress(
    run_id: int,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """A run's progress under the consent rules."""
    view = service.course_of(db, used.catalogue)
    found = service.run_for_instructor(
        db, user, used.catalogue, view.course, run_id, dt.date.today()
    )
    db.commit()
    return {**found.plan.as_dict(), "id": run_id, **found.progress.as_dict()}


@router.post("/runs/{run_id}/feedback", status_code=201)
def feedback(
    run_id: int,
    body: FeedbackIn,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Leave feedback on a consenting learner's unit."""
    view = service.course_of(db, used.catalogue)
    service.leave_feedback(
        db, user, used.catalogue, view.course, run_id, body.learner, body.unit, body.text
    )
    db.commit()
    return {"run": run_id, "learner": body.learner, "unit": body.unit}


@router.post("/authoring/check")
def check_unit(
    body: UnitSourceIn,
    unit_id: str,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Check a unit file without saving it (400 with every problem as ``file:line``)."""
    view = service.course_of(db, used.catalogue)
    found = service.check_source(db, used.catalogue, view.course, unit_id, body.lang, body.source)
    return {"unit": found.id, "module": found.module, "problems": []}


@router.put("/authoring/units/{unit_id}")
def save_unit(
    unit_id: str,
    body: UnitSourceIn,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Save a new version of a unit (checked; nothing saved on any problem)."""
    view = service.course_of(db, used.catalogue)
    number = service.save_source(
        db, user, used.catalogue, view.course, unit_id, body.lang, body.source, body.message
    )
    db.commit()
    return {"unit": unit_id, "lang": body.lang, "version": number}


@router.get("/authoring/units/{unit_id}/history")
def history(unit_id: str, user: User = Depends(INSTRUCTORS), db: Session = Depends(get_db)) -> Any:
    """Every saved version of a unit, newest first."""
    return [
        {
            "lang": v.lang,
            "version": v.number,
            "saved_at": v.saved_at.isoformat(),
            "author": v.author,
            "message": v.message,
            "withdrawn": v.source is None,
        }
        for v in course_store.unit_versions(db, unit_id)
    ]
