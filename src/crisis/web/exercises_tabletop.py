"""Tabletop pages: an instructor runs a session, teams decide under a timer, all see it live."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, CrisisError, PermissionDeniedError
from crisis.exercises import Exercise
from crisis.exercises import tabletop as domain
from crisis.store import exercises as store
from crisis.store.exercise_tables import ExerciseTabletop
from crisis.store.tables import Job, User
from crisis.web import jobs
from crisis.web.exercises_common import all_exercises, find_exercise
from crisis.web.i18n import gettext as _
from crisis.web.params import Count, Id
from crisis.web.rendering import page_language, render
from crisis.web.security import csrf_protect, get_db, require_roles

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(
    prefix="/api/v1/exercises", dependencies=[Depends(csrf_protect)], tags=["exercises"]
)
players = require_roles("learner", "instructor")
instructors = require_roles("instructor")
RESOLVE_KIND = "exercises.tabletop"
RESOLVE_SCENARIOS = 50


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _owned(row: ExerciseTabletop, user: User) -> None:
    if user.role != "admin" and row.owner_id != user.id:
        raise PermissionDeniedError(_("Only the instructor who started this session can run it."))


def _view(db: Session, row: ExerciseTabletop, exercise: Exercise, lang: str) -> dict[str, Any]:
    """Everything a page or the JSON API shows about a session."""
    state = row.state
    now = _now()
    decided = store.decisions(db, row.id)
    choices = domain.effective(state, exercise, decided, now)
    injects = []
    for inject in exercise.injects:
        closes = domain.deadline(state, inject.id)
        injects.append(
            {
                "id": inject.id,
                "hour": inject.hour,
                "text": inject.text.shown(lang),
                "released": closes is not None,
                "deadline": closes.isoformat() if closes else None,
                "open": closes is not None and now <= closes,
                "options": [{"id": o.id, "label": o.label.shown(lang)} for o in inject.options],
            }
        )
    job = row.resolve_job_id
    outcome: dict[str, Any] | None = None
    status = None
    error = None
    if job is not None:
        found = db.get(Job, job)
        status = found.status if found else None
        error = found.error if found is not None and found.status == "failed" else None
        outcome = found.result if found is not None and found.status == "done" else None
    view = {
        "id": row.id,
        "exercise": exercise.id,
        "cohort": row.cohort,
        "teams": state["teams"],
        "members": store.members(db, row.id),
        "decided": decided,
        "choices": choices,
        "injects": injects,
        "resolve_status": status,
        "resolve_error": error,
        "outcome": outcome,
        "closed": row.closed,
    }
    raw = json.dumps(
        {k: view[k] for k in ("decided", "members", "resolve_status", "closed")}
        | {"released": state["released"], "now_open": [i["open"] for i in injects]},
        sort_keys=True,
    )
    view["signature"] = hashlib.sha256(raw.encode()).hexdigest()[:16]
    return view


@router.get("/exercises/tabletop")
def sessions(
    request: Request, user: User = Depends(players), db: Session = Depends(get_db)
) -> Response:
    lang = page_language(request)
    return render(
        request,
        "exercises/tabletop_list.html",
        {
            "sessions": store.tabletops(db, open_only=user.role == "learner"),
            "exercises": [e for e, _a in all_exercises(db) if e.injects],
            "lang": lang,
        },
    )


@router.post("/exercises/tabletop")
def start(
    request: Request,
    exercise: str = Form(..., max_length=64),
    cohort: str = Form("", max_length=200),
    teams: str = Form("", max_length=1000),
    decision_seconds: Annotated[Count, Form()] = 120,
    user: User = Depends(instructors),
    db: Session = Depends(get_db),
) -> Response:
    found = find_exercise(db, exercise)
    names = [t for t in teams.replace("\n", ",").split(",")]
    state = domain.new_session(found, names, decision_seconds)
    row = store.create_tabletop(db, found.id, cohort.strip() or _("Cohort"), user, state)
    db.commit()
    return RedirectResponse(f"/exercises/tabletop/{row.id}", status_code=303)


@router.get("/exercises/tabletop/{session_id}")
def session_page(
    request: Request,
    session_id: Id,
    user: User = Depends(players),
    db: Session = Depends(get_db),
) -> Response:
    row = store.get_tabletop(db, session_id)
    exercise = find_exercise(db, row.exercise)
    lang = page_language(request)
    view = _view(db, row, exercise, lang)
    leading = row.owner_id == user.id
    return render(
        request,
        "exercises/tabletop.html",
        {
            "row": row,
            "exercise": exercise,
            "view": view,
            "leading": leading,
            "team": store.team_of(db, row.id, user),
            "lang": lang,
        },
    )


@router.post("/exercises/tabletop/{session_id}/release")
def release(
    session_id: Id,
    inject: str = Form(..., max_length=64),
    user: User = Depends(instructors),
    db: Session = Depends(get_db),
) -> Response:
    row = store.get_tabletop(db, session_id)
    _owned(row, user)
    exercise = find_exercise(db, row.exercise)
    state = dict(row.state)
    state["released"] = dict(state["released"])
    domain.release(state, exercise, inject, _now())
    store.save_tabletop_state(db, row, state)
    db.commit()
    return RedirectResponse(f"/exercises/tabletop/{row.id}", status_code=303)


@router.post("/exercises/tabletop/{session_id}/join")
def join(
    session_id: Id,
    team: str = Form(..., max_length=64),
    user: User = Depends(players),
    db: Session = Depends(get_db),
) -> Response:
    row = store.get_tabletop(db, session_id)
    if row.closed:
        raise ConflictError(_("This session is closed."))
    if team not in row.state["teams"]:
        raise CrisisError(f"field 'team': there is no team '{team[:64]}' in this session")
    store.join_team(db, row.id, user, team)
    db.commit()
    return RedirectResponse(f"/exercises/tabletop/{row.id}", status_code=303)


@router.post("/exercises/tabletop/{session_id}/decide")
def decide(
    session_id: Id,
    inject: str = Form(..., max_length=64),
    option: str = Form(..., max_length=64),
    user: User = Depends(players),
    db: Session = Depends(get_db),
) -> Response:
    row = store.get_tabletop(db, session_id)
    if row.closed:
        raise ConflictError(_("This session is closed."))
    team = store.team_of(db, row.id, user)
    if team is None:
        raise ConflictError(_("Join a team first."))
    exercise = find_exercise(db, row.exercise)
    now = _now()
    domain.check_decision(
        row.state, exercise, store.decisions(db, row.id), team, inject, option, now
    )
    store.decide(db, row.id, team, inject, option, user, now)
    db.commit()
    return RedirectResponse(f"/exercises/tabletop/{row.id}", status_code=303)


@router.post("/exercises/tabletop/{session_id}/resolve")
def resolve(
    request: Request,
    session_id: Id,
    user: User = Depends(instructors),
    db: Session = Depends(get_db),
) -> Response:
    """Run every team's decisions through the simulator (a background job)."""
    row = store.get_tabletop(db, session_id)
    _owned(row, user)
    exercise = find_exercise(db, row.exercise)
    choices = domain.effective(row.state, exercise, store.decisions(db, row.id), _now())
    job = jobs.submit(
        request,
        db,
        RESOLVE_KIND,
        {
            "exercise": exercise.model_dump(mode="json"),
            "choices": choices,
            "scenarios": RESOLVE_SCENARIOS,
        },
        user,
        key=f"tabletop-{row.id}",
    )
    row.resolve_job_id = job.id
    db.commit()
    return RedirectResponse(f"/exercises/tabletop/{row.id}", status_code=303)


