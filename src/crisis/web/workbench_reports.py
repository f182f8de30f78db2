"""Reports: the PDF city resilience profile, and CSV/XLSX export and import of the register
and of scorecard rounds. An import is all or nothing; its errors name row and column."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from crisis.exceptions import ContentError, CrisisError, FormatError
from crisis.settings import LANGUAGES
from crisis.store.tables import User
from crisis.store.workbench_tables import WorkbenchVersion
from crisis.web import workbench_service as service
from crisis.web.security import csrf_protect, get_db
from crisis.web.workbench_common import (
    Access,
    access,
    form_data,
    form_int,
    language,
    page,
    read_upload,
    workspace_user,
)
from crisis.web.workbench_scorecard import competence_titles
from crisis.workbench.report import profile_pdf
from crisis.workbench.scorecard import LEVELS
from crisis.workbench.spreadsheets import (
    export_register,
    export_round,
    import_register,
    import_round,
)

router = APIRouter(dependencies=[Depends(csrf_protect)])

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _download(data: bytes, filename: str, media_type: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise FormatError(f"format must be csv or xlsx, got {fmt!r}")
    return fmt


def _reports_page(
    request: Request,
    acc: Access,
    db: Session,
    *,
    errors: dict[str, list[str]] | None = None,
    form: dict[str, str] | None = None,
    conflict: WorkbenchVersion | None = None,
    status_code: int = 200,
) -> Response:
    state = service.state(db, acc)
    return page(
        request,
        "workbench/reports.html",
        acc,
        {
            "rounds": sorted(state.workspace.rounds, key=lambda r: r.date, reverse=True),
            "hazards": len(state.workspace.hazard_register.hazards),
            "pdf_languages": LANGUAGES,
            "levels": LEVELS,
            "errors": errors or {},
            "form": form or {},
            "conflict": conflict,
            "base": state.version,
            "today": dt.date.today().isoformat(),
            "imported": request.query_params.get("imported"),
        },
        status_code=status_code,
    )


@router.get("/{name}/reports")
def reports(
    request: Request, name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> Response:
    return _reports_page(request, access(db, user, name), db)


@router.get("/{name}/reports/profile.pdf")
def profile(
    request: Request,
    name: str,
    lang: str | None = None,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    chosen = lang or language(request)
    if chosen not in LANGUAGES:
        raise FormatError(f"lang: must be one of {', '.join(LANGUAGES)}, got {chosen!r}")
    current = service.state(db, acc)
    data = profile_pdf(
        current.workspace,
        language=chosen,
        actions=service.plan_of(current),
        competence_titles=competence_titles(chosen),
    )
    return _download(data, f"{acc.name}-resilience-profile.pdf", "application/pdf")


@router.get("/{name}/reports/register.{fmt}")
def register_export(
    request: Request,
    name: str,
    fmt: str,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    register = service.state(db, acc).workspace.hazard_register
    data = export_register(register, fmt=_format(fmt))
    return _download(data, f"{acc.name}-register.{fmt}", FORMATS[fmt])


@router.get("/{name}/reports/scorecard.{fmt}")
def scorecard_export(
    request: Request,
    name: str,
    fmt: str,
    round: str,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    scoring = service.find_round(service.state(db, acc).workspace, round)
    data = export_round(scoring, fmt=_format(fmt))
    slug = "".join(c if c.isalnum() else "-" for c in scoring.label.lower())
    return _download(data, f"{acc.name}-scorecard-{slug}.{fmt}", FORMATS[fmt])


def _errors_of(exc: CrisisError) -> list[str]:
    return list(exc.errors) if isinstance(exc, ContentError) else [str(exc)]


async def _upload(
    request: Request, form: FormData, field: str
) -> tuple[dict[str, str], str, bytes, str]:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    upload: Any = form.get(field)
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise FormatError(f"{field}: choose a CSV or XLSX file")
    limit = request.app.state.settings.max_upload_bytes
    filename, data = await read_upload(upload, limit=limit, what=field)
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in FORMATS:
        raise FormatError(f"{field}: {filename!r} is neither .csv nor .xlsx")
    return values, filename, data, suffix


@router.post("/{name}/reports/import/register")
async def import_register_page(
    request: Request,
    name: str,
    form: FormData = Depends(form_data),
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    try:
        values, filename, data, fmt = await _upload(request, form, "register_file")
        base = form_int(values.get("base", ""), "base", low=1, high=10**9)
        changed = service.changed_since(db, acc, base, lambda w: w.hazard_register)
        if changed is not None:
            return _reports_page(request, acc, db, conflict=changed, status_code=409)
        city = service.state(db, acc).workspace.hazard_register.city
        imported = import_register(data, city=city, fmt=fmt)
    except CrisisError as exc:
        return _reports_page(
            request, acc, db, errors={"register": _errors_of(exc)}, status_code=exc.status_code
        )
    register = service.import_register(db, acc, imported, filename)
    return RedirectResponse(
        f"/workbench/{name}/hazards?imported={len(register.hazards)}", status_code=303
    )


@router.post("/{name}/reports/import/scorecard")
async def import_scorecard_page(
    request: Request,
    name: str,
    form: FormData = Depends(form_data),
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    values: dict[str, str] = {}
    try:
        values, filename, data, fmt = await _upload(request, form, "scorecard_file")
        label = values.get("label", "").strip()
        if not label or len(label) > 200:
            raise FormatError("label: give the round a name of at most 200 characters")
        level = values.get("level", "preliminary")
        try:
            day = dt.date.fromisoformat(values.get("date", ""))
        except ValueError:
            raise FormatError(f"date: expected YYYY-MM-DD, got {values.get('date')!r}") from None
        scoring = import_round(data, label=label, date=day, level=level, fmt=fmt)
    except CrisisError as exc:
        return _reports_page(
            request,
            acc,
            db,
            errors={"scorecard": _errors_of(exc)},
            form=values,
            status_code=exc.status_code,
        )
    service.put_round(
        db,
        acc,
        scoring,
        message=f"Round {label} imported from {filename} ({len(scoring.answers)} answers)",
    )
    return RedirectResponse(f"/workbench/{name}/scorecard?round={quote(label)}", status_code=303)
