"""The JSON API under ``/api/v1/learning``: self-assessment, adaptive test, profile, gaps,
path and cohorts — the same functions as the pages, answering JSON.

Errors are problem JSON: a stale, replayed or concurrent answer is a 409 and records nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, ContentError
from crisis.learners import statements
from crisis.store import learning as store
from crisis.store.tables import User
from crisis.web import learning_journey as journey
from crisis.web.catalogues import InUse, in_use
from crisis.web.learning import LEARNERS, MAX_HOURS_PER_WEEK, check_scope
from crisis.web.learning_cohorts import (
    INSTRUCTORS,
    anonymised_csv,
    import_staff,
    needs_of,
    new_cohort,
    owned,
    parse_budget,
)
from crisis.web.params import Count, Id
from crisis.web.rendering import page_language
from crisis.web.security import csrf_protect, get_db

router = APIRouter(
    prefix="/api/v1/learning", dependencies=[Depends(csrf_protect)], tags=["learning"]
)
Lang = Literal["en", "el", "de", "pt"]


def _lang(request: Request, lang: str | None) -> str:
    return lang or page_language(request)


# --- request bodies ---------------------------------------------------------------------


class RatingsIn(BaseModel):
    """Self-ratings to store: competence id → level 0..4 (others are kept)."""

    ratings: dict[str, Count] = Field(..., examples=[{"C01": 2, "C11": 3}])


class AnswerIn(BaseModel):
    """An answer to the question being asked."""

    attempt: Id
    item: str = Field(..., max_length=64)
    sequence: Count = Field(..., description="The question's sequence number (0 = first).")
    option: Count = Field(..., description="The chosen option, numbered from 0.")


class PlanIn(BaseModel):
    """Path settings."""

    profile: str | None = Field(None, max_length=64)
    hours_per_week: float | None = Field(None, gt=0, le=MAX_HOURS_PER_WEEK)
    start: dt.date | None = None
    objective: Literal["hours", "ects"] | None = None
    scope: str | None = Field(
        None,
        max_length=64,
        description="A programme id of the curriculum (e.g. scro-mooc) or 'all'.",
    )


class CohortIn(BaseModel):
    """A new cohort."""

    name: str = Field(..., min_length=1, max_length=200)
    profile: str = Field("scro", max_length=64)
    budget_hours: float = Field(40.0, ge=0, le=10_000)


class JoinIn(BaseModel):
    """Joining a cohort."""

    code: str = Field(..., max_length=32)
    consent: bool = False


class ConsentIn(BaseModel):
    """Whether the instructor may see my individual results."""

    consent: bool


# --- self-assessment --------------------------------------------------------------------


def _self_assessment(db: Session, user: User, used: InUse) -> dict[str, Any]:
    cat = used.catalogue
    rated = journey.self_assessment(db, user, cat)
    return {
        "ratings": rated.ratings,
        "remaining": rated.remaining(cat),
        "complete": rated.complete(cat),
    }


@router.get("/self-assessment")
def get_self_assessment(
    request: Request,
    lang: Lang | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """My self-ratings, what is left to rate, and the statements to choose from."""
    cat = used.catalogue
    language = _lang(request, lang)
    return {
        **_self_assessment(db, user, used),
        "competences": [
            {
                "id": c.id,
                "title": c.title.get(language),
                "statements": [
                    {"level": s.level, "text": s.text} for s in statements(cat, c.id, language)
                ],
            }
            for c in cat.framework.competences
        ],
    }


@router.put("/self-assessment")
def put_self_assessment(
    body: RatingsIn,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """Store self-ratings (all or none; others stay as they were)."""
    journey.rate(db, user, used.catalogue, dict(body.ratings))
    db.commit()
    return _self_assessment(db, user, used)


# --- adaptive test ----------------------------------------------------------------------


def _question(request: Request, db: Session, user: User, used: InUse, lang: str | None) -> Any:
    attempt = journey.running_attempt(db, user, used.catalogue)
    if attempt is None:
        return {"attempt": None, "finished": True, "question": None}
    question = journey.current_question(db, attempt, used.catalogue)
    db.commit()
    if question.item is None:
        return {"attempt": attempt.id, "finished": True, "question": None}
    return {
        "attempt": attempt.id,
        "finished": False,
        "sequence": question.sequence,
        "max_items": question.limit,
        "question": {
            **question.item.render(_lang(request, lang)),
            "competence": question.item.competence,
        },
    }


@router.post("/test")
def start_test(
    request: Request,
    lang: Lang | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Start an adaptive test (or carry on with the running one) and get its first question."""
    journey.start_test(db, user, used.catalogue)
    db.commit()
    return _question(request, db, user, used, lang)


