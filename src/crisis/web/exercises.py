"""Exercise pages: the list, a briefing, the play page, runs with their debrief and report."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from crisis.competences import load_bundled as load_framework
from crisis.exceptions import ConflictError, CrisisError
from crisis.exercises import Exercise, PlanError, dump_exercise, validate_plan
from crisis.exercises.evidence import level_of
from crisis.learners.profile import build_profile
from crisis.store import exercises as store
from crisis.store.exercise_tables import ExerciseRun
from crisis.store.tables import Job, User
from crisis.web import jobs
from crisis.web.exercises_common import (
    SCENARIO_CHOICES,
    all_exercises,
    asset_kinds,
    cache_dir_of,
    catalogue,
    city_map,
    city_of,
    find_exercise,
    money_in,
)
from crisis.web.i18n import gettext as _
from crisis.web.params import Count, Id
from crisis.web.rendering import page_language, render
from crisis.web.security import csrf_protect, get_db, require_roles

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
players = require_roles("learner", "instructor")
SLUG = Path(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$", max_length=60)
RUN_KIND = "exercises.run"


def _competence_titles(lang: str) -> dict[str, str]:
    return {c.id: c.title.get(lang) for c in load_framework().framework.competences}


@router.get("/exercises")
def exercise_list(
    request: Request, user: User = Depends(players), db: Session = Depends(get_db)
) -> Response:
    lang = page_language(request)
    return render(
        request,
        "exercises/list.html",
        {
            "exercises": all_exercises(db),
            "runs": store.runs_of(db, user)[:10],
            "lang": lang,
            "money": money_in(lang),
        },
    )


@router.get("/exercises/evidence")
def my_evidence(
    request: Request, user: User = Depends(players), db: Session = Depends(get_db)
) -> Response:
    """The learner's exercise evidence and the competence profile it feeds."""
    lang = page_language(request)
    rows = store.evidence_rows(db, user.id)
    records = store.evidence_for(db, user)
    profile = build_profile(load_framework(), evidence=records)
    touched = sorted({r.competence for r in records})
    names = {e.id: e.title.shown(lang) for e, _authored in all_exercises(db)}
    return render(
        request,
        "exercises/evidence.html",
        {
            "rows": rows,
            "exercise_names": names,
            "levels": [profile.level(c) for c in touched],
            "titles": _competence_titles(lang),
            "level_of": level_of,
        },
    )


@router.get("/exercises/runs/{run_id}")
def run_page(
    request: Request, run_id: Id, user: User = Depends(players), db: Session = Depends(get_db)
) -> Response:
    run, exercise, job = _run(db, run_id, user)
    context = _run_context(request, run, exercise, job)
    return render(request, "exercises/run.html", context)


@router.get("/exercises/runs/{run_id}/report")
def run_report(
    request: Request, run_id: Id, user: User = Depends(players), db: Session = Depends(get_db)
) -> Response:
    run, exercise, job = _run(db, run_id, user)
    if run.status != "done":
        raise ConflictError(_("The after-action report is ready when the run has finished."))
    context = _run_context(request, run, exercise, job)
    context["q_svg"] = _q_svg(context["debrief"])
    context["assets"] = asset_kinds(exercise, context["debrief"])
    return render(request, "exercises/report.html", context)


def _run(db: Session, run_id: int, user: User) -> tuple[ExerciseRun, Exercise, Job | None]:
    run = store.get_run(db, run_id, user)
    exercise = find_exercise(db, run.exercise)
    job = db.get(Job, run.job_id) if run.job_id is not None else None
    if job is not None and run.status == "running" and job.status in ("done", "failed"):
        store.finish_run(db, run, job, exercise.competences())
        try:
            db.commit()
        except OperationalError:
            # A page view (a read-only session) found the database busy: the next view
            # records the finished run; this one shows it from the job.
            db.rollback()
            run, job = store.get_run(db, run_id, user), db.get(Job, job.id)
    return run, exercise, job


def _run_context(
    request: Request, run: ExerciseRun, exercise: Exercise, job: Job | None
) -> dict[str, Any]:
    lang = page_language(request)
    debrief = job.result if job is not None and run.status == "done" else None
    titles = {m.id: m.title.shown(lang) for m in exercise.measures}
    context: dict[str, Any] = {
        "run": run,
        "job": job,
        "exercise": exercise,
        "lang": lang,
        "debrief": debrief,
        "titles": titles,
        "money": money_in(lang),
        "competences": _competence_titles(lang),
    }
    if debrief is not None:
        context["map"] = city_map(exercise, cache_dir_of(request))
        curves = debrief["curves"]
        hours = range(0, len(curves["plan"]), 12)
        context["q_rows"] = [
            (h, curves["plan"][h], curves["nothing"][h], curves["optimiser"][h]) for h in hours
        ]
        context["events"] = [
            (h, f, r, fo, ro)
            for h, (f, r, fo, ro) in enumerate(
                zip(
                    debrief["timeline"]["plan"]["failures"],
                    debrief["timeline"]["plan"]["repairs"],
                    debrief["timeline"]["nothing"]["failures"],
                    debrief["timeline"]["nothing"]["repairs"],
                    strict=True,
                )
            )
            if f or r or fo or ro
        ]
    return context


