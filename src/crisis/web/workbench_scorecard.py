"""Scorecard pages: rounds, answering a round with evidence files, radar, progress, action plan."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from crisis.competences.text import Shown
from crisis.exceptions import ContentError, FormatError
from crisis.store import workspaces
from crisis.store.tables import User
from crisis.store.workbench_tables import WorkbenchVersion
from crisis.web import workbench_service as service
from crisis.web.params import Id
from crisis.web.security import csrf_protect, get_db
from crisis.web.workbench_common import (
    COST_LABELS,
    COST_NAMES,
    MAX_ATTACHMENT_BYTES,
    Access,
    access,
    form_data,
    form_int,
    language,
    page,
    read_upload,
    workspace_user,
)
from crisis.workbench.scorecard import (
    COSTS,
    LEVELS,
    Answer,
    EssentialScore,
    ScorecardRound,
    bundled_scorecard,
    check_round,
    compare_rounds,
    essential_scores,
    overall_percent,
    sendai_targets,
)

router = APIRouter(dependencies=[Depends(csrf_protect)])


def radar(scores: list[EssentialScore], size: int = 360) -> dict[str, Any]:
    """Coordinates of an SVG radar chart of the essentials' percentages."""
    centre, radius = size / 2, size / 2 - 40
    n = len(scores)

    def point(k: int, r: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * k / n
        return round(centre + r * math.cos(angle), 1), round(centre + r * math.sin(angle), 1)

    def polygon(values: list[float]) -> str:
        return " ".join(f"{x},{y}" for x, y in (point(k, v) for k, v in enumerate(values)))

    return {
        "size": size,
        "rings": [polygon([radius * f] * n) for f in (0.25, 0.5, 0.75, 1.0)],
        "axes": [(centre, centre, *point(k, radius)) for k in range(n)],
        "labels": [(*point(k, radius + 18), s.number) for k, s in enumerate(scores)],
        "shape": polygon([radius * s.percent / 100 for s in scores]),
    }


def competence_titles(language: str = "en") -> dict[str, str]:
    """Each competence of the bundled framework: its title in ``language`` (a :class:`Shown`,
    marked on pages where it falls back to English)."""
    from crisis.competences import load_bundled

    return {c.id: c.title.shown(language) for c in load_bundled().framework.competences}


def _competences(language: str = "en") -> list[tuple[str, str]]:
    return list(competence_titles(language).items())


# --- rounds ------------------------------------------------------------------------------


@router.get("/{name}/scorecard")
def scorecard(
    request: Request,
    name: str,
    round: str | None = None,
    compare: str | None = None,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    lang = language(request)
    ws = service.state(db, acc).workspace
    rounds = sorted(ws.rounds, key=lambda r: (r.date, r.label))
    summary = [(r, overall_percent(essential_scores(r, language=lang))) for r in rounds]
    chosen = service.find_round(ws, round) if round else ws.latest_round()
    scores = essential_scores(chosen, language=lang) if chosen else []
    progress = None
    if chosen is not None and compare:
        before = service.find_round(ws, compare)
        progress = compare_rounds(before, chosen)
    return page(
        request,
        "workbench/scorecard.html",
        acc,
        {
            "summary": summary,
            "chosen": chosen,
            "scores": scores,
            "overall": overall_percent(scores) if scores else None,
            "chart": radar(scores) if scores else None,
            "progress": progress,
            "compare": compare,
            "levels": LEVELS,
            "today": dt.date.today().isoformat(),
            "sendai": {t: title.get(lang) for t, title in sendai_targets().items()},
            "sendai_of": {e.number: e.sendai for e in bundled_scorecard("preliminary").essentials},
        },
    )


@router.post("/{name}/scorecard/rounds")
def create_round(
    request: Request,
    name: str,
    label: str = Form("", max_length=200),
    date: str = Form("", max_length=10),
    level: str = Form("preliminary", max_length=16),
    copy_from: str = Form("", max_length=200),
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    label = label.strip()
    if not label:
        raise FormatError("label: give the round a name")
    if level not in LEVELS:
        raise FormatError(f"level: must be one of {', '.join(LEVELS)}, got {level!r}")
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise FormatError(f"date: expected YYYY-MM-DD, got {date!r}") from None
    service.start_round(db, acc, label=label, date=day, level=level, copy_from=copy_from)
    return RedirectResponse(_round_url(name, label), status_code=303)


def _round_url(name: str, label: str) -> str:
    return f"/workbench/{name}/scorecard/round?label={quote(label)}"


def _round_page(
    request: Request,
    acc: Access,
    db: Session,
    scoring: ScorecardRound,
    *,
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
    conflict: WorkbenchVersion | None = None,
    status_code: int = 200,
) -> Response:
    lang = language(request)
    card = bundled_scorecard(scoring.level)
    if values is None:
        values = {}
        for question_id, answer in scoring.answers.items():
            values[f"score:{question_id}"] = str(answer.score)
            values[f"evidence:{question_id}"] = answer.evidence
    files: dict[str, list[Any]] = {}
    for row in workspaces.list_attachments(db, acc.row, scoring.label):
        files.setdefault(row.question_id, []).append(row)
    groups = [
        (card.essential(number), questions) for number, questions in card.by_essential().items()
    ]
    return page(
        request,
        "workbench/round.html",
        acc,
        {
            "scoring": scoring,
            "groups": groups,
            "values": values,
            "errors": errors or [],
            "files": files,
            "max_score": card.max_score,
            "lang": lang,
            "base": acc.row.version,
            "conflict": conflict,
            "max_mib": MAX_ATTACHMENT_BYTES // (1024 * 1024),
        },
        status_code=status_code,
    )


@router.get("/{name}/scorecard/round")
def round_page(
    request: Request,
    name: str,
    label: str,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    scoring = service.find_round(service.state(db, acc).workspace, label)
    return _round_page(request, acc, db, scoring)


@router.post("/{name}/scorecard/round")
async def save_round(
    request: Request,
    name: str,
    label: str,
    form: FormData = Depends(form_data),
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    scoring = service.find_round(service.state(db, acc).workspace, label)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    base = form_int(values.get("base", ""), "base", low=1, high=10**9)
    changed = service.changed_since(
        db, acc, base, lambda w: next((r for r in w.rounds if r.label == label), None)
    )
    if changed is not None:
        return _round_page(
            request, acc, db, scoring, values=values, conflict=changed, status_code=409
        )
    card = bundled_scorecard(scoring.level)
    errors: list[str] = []
    answers: dict[str, Answer] = {}
    uploads: list[tuple[str, str, str, bytes]] = []
    for question in card.questions.questions:
        raw = values.get(f"score:{question.id}", "").strip()
        evidence = values.get(f"evidence:{question.id}", "").strip()
        if len(evidence) > 5000:
            errors.append(f"{question.id}: the evidence note is longer than 5000 characters")
        upload = form.get(f"file:{question.id}")
        if upload is not None and not isinstance(upload, str) and upload.filename:
            try:
                filename, data = await read_upload(
                    upload, limit=MAX_ATTACHMENT_BYTES, what=f"{question.id} attachment"
                )
            except FormatError as exc:
                errors.append(str(exc))
            else:
                if filename:
                    content_type = upload.content_type or "application/octet-stream"
                    uploads.append((question.id, filename, content_type, data))
        if not raw:
            continue
        try:
            score = int(raw)
        except ValueError:
            errors.append(f"{question.id}: score {raw!r} is not a whole number")
            continue
        if not 0 <= score <= card.max_score:
            errors.append(f"{question.id}: score must be 0–{card.max_score}, got {score}")
            continue
        previous = scoring.answers.get(question.id)
        answers[question.id] = Answer(
            score=score,
            evidence=evidence,
            attachments=previous.attachments if previous else (),
        )
    updated_round = scoring.model_copy(update={"answers": answers})
    if not errors:
        try:
            check_round(updated_round, card)
        except ContentError as exc:
            errors.extend(exc.errors)
    unanswered = {q for q, *_rest in uploads if q not in answers}
    errors.extend(f"{q}: give a score before attaching evidence" for q in sorted(unanswered))
    if errors:
        return _round_page(request, acc, db, scoring, values=values, errors=errors, status_code=422)
    service.put_round(
        db,
        acc,
        updated_round,
        message=f"Round {label}: {len(answers)} answers saved",
        uploads=uploads,
    )
    return RedirectResponse(f"/workbench/{name}/scorecard?round={quote(label)}", status_code=303)


@router.get("/{name}/attachments/{attachment_id}")
def attachment(
    request: Request,
    name: str,
    attachment_id: Id,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    row = workspaces.get_attachment(db, acc.row, attachment_id)
    # Always a download, never shown inline: an uploaded HTML file must not run as our page.
    return Response(
        row.content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}"},
    )


# --- action plan -------------------------------------------------------------------------


def _plan_page(
    request: Request,
    acc: Access,
    db: Session,
    *,
    rows: list[dict[str, Any]] | None = None,
    errors: list[str] | None = None,
    conflict: WorkbenchVersion | None = None,
    status_code: int = 200,
) -> Response:
    current = service.state(db, acc)
    lang = language(request)
    plan = rows if rows is not None else (current.plan or [])
    essentials = {e.number: e.title.get(lang) for e in bundled_scorecard("preliminary").essentials}
    return page(
        request,
        "workbench/actions.html",
        acc,
        {
            "plan": plan,
            "has_plan": current.plan is not None,
            "rounds": sorted(current.workspace.rounds, key=lambda r: r.date, reverse=True),
            "hazards": [
                (h.id, Shown(h.title, current.workspace.language))
                for h in current.workspace.hazard_register.hazards
            ],
            "competences": _competences(lang),
            "essentials": essentials,
            "costs": COSTS,
            "cost_labels": COST_LABELS,
            "cost_names": COST_NAMES,
            "today": dt.date.today().isoformat(),
            "errors": errors or [],
            "conflict": conflict,
            "base": current.version,
        },
        status_code=status_code,
    )


@router.get("/{name}/actions")
def actions_page(
    request: Request, name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> Response:
    return _plan_page(request, access(db, user, name), db)


@router.post("/{name}/actions/draft")
def draft_plan(
    request: Request,
    name: str,
    round: str = Form(..., max_length=200),
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    service.draft_plan(db, acc, round)
    return RedirectResponse(f"/workbench/{name}/actions", status_code=303)


_PLAN_FIELDS = (
    "action", "owner", "due", "hazard_id", "competence", "essential", "question_id",
    "supporting_competence", "target", "indicator", "cost", "effort_months",
)  # fmt: skip


@router.post("/{name}/actions")
async def save_plan(
    request: Request, name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> Response:
    acc = access(db, user, name, "editor")
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    base = form_int(values.get("base", ""), "base", low=1, high=10**9)
    count = form_int(values.get("rows", "0"), "rows", low=0, high=500)
    rows: list[dict[str, Any]] = []
    for index in [*range(count), "new"]:
        row = {f: values.get(f"{f}-{index}", "").strip() for f in _PLAN_FIELDS}
        if values.get(f"remove-{index}") or (index == "new" and not row["action"]):
            continue
        rows.append(row)
    latest = service.plan_changed_since(db, acc, base)
    if latest is not None:
        return _plan_page(request, acc, db, rows=rows, conflict=latest, status_code=409)
    try:
        service.save_plan(db, acc, rows, {c for c, _title in _competences()})
    except ContentError as exc:
        return _plan_page(request, acc, db, rows=rows, errors=exc.errors, status_code=422)
    return RedirectResponse(f"/workbench/{name}/actions?saved=1", status_code=303)