#: Longest hot-wash note, and most notes in a session.
NOTE_MAX = 1000
MAX_NOTES = 60


@router.post("/exercises/tabletop/{session_id}/notes")
def add_note(
    session_id: Id,
    text: str = Form(..., max_length=NOTE_MAX),
    user: User = Depends(instructors),
    db: Session = Depends(get_db),
) -> Response:
    """A hot-wash note, taken live by the instructor (strengths, areas for improvement)."""
    row = store.get_tabletop(db, session_id)
    _owned(row, user)
    text = text.strip()
    if not text:
        raise CrisisError(_("The note is empty."))
    state = dict(row.state)
    notes = list(state.get("notes", []))
    if len(notes) >= MAX_NOTES:
        raise ConflictError(_("This session already has the most notes it can keep."))
    notes.append({"at": _now().isoformat(timespec="seconds"), "text": text})
    state["notes"] = notes
    store.save_tabletop_state(db, row, state)
    db.commit()
    return RedirectResponse(f"/exercises/tabletop/{row.id}#hotwash-h", status_code=303)


@router.post("/exercises/tabletop/{session_id}/improvements")
def add_improvement(
    session_id: Id,
    action: str = Form("", max_length=domain.ITEM_TEXT_MAX + 100),
    owner: str = Form("", max_length=domain.ITEM_TEXT_MAX + 100),
    due: str = Form("", max_length=40),
    objective: str = Form("", max_length=40),
    user: User = Depends(instructors),
    db: Session = Depends(get_db),
) -> Response:
    """An item of the session's improvement plan: action, owner, due date."""
    row = store.get_tabletop(db, session_id)
    _owned(row, user)
    exercise = find_exercise(db, row.exercise)
    item = domain.improvement_item(
        {"action": action, "owner": owner, "due": due, "objective": objective}, _now().date()
    )
    if "objective" in item and item["objective"] not in exercise.competences():
        raise CrisisError(
            _("field 'objective': not one of this exercise's competences")
            + f" ({', '.join(exercise.competences())})"
        )
    state = dict(row.state)
    items = list(state.get("improvements", []))
    if len(items) >= domain.MAX_ITEMS:
        raise ConflictError(_("The improvement plan already has the most items it can keep."))
    items.append(item)
    state["improvements"] = items
    store.save_tabletop_state(db, row, state)
    db.commit()
    return RedirectResponse(f"/exercises/tabletop/{row.id}#improve-h", status_code=303)


@router.get("/exercises/tabletop/{session_id}/report")
def report(
    request: Request,
    session_id: Id,
    user: User = Depends(players),
    db: Session = Depends(get_db),
) -> Response:
    """The session's after-action report with its improvement plan (printable; print to PDF)."""
    row = store.get_tabletop(db, session_id)
    exercise = find_exercise(db, row.exercise)
    lang = page_language(request)
    return render(
        request,
        "exercises/tabletop_report.html",
        {
            "row": row,
            "exercise": exercise,
            "view": _view(db, row, exercise, lang),
            "ranking": domain.RANKING_RULE,
            "lang": lang,
        },
    )


@router.post("/exercises/tabletop/{session_id}/close")
def close(
    session_id: Id, user: User = Depends(instructors), db: Session = Depends(get_db)
) -> Response:
    row = store.get_tabletop(db, session_id)
    _owned(row, user)
    row.closed = True
    db.commit()
    return RedirectResponse("/exercises/tabletop", status_code=303)


@api.get("/tabletop/{session_id}", summary="Live state of a tabletop session")
def session_state(
    request: Request,
    session_id: Id,
    user: User = Depends(players),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    row = store.get_tabletop(db, session_id)
    exercise = find_exercise(db, row.exercise)
    return _view(db, row, exercise, page_language(request))
