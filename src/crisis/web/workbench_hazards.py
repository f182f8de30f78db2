"""Hazard register pages: the list, the hazard form with its conflict check, and impact estimates.

The form carries the hazard's version; :func:`crisis.workbench.register.save_hazard` refuses a
save from a stale version, and the page then shows the other person's values next to yours.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, ContentError, FormatError, NotFoundError
from crisis.store import workspaces
from crisis.store.tables import Job, User
from crisis.web import jobs
from crisis.web import workbench_service as service
from crisis.web.i18n import N_
from crisis.web.params import Count, Id
from crisis.web.security import csrf_protect, get_db
from crisis.web.workbench_common import (
    SCENARIO_LABELS,
    Access,
    access,
    criterion_labels,
    form_int,
    language,
    level_labels,
    page,
    workspace_user,
)
from crisis.workbench.anchors import DIMENSIONS, bundled_anchors
from crisis.workbench.impact import MAX_SCENARIOS, estimates_from_result, simulator_hazard
from crisis.workbench.register import SCENARIOS, Hazard, parse_hazard
from crisis.workbench.risk import assess
from crisis.workbench.taxonomy import CATEGORIES, bundled_taxonomy

router = APIRouter(dependencies=[Depends(csrf_protect)])

JOB_KIND = "workbench.estimate_impact"
PREFIX = {"most_probable": "mp", "most_severe": "ms"}
CATEGORY_LABELS = {
    "natural": N_("natural"),
    "technological": N_("technological"),
    "biological": N_("biological"),
    "social": N_("social"),
    "economic": N_("economic"),
    "cyber": N_("cyber"),
}
KIND_LABELS = {"shock": N_("shock"), "stress": N_("chronic stress")}
CONFIDENCE_LABELS = {"low": N_("low"), "medium": N_("medium"), "high": N_("high")}
_TEXT_FIELDS = ("id", "taxonomy_id", "title", "category", "kind", "confidence", "owner")
_LIST_FIELDS = ("sources", "exposed_assets", "exposed_districts", "combines")
_FORM_FIELDS = (
    *_TEXT_FIELDS,
    *_LIST_FIELDS,
    "version",
    *(
        f"{p}_{f}"
        for p in PREFIX.values()
        for f in ("description", "likelihood_kind", "likelihood", *DIMENSIONS)
    ),
)


# --- between forms and hazards -----------------------------------------------------------


def form_values(hazard: Hazard) -> dict[str, str]:
    """A hazard as the flat text values of the form."""
    values = {name: str(getattr(hazard, name) or "") for name in _TEXT_FIELDS}
    values["sources"] = "\n".join(hazard.sources)
    values["exposed_assets"] = "; ".join(hazard.exposed_assets)
    values["exposed_districts"] = "; ".join(hazard.exposed_districts)
    values["combines"] = "; ".join(hazard.combines)
    values["version"] = str(hazard.version)
    for scenario, p in PREFIX.items():
        chosen = hazard.scenario(scenario)
        values[f"{p}_description"] = chosen.description
        likelihood = chosen.likelihood
        if likelihood.annual_probability is not None:
            values[f"{p}_likelihood_kind"] = "probability"
            values[f"{p}_likelihood"] = f"{likelihood.annual_probability:g}"
        else:
            values[f"{p}_likelihood_kind"] = "period"
            values[f"{p}_likelihood"] = f"{likelihood.return_period_years:g}"
        for dimension in DIMENSIONS:
            values[f"{p}_{dimension}"] = str(getattr(chosen.impacts, dimension))
    return values


def _split(text: str, lines: bool = False) -> list[str]:
    parts = text.splitlines() if lines else re.split(r"[;,\n]", text)
    return [p.strip() for p in parts if p.strip()]


def parse_form(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Plain hazard data from the form, and the errors found before validation."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = values.get(name, "").strip()
        if value:
            data[name] = value
    taxonomy_id = data.get("taxonomy_id")
    if taxonomy_id is not None:
        entries = {e.id: e for e in bundled_taxonomy().entries}
        if taxonomy_id not in entries:
            errors.setdefault("taxonomy_id", []).append(f"unknown taxonomy entry {taxonomy_id!r}")
        else:  # category and kind follow the taxonomy entry
            data["category"] = entries[taxonomy_id].category
            data["kind"] = entries[taxonomy_id].kind
    data["sources"] = _split(values.get("sources", ""), lines=True)
    data["exposed_assets"] = _split(values.get("exposed_assets", ""))
    data["exposed_districts"] = _split(values.get("exposed_districts", ""))
    data["combines"] = _split(values.get("combines", ""))
    for scenario, p in PREFIX.items():
        raw = values.get(f"{p}_likelihood", "").strip()
        kind = values.get(f"{p}_likelihood_kind", "period")
        likelihood: dict[str, float] = {}
        if not raw:
            errors.setdefault(f"{p}_likelihood", []).append("enter a likelihood")
        else:
            try:
                number = float(raw.replace(",", "."))
                key = "annual_probability" if kind == "probability" else "return_period_years"
                likelihood[key] = number
            except ValueError:
                errors.setdefault(f"{p}_likelihood", []).append(f"{raw!r} is not a number")
        impacts: dict[str, Any] = {}
        for dimension in DIMENSIONS:
            value = values.get(f"{p}_{dimension}", "").strip()
            if not value:
                errors.setdefault(f"{p}_{dimension}", []).append("choose a class 1–5")
            impacts[dimension] = value or None
        data[scenario] = {
            "description": values.get(f"{p}_description", "").strip(),
            "likelihood": likelihood,
            "impacts": impacts,
        }
    return data, errors


def field_of(path: str) -> str:
    """The form field a domain error path points at."""
    parts = path.split(".")
    if parts[0] in PREFIX:
        p = PREFIX[parts[0]]
        if len(parts) >= 3 and parts[1] == "impacts":
            return f"{p}_{parts[2]}"
        if len(parts) >= 2 and parts[1] != "likelihood":
            return f"{p}_{parts[1]}"
        return f"{p}_likelihood"
    return re.sub(r"\[\d+\]$", "", parts[0])


def _field_errors(exc: ContentError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        path, _sep, message = error.partition(": ")
        errors.setdefault(field_of(path), []).append(message or error)
    return errors


# --- pages -------------------------------------------------------------------------------


def _taxonomy_groups(lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    groups = bundled_taxonomy().by_category()
    return [
        (category, [(e.id, e.title.shown(lang)) for e in groups[category]])
        for category in CATEGORIES
    ]


def _form_page(
    request: Request,
    db: Session,
    acc: Access,
    values: dict[str, str],
    *,
    hazard: Hazard | None,
    errors: dict[str, list[str]] | None = None,
    conflict: dict[str, Any] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    lang = language(request)
    anchors = bundled_anchors()
    simulable = [s for s in SCENARIOS if simulator_hazard(hazard, s) is not None] if hazard else []
    own = values.get("id", "")
    partners = [
        (h.id, h.title)
        for h in service.state(db, acc).workspace.hazard_register.hazards
        if h.id != own and not h.combines
    ]
    return page(
        request,
        "workbench/hazard_form.html",
        acc,
        {
            "values": values,
            "hazard": hazard,
            "errors": errors or {},
            "conflict": conflict,
            "saved": saved,
            "taxonomy_groups": _taxonomy_groups(lang),
            "category_labels": CATEGORY_LABELS,
            "kind_labels": KIND_LABELS,
            "confidence_labels": CONFIDENCE_LABELS,
            "scenario_labels": SCENARIO_LABELS,
            "prefix": PREFIX,
            "dimensions": DIMENSIONS,
            "dimension_labels": criterion_labels(lang),
            "level_labels": level_labels(lang),
            "anchors": {d: anchors.dimensions[d].anchors for d in DIMENSIONS},  # type: ignore[index]
            "simulable": simulable,
            "partners": partners,
            "max_scenarios": MAX_SCENARIOS,
        },
        status_code=status_code,
    )


@router.get("/{name}/hazards")
def register_page(
    request: Request, name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> Response:
    acc = access(db, user, name)
    state = service.state(db, acc)
    weights = state.workspace.criteria_weights()
    lang = language(request)
    rows = [
        {
            "hazard": h,
            "mp": assess(h, "most_probable", dimension_weights=weights),
            "ms": assess(h, "most_severe", dimension_weights=weights),
            "simulable": simulator_hazard(h, "most_severe") is not None,
        }
        for h in state.workspace.hazard_register.hazards
    ]
    return page(
        request,
        "workbench/register.html",
        acc,
        {
            "rows": rows,
            "taxonomy_groups": _taxonomy_groups(lang),
            "category_labels": CATEGORY_LABELS,
            "kind_labels": KIND_LABELS,
            "confidence_labels": CONFIDENCE_LABELS,
        },
    )


@router.get("/{name}/hazards/new")
def new_hazard(
    request: Request,
    name: str,
    taxonomy_id: str = "",
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    lang = language(request)
    taken = set(service.state(db, acc).workspace.hazard_register.ids())
    values = {f: "" for f in _FORM_FIELDS}
    values.update({"confidence": "medium", "mp_likelihood_kind": "period"})
    values["ms_likelihood_kind"] = "period"
    if taxonomy_id:
        entry = bundled_taxonomy().get(taxonomy_id)
        hazard_id, k = entry.id, 2
        while hazard_id in taken:
            hazard_id, k = f"{entry.id}-{k}", k + 1
        values.update(
            {
                "id": hazard_id,
                "taxonomy_id": entry.id,
                "title": entry.title.get(lang),
                "category": entry.category,
                "kind": entry.kind,
            }
        )
    return _form_page(request, db, acc, values, hazard=None)


def _save(
    request: Request,
    acc: Access,
    db: Session,
    values: dict[str, str],
    *,
    current: Hazard | None,
    expected: int | None,
) -> Response:
    data, errors = parse_form(values)
    if current is not None:
        data["id"] = current.id
    hazard: Hazard | None = None
    if not errors:
        try:
            hazard = parse_hazard(data)
        except ContentError as exc:
            errors = _field_errors(exc)
    if hazard is None:
        return _form_page(request, db, acc, values, hazard=current, errors=errors, status_code=422)
    try:
        service.save_hazard(db, acc, hazard, expected=expected)
    except ContentError as exc:
        return _form_page(
            request, db, acc, values, hazard=current, errors=_field_errors(exc), status_code=422
        )
    except ConflictError as exc:
        register = service.state(db, acc).workspace.hazard_register
        theirs = next((h for h in register.hazards if h.id == hazard.id), None)
        their_values = form_values(theirs) if theirs is not None else {}
        changed_by = workspaces.last_change_of_hazard(db, acc.row, hazard.id) if theirs else None
        differences = [
            (f, values.get(f, ""), their_values.get(f, ""))
            for f in _FORM_FIELDS
            if f != "version"
            and their_values
            and values.get(f, "").strip() != their_values.get(f, "").strip()
        ]
        if theirs is not None and expected is not None:
            values = {**values, "version": str(theirs.version)}
        conflict = {
            "message": str(exc),
            "by": changed_by,
            "differences": differences,
            "duplicate": expected is None,
        }
        return _form_page(
            request,
            db,
            acc,
            values,
            hazard=current or theirs,
            errors={},
            conflict=conflict,
            status_code=409,
        )
    return RedirectResponse(f"/workbench/{acc.name}/hazards/{hazard.id}?saved=1", status_code=303)


async def _values(request: Request) -> dict[str, str]:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k in _FORM_FIELDS}
    values["combines"] = "; ".join(v for v in form.getlist("combines") if isinstance(v, str))
    return values


@router.post("/{name}/hazards")
async def create_hazard(
    request: Request, name: str, user: User = Depends(workspace_user), db: Session = Depends(get_db)
) -> Response:
    acc = access(db, user, name, "editor")
    values = await _values(request)
    return _save(request, acc, db, values, current=None, expected=None)


@router.get("/{name}/hazards/{hazard_id}")
def edit_hazard(
    request: Request,
    name: str,
    hazard_id: str,
    saved: Count = 0,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    hazard = service.state(db, acc).workspace.hazard_register.get(hazard_id)
    return _form_page(request, db, acc, form_values(hazard), hazard=hazard, saved=bool(saved))


@router.post("/{name}/hazards/{hazard_id}")
async def update_hazard(
    request: Request,
    name: str,
    hazard_id: str,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    current = service.state(db, acc).workspace.hazard_register.get(hazard_id)
    values = await _values(request)
    expected = form_int(values.get("version", ""), "version", low=1, high=10**9)
    return _save(request, acc, db, values, current=current, expected=expected)


@router.post("/{name}/hazards/{hazard_id}/delete")
def delete_hazard(
    request: Request,
    name: str,
    hazard_id: str,
    version: Annotated[Id, Form(...)],
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    service.delete_hazard(db, acc, hazard_id, expected=version)
    return RedirectResponse(f"/workbench/{name}/hazards", status_code=303)


# --- estimating impact with the simulator ------------------------------------------------


@router.post("/{name}/hazards/{hazard_id}/estimate")
def start_estimate(
    request: Request,
    name: str,
    hazard_id: str,
    scenario: str = Form("most_severe", max_length=32),
    scenarios: str = Form("200", max_length=8),
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    hazard = service.state(db, acc).workspace.hazard_register.get(hazard_id)
    if scenario not in SCENARIOS:
        raise FormatError(f"scenario: must be one of {', '.join(SCENARIOS)}, got {scenario!r}")
    count = form_int(scenarios, "scenarios", low=10, high=MAX_SCENARIOS)
    mapping = simulator_hazard(hazard, scenario)
    if mapping is None:
        raise ContentError(
            f"hazard {hazard_id!r} has no simulator model; only taxonomy hazards the simulator "
            "models (floods, earthquakes, heatwaves, epidemics, cyber-attacks, blackouts, "
            "droughts) can be estimated"
        )
    params = {
        "hazard": mapping,
        "scenarios": count,
        "seed": 1,
        "workspace": acc.name,
        "hazard_id": hazard_id,
        "scenario": scenario,
    }
    job = jobs.submit(
        request, db, JOB_KIND, params, user, key=f"{acc.row.id}:{hazard_id}:{scenario}"
    )
    return RedirectResponse(
        f"/workbench/{name}/hazards/{hazard_id}/estimate/{job.id}", status_code=303
    )


def _job(db: Session, acc: Access, hazard_id: str, job_id: int) -> Job:
    job = jobs.visible_job(db, job_id, acc.user)
    params = job.params or {}
    if (
        job.kind != JOB_KIND
        or params.get("workspace") != acc.name
        or params.get("hazard_id") != hazard_id
    ):
        raise NotFoundError(f"no impact estimate {job_id} for hazard {hazard_id!r}")
    return job


@router.get("/{name}/hazards/{hazard_id}/estimate/{job_id}")
def estimate_page(
    request: Request,
    name: str,
    hazard_id: str,
    job_id: Id,
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name)
    hazard = service.state(db, acc).workspace.hazard_register.get(hazard_id)
    job = _job(db, acc, hazard_id, job_id)
    estimates = estimates_from_result(job.result or {}) if job.status == "done" else None
    scenario = str(job.params.get("scenario"))
    return page(
        request,
        "workbench/estimate.html",
        acc,
        {
            "hazard": hazard,
            "job": job,
            "estimates": estimates,
            "scenario": scenario,
            "scenario_labels": SCENARIO_LABELS,
            "current": hazard.scenario(scenario).impacts if scenario in SCENARIOS else None,
            "level_labels": level_labels(language(request)),
            "dimension_labels": criterion_labels(language(request)),
        },
    )


@router.post("/{name}/hazards/{hazard_id}/estimate/{job_id}/apply")
def apply(
    request: Request,
    name: str,
    hazard_id: str,
    job_id: Id,
    version: Annotated[Id, Form(...)],
    user: User = Depends(workspace_user),
    db: Session = Depends(get_db),
) -> Response:
    acc = access(db, user, name, "editor")
    job = _job(db, acc, hazard_id, job_id)
    if job.status != "done":
        raise ConflictError(f"impact estimate {job_id} has not finished")
    scenario = str(job.params.get("scenario"))
    service.apply_estimate(
        db,
        acc,
        hazard_id,
        scenario,
        estimates_from_result(job.result or {}),
        scenarios=int(job.params.get("scenarios", 0)),
        expected=version,
    )
    return RedirectResponse(f"/workbench/{name}/hazards/{hazard_id}?saved=1", status_code=303)
