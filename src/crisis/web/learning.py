"""Pages of the learner journey: overview, self-assessment, profile and gaps, path, report.

The test pages are in :mod:`crisis.web.learning_test`, the cohort pages in
:mod:`crisis.web.learning_cohorts`, the JSON API in :mod:`crisis.web.api_learning`; all of
them call :mod:`crisis.web.learning_journey`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.competences.models import Catalogue
from crisis.exceptions import ContentError, InfeasiblePathError
from crisis.learners import CatConfig, statements
from crisis.learners.report import learner_report_pdf
from crisis.store import learning as store
from crisis.store.tables import User
from crisis.web import learning_charts as charts
from crisis.web import learning_journey as journey
from crisis.web.catalogues import InUse, in_use
from crisis.web.rendering import page_language, render
from crisis.web.security import csrf_protect, get_db, require_roles

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
#: Who may follow the learner journey (admins always may).
LEARNERS = require_roles("learner", "instructor")
#: Largest hours-per-week a learner may plan with.
MAX_HOURS_PER_WEEK = 60.0


def parse_int(value: str, field: str) -> int:
    """A form field as an integer, or a 400 naming the field."""
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        raise ContentError(f"{field}: {value!r} is not a whole number") from None


def page(
    request: Request,
    template: str,
    used: InUse,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """Render a learning page with the catalogue and level names at hand."""
    cat = used.catalogue
    lang = page_language(request)
    values = {
        "cat": cat,
        "used": used,
        "level_name": lambda value: cat.framework.scale.name(value, lang),
        **(context or {}),
    }
    return render(request, f"learning/{template}", values, status_code)


def check_scope(cat: Catalogue, scope: str) -> str:
    """A scope from a form or a body: a programme id of the curriculum, or ``all``.

    Raises:
        ContentError: naming the value and the choices.
    """
    allowed = [p.id for p in cat.curriculum.programmes] + ["all"]
    if scope not in allowed:
        raise ContentError(f"scope: {scope[:64]!r} is not one of {', '.join(allowed)}")
    return scope


# --- overview ---------------------------------------------------------------------------


@router.get("/learning")
def overview(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cat = used.catalogue
    rated = journey.self_assessment(db, user, cat)
    running = journey.running_attempt(db, user, cat)
    finished = store.latest_finished(db, user)
    return page(
        request,
        "index.html",
        used,
        {
            "rated": len(rated.ratings),
            "total": len(cat.framework.competences),
            "running": running,
            "finished": finished,
            "answered": store.count_responses(db, running) if running else 0,
            "max_items": CatConfig().max_items,
            "cohorts": store.memberships(db, user),
            "owned": store.owned_cohorts(db, user) if user.role != "learner" else [],
        },
    )


# --- self-assessment --------------------------------------------------------------------


@router.get("/learning/self-assessment")
def self_assessment_page(
    request: Request,
    competence: str | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cat = used.catalogue
    lang = page_language(request)
    rated = journey.self_assessment(db, user, cat)
    remaining = rated.remaining(cat)
    if competence is None and remaining:
        competence = remaining[0]
    context: dict[str, Any] = {
        "ratings": rated.ratings,
        "rated": len(rated.ratings),
        "total": len(cat.framework.competences),
        "complete": rated.complete(cat),
    }
    if competence is not None:
        current = cat.competence(competence)
        context.update(
            competence=current,
            area=next(a for a in cat.framework.areas if a.id == current.area),
            options=statements(cat, current.id, lang),
            position=[c.id for c in cat.framework.competences].index(current.id) + 1,
        )
    return page(request, "self_assessment.html", used, context)


@router.post("/learning/self-assessment")
def save_rating(
    competence: str = Form(..., max_length=32),
    level: str = Form("", max_length=8),
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cat = used.catalogue
    if not level.strip():
        raise ContentError(
            f"{competence}: choose the statement that describes you best, or 'Not yet'"
        )
    rated = journey.rate(db, user, cat, {competence: level})
    db.commit()
    order = [c.id for c in cat.framework.competences]
    later = [c for c in order[order.index(competence) + 1 :] if c not in rated.ratings]
    remaining = later or rated.remaining(cat)
    if remaining:
        target = f"/learning/self-assessment?competence={remaining[0]}"
    else:
        target = "/learning/self-assessment/summary"
    return RedirectResponse(target, status_code=303)


@router.get("/learning/self-assessment/summary")
def self_assessment_summary(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cat = used.catalogue
    rated = journey.self_assessment(db, user, cat)
    lang = page_language(request)
    chosen = {
        cid: next(s.text for s in statements(cat, cid, lang) if s.level == level)
        for cid, level in rated.ratings.items()
    }
    return page(
        request,
        "self_assessment_summary.html",
        used,
        {
            "ratings": rated.ratings,
            "chosen": chosen,
            "rated": len(rated.ratings),
            "total": len(cat.framework.competences),
            "remaining": rated.remaining(cat),
        },
    )


# --- profile, gaps, path, report --------------------------------------------------------


def _journey(
    request: Request, db: Session, user: User, used: InUse, profile_id: str | None
) -> dict[str, Any]:
    cat = used.catalogue
    lang = page_language(request)
    plan = store.plan(db, user)
    job = journey.job_profile(cat, profile_id or plan.profile_id)
    profile = journey.profile_of(db, user, cat)
    gaps = journey.gaps_of(profile, job, cat, lang)
    return {
        "plan": plan,
        "job": job,
        "profile": profile,
        "levels": {entry.competence: entry for entry in profile.levels},
        "gaps": gaps,
        "radar": charts.radar(gaps),
        "bar_groups": charts.gap_bars(gaps),
        "ratings": journey.self_assessment(db, user, cat).ratings,
        "tested": store.latest_finished(db, user),
    }


@router.get("/learning/profile")
def profile_page(
    request: Request,
    profile: str | None = None,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    return page(request, "profile.html", used, _journey(request, db, user, used, profile))


def _with_path(
    request: Request, db: Session, user: User, used: InUse, context: dict[str, Any]
) -> dict[str, Any]:
    from crisis.web.courses import service as courses

    cat = used.catalogue
    lang = page_language(request)
    completed = journey.completed_of(db, user, cat)
    context = {
        **context,
        "completed": completed,
        "scopes": courses.scope_choices(cat, lang),
        "scope": context["plan"].scope
        or (cat.curriculum.programmes[0].id if cat.curriculum.programmes else courses.ALL),
        "no_evidence": not journey.has_evidence(db, user, cat),
    }
    if context["no_evidence"]:
        return {**context, "path": None, "infeasible": None}
    try:
        path = journey.path_of(context["gaps"], cat, context["plan"], lang, completed)
    except InfeasiblePathError as exc:
        return {**context, "path": None, "infeasible": str(exc)}
    spans = (
        charts.timeline_days(
            path.days,
            [
                ((s.start - path.steps[0].start).days, (s.end - path.steps[0].start).days)
                for s in path.steps
            ],
        )
        if path.steps
        else []
    )
    return {**context, "path": path, "spans": spans, "infeasible": None}


@router.get("/learning/path")
def path_page(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    context = _with_path(request, db, user, used, _journey(request, db, user, used, None))
    status = 422 if context["infeasible"] else 200
    return page(request, "path.html", used, context, status)


@router.post("/learning/path")
async def save_path_settings(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    form = await request.form()
    cat = used.catalogue
    profile_id = str(form.get("profile") or "scro")
    journey.job_profile(cat, profile_id)
    hours = str(form.get("hours_per_week") or "").strip()
    try:
        hours_per_week = float(hours.replace(",", "."))
    except ValueError:
        raise ContentError(f"hours per week: {hours!r} is not a number") from None
    if not 0 < hours_per_week <= MAX_HOURS_PER_WEEK:
        raise ContentError(
            f"hours per week: {hours_per_week:g} is outside 0..{MAX_HOURS_PER_WEEK:g}"
        )
    start_text = str(form.get("start") or "").strip()
    try:
        start = dt.date.fromisoformat(start_text) if start_text else dt.date.today()
    except ValueError:
        raise ContentError(f"start date: {start_text!r} is not a date (YYYY-MM-DD)") from None
    objective = str(form.get("objective") or "hours")
    if objective not in ("hours", "ects"):
        raise ContentError(f"objective: {objective!r}; expected hours or ects")
    scope = str(form.get("scope") or "").strip() or None
    if scope is not None:
        check_scope(cat, scope)
    store.save_plan(
        db,
        user,
        profile_id=profile_id,
        hours_per_week=hours_per_week,
        start=start,
        objective=objective,
        scope=scope,
    )
    db.commit()
    return RedirectResponse("/learning/path", status_code=303)


@router.get("/learning/report")
def report_page(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    context = _with_path(request, db, user, used, _journey(request, db, user, used, None))
    return page(request, "report.html", used, {**context, "today": dt.date.today()})


@router.get("/learning/report.pdf")
def report_pdf(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    context = _with_path(request, db, user, used, _journey(request, db, user, used, None))
    data = learner_report_pdf(
        catalogue=used.catalogue,
        profile=context["job"],
        gaps=context["gaps"],
        path=context["path"],
        competences=context["profile"],
        learner=user.display_name or user.username,
        lang=page_language(request),
    )
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="crisis-report-{user.username}.pdf"'
        },
    )
