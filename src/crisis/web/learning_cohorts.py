"""Cohort pages: create and join cohorts, consent, training needs, staff import, export."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.competences.models import Catalogue, JobProfile
from crisis.exceptions import ContentError, FormatError, PermissionDeniedError
from crisis.formats.tables import SafeDictWriter
from crisis.learners import (
    TrainingNeeds,
    anonymised_rows,
    new_join_code,
    training_needs,
)
from crisis.learners.staff import read_staff_data
from crisis.store import learning as store
from crisis.store.learner_tables import LearningCohort
from crisis.store.tables import User
from crisis.web import learning_journey as journey
from crisis.web.catalogues import InUse, in_use
from crisis.web.i18n import gettext as _
from crisis.web.learning import LEARNERS, page
from crisis.web.params import Id
from crisis.web.rendering import page_language
from crisis.web.security import csrf_protect, get_db, require_roles

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
INSTRUCTORS = require_roles("instructor")
#: Largest hours budget for a recommended module set.
MAX_BUDGET = 10_000.0


def owned(db: Session, user: User, cohort_id: Id) -> LearningCohort:
    """A cohort ``user`` runs.

    Raises:
        NotFoundError: no such cohort.
        PermissionDeniedError: ``user`` does not run it.
    """
    cohort = store.get_cohort(db, cohort_id)
    if not journey.may_see_cohort(user, cohort):
        raise PermissionDeniedError(f"cohort {cohort_id} is run by another instructor")
    return cohort


def parse_budget(value: str | float | None, default: float) -> float:
    """An hours budget from a form or query, or a 400 naming the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        budget = float(str(value).replace(",", "."))
    except ValueError:
        raise ContentError(f"budget: {value!r} is not a number of hours") from None
    if not 0 <= budget <= MAX_BUDGET:
        raise ContentError(f"budget: {budget:g} hours is outside 0..{MAX_BUDGET:g}")
    return budget


def new_cohort(
    db: Session, user: User, cat: Catalogue, name: str, profile_id: str, budget: float
) -> LearningCohort:
    """Create a cohort with a fresh join code."""
    name = name.strip()
    if not name:
        raise ContentError("name: give the cohort a name")
    job = journey.job_profile(cat, profile_id)
    return store.create_cohort(
        db, user, name[:200], join_code=new_join_code(), profile_id=job.id, budget_hours=budget
    )


def import_staff(
    db: Session,
    cohort: LearningCohort,
    cat: Catalogue,
    filename: str,
    data: bytes,
    *,
    max_bytes: int,
) -> int:
    """Read a staff self-assessment file and add its people, all or none.

    Raises:
        ContentError: every problem, named by row and column.
        FormatError: the file is not CSV or XLSX, or cannot be read.
    """
    name = Path(filename.replace("\\", "/")).name or "upload"
    if not name.lower().endswith((".csv", ".xlsx", ".xlsm")):
        raise FormatError(f"{name}: expected a .csv or .xlsx file")
    people = read_staff_data(data, name, cat, max_bytes=max_bytes)
    return store.add_imported(db, cohort, [(p.levels, p.consented) for p in people])


def needs_of(
    db: Session,
    cohort: LearningCohort,
    cat: Catalogue,
    profile_id: str | None,
    budget: float,
    lang: str,
) -> tuple[JobProfile, TrainingNeeds]:
    """Training needs of a cohort against a profile, within an hours budget."""
    job = journey.job_profile(cat, profile_id or cohort.profile_id)
    members = journey.cohort_members(db, cohort, cat)
    return job, training_needs(members, job, cat, budget_hours=budget, lang=lang)


# --- pages ------------------------------------------------------------------------------


