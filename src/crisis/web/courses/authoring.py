"""Authoring pages: instructors edit, add and upload units, checked and versioned.

Bundled files are never touched: an instructor's unit is a version stored in the database,
in force for the whole installation until withdrawn; every version is kept.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.courses.loader import bundled_course
from crisis.exceptions import ContentError, FormatError
from crisis.store import courses as course_store
from crisis.store.tables import User
from crisis.web.catalogues import InUse, in_use
from crisis.web.courses import service
from crisis.web.courses.pages import page, render_unit
from crisis.web.learning_cohorts import INSTRUCTORS
from crisis.web.security import csrf_protect, get_db
from crisis.web.workbench_common import form_data

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
UNIT_ID = re.compile(r"^[A-Z][A-Z0-9]*[0-9]-[1-9][0-9]?$")
LANGS = ("en", "el", "de", "pt")
#: Unit files one upload may hold.
MAX_FILES = 30


def _unit_id(value: str) -> str:
    if not UNIT_ID.match(value):
        raise ContentError(f"unit: {value[:20]!r} is not a unit id like M01-4")
    return value


def _lang(value: str) -> str:
    if value not in LANGS:
        raise ContentError(f"language: {value[:8]!r}; choose en, el, de or pt")
    return value


@router.get("/learning/authoring")
def authoring_page(
    request: Request,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    return _index(request, db, used)


def _index(
    request: Request,
    db: Session,
    used: InUse,
    *,
    errors: list[str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    view = service.course_of(db, used.catalogue)
    overrides: dict[str, list[Any]] = {}
    for row in course_store.current_overrides(db):
        if row.source is not None:
            overrides.setdefault(row.unit_id, []).append(row)
    return page(
        request,
        "courses/authoring.html",
        used,
        {
            "units": sorted(view.course.units.values(), key=lambda u: (u.module, u.number)),
            "overrides": overrides,
            "bundled": bundled_course().units,
            "problems": view.problems,
            "errors": errors or [],
            "notice": notice,
        },
        status_code,
    )


@router.post("/learning/authoring/upload")
async def upload(
    request: Request,
    form: Any = Depends(form_data),
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    files: list[tuple[str, str]] = []
    errors: list[str] = []
    uploads = [f for f in form.getlist("files") if hasattr(f, "read")]
    if len(uploads) > MAX_FILES:
        errors.append(f"{len(uploads)} files were sent; at most {MAX_FILES} at once")
    for upload_file in uploads[:MAX_FILES]:
        name = (upload_file.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
        data = await upload_file.read(256 * 1024)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors.append(f"{name}: not UTF-8 text")
            continue
        files.append((name, text))
    view = service.course_of(db, used.catalogue)
    try:
        if errors:
            raise ContentError(errors[0], errors=errors)
        saved = service.upload_units(db, user, used.catalogue, view.course, files)
    except (ContentError, FormatError) as exc:
        db.rollback()
        problems = exc.errors if isinstance(exc, ContentError) else [str(exc)]
        return _index(request, db, used, errors=problems, status_code=400)
    db.commit()
    return _index(request, db, used, notice=", ".join(saved))


def _editor(
    request: Request,
    db: Session,
    used: InUse,
    unit_id: str,
    lang: str,
    source: str,
    *,
    errors: list[str] | None = None,
    preview: Any = None,
    checked: bool = False,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "courses/editor.html",
        used,
        {
            "unit_id": unit_id,
            "edit_lang": lang,
            "source": source,
            "errors": errors or [],
            "preview": preview,
            "checked": checked,
            "file_name": service.file_name(unit_id, lang),
            "versions": course_store.unit_versions(db, unit_id),
        },
        status_code,
    )


@router.get("/learning/authoring/units/{unit_id}")
def edit_page(
    request: Request,
    unit_id: str,
    lang: str = "en",
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    unit_id, lang = _unit_id(unit_id), _lang(lang)
    view = service.course_of(db, used.catalogue)
    current = next(
        (
            r
            for r in course_store.current_overrides(db)
            if r.unit_id == unit_id and r.lang == lang and r.source is not None
        ),
        None,
    )
    unit = view.course.units.get(unit_id)
    if current is not None:
        source = current.source or ""
    elif unit is not None and lang == "en":
        source = unit.source
    elif unit is not None and lang in unit.translations:
        bundled = bundled_course().units.get(unit_id)
        source = _translation_file(bundled, lang) if bundled else ""
    elif unit is not None:
        source = _translation_skeleton(unit)
    else:
        source = service.skeleton(used.catalogue, unit_id)
    return _editor(request, db, used, unit_id, lang, source)


def _translation_file(unit: Any, lang: str) -> str:
    from importlib import resources

    text = unit.translations[lang]
    path = resources.files("crisis.courses") / "data" / text.source
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, FileNotFoundError):
        return _translation_skeleton(unit)


def _translation_skeleton(unit: Any) -> str:
    blocks = "\n\n".join(f"::: {name}\n{body}\n:::" for name, body in unit.text.blocks.items())
    return f"---\ntitle: {unit.title}\ncase: {unit.text.case}\n---\n\n{blocks}\n"


@router.post("/learning/authoring/units/{unit_id}")
def save_page(
    request: Request,
    unit_id: str,
    lang: str = Form("en", max_length=8),
    source: str = Form("", max_length=200_000),
    message: str = Form("", max_length=500),
    action: str = Form("check", max_length=8),
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    unit_id, lang = _unit_id(unit_id), _lang(lang)
    view = service.course_of(db, used.catalogue)
    source = source.replace("\r\n", "\n")
    try:
        unit = service.check_source(db, used.catalogue, view.course, unit_id, lang, source)
        if action == "save":
            service.save_source(
                db, user, used.catalogue, view.course, unit_id, lang, source, message
            )
    except ContentError as exc:
        db.rollback()
        return _editor(request, db, used, unit_id, lang, source, errors=exc.errors, status_code=400)
    if action == "save":
        db.commit()
        return RedirectResponse(
            f"/learning/authoring/units/{unit_id}/history?saved={lang}", status_code=303
        )
    preview = render_unit(unit, lang)
    return _editor(request, db, used, unit_id, lang, source, preview=preview, checked=True)


@router.get("/learning/authoring/units/{unit_id}/history")
def history_page(
    request: Request,
    unit_id: str,
    saved: str | None = None,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    unit_id = _unit_id(unit_id)
    return page(
        request,
        "courses/history.html",
        used,
        {
            "unit_id": unit_id,
            "versions": course_store.unit_versions(db, unit_id),
            "saved": saved,
            "bundled": unit_id in bundled_course().units,
        },
    )


@router.get("/learning/authoring/units/{unit_id}/history/{lang}/{number}")
def version_page(
    request: Request,
    unit_id: str,
    lang: str,
    number: int,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    unit_id, lang = _unit_id(unit_id), _lang(lang)
    row = course_store.unit_version(db, unit_id, lang, number)
    return page(request, "courses/version.html", used, {"row": row, "unit_id": unit_id})


@router.post("/learning/authoring/units/{unit_id}/history/{lang}/{number}/restore")
def restore(
    request: Request,
    unit_id: str,
    lang: str,
    number: int,
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    unit_id, lang = _unit_id(unit_id), _lang(lang)
    row = course_store.unit_version(db, unit_id, lang, number)
    view = service.course_of(db, used.catalogue)
    if row.source is None:
        service.withdraw(db, user, view.course, unit_id, lang)
    else:
        service.save_source(
            db,
            user,
            used.catalogue,
            view.course,
            unit_id,
            lang,
            row.source,
            f"Restored version {number}",
        )
    db.commit()
    return RedirectResponse(f"/learning/authoring/units/{unit_id}/history", status_code=303)


@router.post("/learning/authoring/units/{unit_id}/withdraw")
def withdraw(
    unit_id: str,
    lang: str = Form("en", max_length=8),
    user: User = Depends(INSTRUCTORS),
    used: InUse = Depends(in_use),
    db: Session = Depends(get_db),
) -> Response:
    unit_id, lang = _unit_id(unit_id), _lang(lang)
    view = service.course_of(db, used.catalogue)
    service.withdraw(db, user, view.course, unit_id, lang)
    db.commit()
    return RedirectResponse(f"/learning/authoring/units/{unit_id}/history", status_code=303)


@router.get("/learning/authoring/new")
def new_unit(unit: str = "", user: User = Depends(INSTRUCTORS)) -> Response:
    return RedirectResponse(f"/learning/authoring/units/{_unit_id(unit.strip())}", status_code=303)