def _q_svg(debrief: dict[str, Any], width: int = 640, height: int = 220) -> dict[str, Any]:
    """Polylines of the Q(t) curves for the printable report (no script needed), with the
    hour ticks of the time axis."""
    curves = debrief["curves"]
    low = min(min(v) for v in curves.values())
    low = min(low, 0.9)
    out: dict[str, Any] = {}
    n = 1
    for name, values in curves.items():
        n = max(len(values) - 1, 1)
        span = (1 - low) or 1.0
        points = " ".join(
            f"{40 + (width - 50) * i / n:.1f},{10 + (height - 40) * (1 - (v - low) / span):.1f}"
            for i, v in enumerate(values)
        )
        out[name] = points
    out["low"] = f"{low:.2f}"
    step = 24 if n <= 240 else 48
    out["ticks"] = [(round(40 + (width - 50) * h / n, 1), h) for h in range(0, n + 1, step)]
    return out


@router.get("/exercises/{slug}")
def briefing(
    request: Request,
    slug: str = SLUG,
    user: User = Depends(players),
    db: Session = Depends(get_db),
) -> Response:
    exercise = find_exercise(db, slug)
    lang = page_language(request)
    on = store.leaderboard_on(db, exercise.id)
    return render(
        request,
        "exercises/briefing.html",
        {
            "exercise": exercise,
            "lang": lang,
            "catalogue": catalogue(exercise, lang, cache_dir_of(request)),
            "competences": _competence_titles(lang),
            "leaderboard_on": on,
            "leaderboard": store.leaderboard(db, exercise.id) if on else [],
            "money": money_in(lang),
        },
    )


@router.get("/exercises/{slug}/play")
def play(
    request: Request,
    slug: str = SLUG,
    user: User = Depends(players),
    db: Session = Depends(get_db),
) -> Response:
    exercise = find_exercise(db, slug)
    return _play(request, exercise, [], exercise.scenarios)


def _play(
    request: Request,
    exercise: Exercise,
    plan: list[Any],
    scenarios: int,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = page_language(request)
    data = {
        "budget": exercise.budget,
        "measures": catalogue(exercise, lang, cache_dir_of(request)),
        "plan": plan,
    }
    choices = sorted({*SCENARIO_CHOICES, exercise.scenarios})
    return render(
        request,
        "exercises/play.html",
        {
            "exercise": exercise,
            "lang": lang,
            "map": city_map(exercise, cache_dir_of(request)),
            "data": data,
            "error": error,
            "plan_json": json.dumps(plan),
            "scenarios": scenarios,
            "choices": [c for c in choices if c <= 500],
            "money": money_in(lang),
        },
        status_code=status_code,
    )


@router.post("/exercises/{slug}/runs")
def submit_plan(
    request: Request,
    slug: str = SLUG,
    plan: str = Form("[]", max_length=20_000),
    scenarios: Annotated[Count, Form()] = 200,
    user: User = Depends(players),
    db: Session = Depends(get_db),
) -> Response:
    """Check the plan, then run it in the background; nothing is charged for a refused plan."""
    exercise = find_exercise(db, slug)
    try:
        placements = json.loads(plan)
    except ValueError:
        placements = None
    try:
        if placements is None:
            raise PlanError(_("The plan could not be read; place your measures again."))
        if scenarios not in SCENARIO_CHOICES and scenarios != exercise.scenarios:
            raise PlanError(
                _("Number of scenarios: choose one of the values offered.") + f" ({scenarios})"
            )
        checked = validate_plan(exercise, city_of(exercise, cache_dir_of(request)), placements)
        job = jobs.submit(
            request,
            db,
            RUN_KIND,
            {
                "exercise": exercise.model_dump(mode="json"),
                "plan": checked.as_list(),
                "scenarios": scenarios,
            },
            user,
            key="exercise-run",
        )
    except ConflictError as exc:
        db.rollback()
        message = _("You already have a run in progress; wait for its debrief.") + f" ({exc})"
        return _play(request, exercise, _safe(placements), scenarios, message, 409)
    except CrisisError as exc:
        db.rollback()
        return _play(request, exercise, _safe(placements), scenarios, str(exc), 422)
    run = store.create_run(db, user, exercise.id, checked.as_list(), checked.cost, scenarios)
    run.job_id = job.id
    db.commit()
    return RedirectResponse(f"/exercises/runs/{run.id}", status_code=303)


def _safe(placements: Any) -> list[Any]:
    """Placements to show again after a refusal (only well-formed ones)."""
    if not isinstance(placements, list):
        return []
    return [
        {k: str(v)[:80] for k, v in p.items() if k in ("measure", "asset")}
        for p in placements[:40]
        if isinstance(p, dict)
    ]


@router.post("/exercises/{slug}/leaderboard")
def toggle_leaderboard(
    slug: str = SLUG,
    show: str = Form(""),
    user: User = Depends(require_roles("instructor")),
    db: Session = Depends(get_db),
) -> Response:
    exercise = find_exercise(db, slug)
    store.set_leaderboard(db, exercise.id, show == "on", user)
    db.commit()
    return RedirectResponse(f"/exercises/{exercise.id}", status_code=303)


@router.get("/exercises/{slug}/export")
def export(
    slug: str = SLUG, user: User = Depends(players), db: Session = Depends(get_db)
) -> Response:
    exercise = find_exercise(db, slug)
    return Response(
        dump_exercise(exercise),
        media_type="application/x-yaml",
        headers={"Content-Disposition": f'attachment; filename="{exercise.id}.yaml"'},
    )