@router.get("/learning/cohorts")
def cohorts_page(
    request: Request,
    user: User = Depends(LEARNERS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    owned_rows = store.owned_cohorts(db, user) if user.role != "learner" else []
    sizes = {c.id: len(store.members(db, c)) for c in owned_rows}
    return page(
        request,
        "cohorts.html",
        used,
        {"memberships": store.memberships(db, user), "owned": owned_rows, "sizes": sizes},
    )


@router.post("/learning/cohorts")
def create_cohort(
    name: str = Form("", max_length=200),
    profile: str = Form("scro", max_length=64),
    budget: str = Form("40", max_length=20),
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cohort = new_cohort(db, user, used.catalogue, name, profile, parse_budget(budget, 40.0))
    db.commit()
    return RedirectResponse(f"/learning/cohorts/{cohort.id}", status_code=303)


@router.post("/learning/cohorts/join")
def join_cohort(
    code: str = Form("", max_length=32),
    consent: str = Form("", max_length=8),
    user: User = Depends(LEARNERS),
    db: Session = Depends(get_db),
) -> Response:
    cohort = store.cohort_by_code(db, code.strip().upper())
    store.join(db, cohort, user, consented=consent in ("yes", "on", "1", "true"))
    db.commit()
    return RedirectResponse("/learning/cohorts", status_code=303)


@router.post("/learning/cohorts/{cohort_id}/consent")
def change_consent(
    cohort_id: Id,
    consent: str = Form("", max_length=8),
    user: User = Depends(LEARNERS),
    db: Session = Depends(get_db),
) -> Response:
    cohort = store.get_cohort(db, cohort_id)
    member = store.membership(db, cohort, user)
    member.consented = consent in ("yes", "on", "1", "true")
    db.commit()
    return RedirectResponse("/learning/cohorts", status_code=303)


@router.post("/learning/cohorts/{cohort_id}/leave")
def leave_cohort(
    cohort_id: Id, user: User = Depends(LEARNERS), db: Session = Depends(get_db)
) -> Response:
    store.leave(db, store.get_cohort(db, cohort_id), user)
    db.commit()
    return RedirectResponse("/learning/cohorts", status_code=303)


def _cohort_page(
    request: Request,
    db: Session,
    user: User,
    used: InUse,
    cohort: LearningCohort,
    *,
    profile: str | None = None,
    budget: str | None = None,
    errors: list[str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    cat = used.catalogue
    lang = page_language(request)
    hours = parse_budget(budget, cohort.budget_hours)
    job, needs = needs_of(db, cohort, cat, profile, hours, lang)
    imported = sum(1 for m, u in store.members(db, cohort) if u is None)
    recommended = []
    if needs.coverage is not None:
        chosen = needs.coverage.modules
        for mid in chosen:
            module = cat.module(mid)
            closes = sorted(
                {
                    o.competence
                    for o in module.outcomes
                    if o.competence in needs.coverage.by_competence
                    and o.level >= needs.targets[o.competence]
                }
            )
            needed_by = [m for m in chosen if mid in cat.module(m).prerequisites]
            recommended.append((module, closes, needed_by))
    return page(
        request,
        "cohort.html",
        used,
        {
            "cohort": cohort,
            "job": job,
            "needs": needs,
            "budget": hours,
            "imported": imported,
            "recommended": recommended,
            "errors": errors or [],
            "notice": notice,
        },
        status_code,
    )


@router.get("/learning/cohorts/{cohort_id}")
def cohort_page(
    request: Request,
    cohort_id: Id,
    profile: str | None = None,
    budget: str | None = None,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cohort = owned(db, user, cohort_id)
    return _cohort_page(request, db, user, used, cohort, profile=profile, budget=budget)


@router.post("/learning/cohorts/{cohort_id}/import")
def import_page(
    request: Request,
    cohort_id: Id,
    file: UploadFile = File(...),
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cohort = owned(db, user, cohort_id)
    # A plain def: FastAPI runs it on a worker thread, so parsing never holds the event loop.
    data = file.file.read()
    limit = request.app.state.settings.max_upload_bytes
    try:
        added = import_staff(
            db, cohort, used.catalogue, file.filename or "upload", data, max_bytes=limit
        )
    except (ContentError, FormatError) as exc:
        db.rollback()
        errors = exc.errors if isinstance(exc, ContentError) else [str(exc)]
        return _cohort_page(request, db, user, used, cohort, errors=errors, status_code=400)
    db.commit()
    notice = _("%(count)d people imported as anonymous members.") % {"count": added}
    return _cohort_page(request, db, user, used, cohort, notice=notice)


@router.get("/learning/cohorts/{cohort_id}/export.csv")
def export_csv(
    request: Request,
    cohort_id: Id,
    profile: str | None = None,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    cohort = owned(db, user, cohort_id)
    return anonymised_csv(db, cohort, used.catalogue, profile)


def anonymised_csv(
    db: Session, cohort: LearningCohort, cat: Catalogue, profile: str | None
) -> Response:
    """The cohort's anonymised results as a CSV download (groups of ≥ 5 only)."""
    job = journey.job_profile(cat, profile or cohort.profile_id)
    rows = anonymised_rows(journey.cohort_members(db, cohort, cat), job, cat)
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cohort-{cohort.id}-{job.id}.csv"'},
    )