@router.get("/test/next")
def next_question(
    request: Request,
    lang: Lang | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """The question being asked in my running test (``finished`` when there is none)."""
    return _question(request, db, user, used, lang)


@router.post("/test/answer")
def post_answer(
    request: Request,
    body: AnswerIn,
    lang: Lang | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Answer the question being asked; 409 for a stale, repeated or tampered answer."""
    correct, attempt = journey.answer(
        db,
        user,
        used.catalogue,
        attempt_id=body.attempt,
        item_id=body.item,
        sequence=body.sequence,
        option=body.option,
    )
    db.commit()
    return {"correct": correct, **_question(request, db, user, used, lang), "attempt": attempt.id}


@router.get("/test/{attempt_id}")
def test_result(
    request: Request,
    attempt_id: Id,
    lang: Lang | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """A finished test: abilities per area and competence, and every answer explained."""
    attempt = store.get_attempt(db, user, attempt_id)
    if attempt.status != "finished":
        raise ContentError(f"test {attempt_id} is still running; answer its questions first")
    result = journey.test_result(attempt, used.catalogue)
    bank = journey.item_bank()
    language = _lang(request, lang)
    answers = []
    for row in store.responses(db, attempt):
        if row.item_id in bank:
            item = bank.item(row.item_id)
            answers.append(
                {
                    "item": row.item_id,
                    "competence": item.competence,
                    "option": row.option,
                    "answer": item.answer,
                    "correct": row.correct,
                    "explanation": item.explanation.get(language),
                }
            )
    return {
        "attempt": attempt.id,
        "result": result.as_dict() if result else None,
        "answers": answers,
    }


# --- profile, gaps, path ----------------------------------------------------------------


@router.get("/profile")
def get_profile(
    user: User = Depends(LEARNERS), used: InUse = Depends(in_use), db: Session = Depends(get_db)
) -> Any:
    """My competence profile: level, confidence and calibration per competence."""
    return journey.profile_of(db, user, used.catalogue).as_dict()


@router.get("/gaps")
def get_gaps(
    request: Request,
    profile: str | None = Query(None, description="Job profile id; default: my plan's (scro)."),
    lang: Lang | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """My gaps against a job profile, most urgent first."""
    cat = used.catalogue
    job = journey.job_profile(cat, profile or store.plan(db, user).profile_id)
    gaps = journey.gaps_of(journey.profile_of(db, user, cat), job, cat, _lang(request, lang))
    return {"profile": job.id, "gaps": [g.as_dict() for g in gaps]}


@router.get("/path")
def get_path(
    request: Request,
    lang: Lang | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """My optimal learning path for my settings and scope (422 naming the gap when none
    exists; 409 while nothing is known about me: take the self-assessment first)."""
    cat = used.catalogue
    language = _lang(request, lang)
    plan = store.plan(db, user)
    job = journey.job_profile(cat, plan.profile_id)
    if not journey.has_evidence(db, user, cat):
        raise ConflictError(
            "nothing is known about you yet: take the self-assessment (PUT "
            "/api/v1/learning/self-assessment) or the knowledge test first, so that the path "
            "leaves out what you already know"
        )
    gaps = journey.gaps_of(journey.profile_of(db, user, cat), job, cat, language)
    completed = journey.completed_of(db, user, cat)
    return {"profile": job.id, **journey.path_of(gaps, cat, plan, language, completed).as_dict()}


@router.put("/path")
def put_path(
    request: Request,
    body: PlanIn,
    lang: Lang | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Change my path settings and get the new path."""
    cat = used.catalogue
    if body.profile is not None:
        journey.job_profile(cat, body.profile)
    if body.scope is not None:
        check_scope(cat, body.scope)
    store.save_plan(
        db,
        user,
        profile_id=body.profile,
        hours_per_week=body.hours_per_week,
        start=body.start,
        objective=body.objective,
        scope=body.scope,
    )
    db.commit()
    return get_path(request, lang, user, used, db)


# --- cohorts ----------------------------------------------------------------------------


def _cohort(cohort: Any, *, with_code: bool) -> dict[str, Any]:
    out = {
        "id": cohort.id,
        "name": cohort.name,
        "profile": cohort.profile_id,
        "budget_hours": cohort.budget_hours,
    }
    if with_code:
        out["join_code"] = cohort.join_code
    return out


@router.get("/cohorts")
def list_cohorts(user: User = Depends(LEARNERS), db: Session = Depends(get_db)) -> Any:
    """Cohorts I run and cohorts I have joined (with my consent)."""
    return {
        "owned": [_cohort(c, with_code=True) for c in store.owned_cohorts(db, user)]
        if user.role != "learner"
        else [],
        "joined": [
            {**_cohort(c, with_code=False), "consent": m.consented}
            for c, m in store.memberships(db, user)
        ],
    }


@router.post("/cohorts", status_code=201)
def post_cohort(
    body: CohortIn,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Create a cohort; the answer holds its join code."""
    cohort = new_cohort(db, user, used.catalogue, body.name, body.profile, body.budget_hours)
    db.commit()
    return _cohort(cohort, with_code=True)


@router.post("/cohorts/join")
def join_cohort(body: JoinIn, user: User = Depends(LEARNERS), db: Session = Depends(get_db)) -> Any:
    """Join a cohort with its code, saying whether the instructor may see my results."""
    cohort = store.cohort_by_code(db, body.code.strip().upper())
    member = store.join(db, cohort, user, consented=body.consent)
    db.commit()
    return {**_cohort(cohort, with_code=False), "consent": member.consented}


@router.put("/cohorts/{cohort_id}/consent")
def put_consent(
    cohort_id: Id, body: ConsentIn, user: User = Depends(LEARNERS), db: Session = Depends(get_db)
) -> Any:
    """Change whether the instructor may see my individual results."""
    cohort = store.get_cohort(db, cohort_id)
    member = store.membership(db, cohort, user)
    member.consented = body.consent
    db.commit()
    return {**_cohort(cohort, with_code=False), "consent": member.consented}


@router.get("/cohorts/{cohort_id}/needs")
def cohort_needs(
    request: Request,
    cohort_id: Id,
    profile: str | None = None,
    budget: float | None = Query(None, ge=0, le=10_000),
    lang: Lang | None = None,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Training needs: heatmap of consenting people, distributions and recommended modules
    (aggregates only for groups of at least 5)."""
    cohort = owned(db, user, cohort_id)
    hours = parse_budget(budget, cohort.budget_hours)
    _job, needs = needs_of(db, cohort, used.catalogue, profile, hours, _lang(request, lang))
    return {"cohort": _cohort(cohort, with_code=True), **needs.as_dict()}


@router.post("/cohorts/{cohort_id}/import")
def import_cohort(
    request: Request,
    cohort_id: Id,
    file: UploadFile = File(...),
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Any:
    """Import staff self-assessments (CSV/XLSX): all rows or none, errors by row and column."""
    cohort = owned(db, user, cohort_id)
    # A plain def: FastAPI runs it on a worker thread, so parsing never holds the event loop.
    limit = request.app.state.settings.max_upload_bytes
    added = import_staff(
        db, cohort, used.catalogue, file.filename or "upload", file.file.read(), max_bytes=limit
    )
    db.commit()
    return {"imported": added, "size": len(store.members(db, cohort))}


@router.get(
    "/cohorts/{cohort_id}/export.csv",
    response_class=Response,
    responses={
        200: {
            "description": "Anonymised results, one row per consenting person.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def cohort_export(
    cohort_id: Id,
    profile: str | None = None,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    """Anonymised results as CSV (403 for groups under 5)."""
    return anonymised_csv(db, owned(db, user, cohort_id), used.catalogue, profile)
