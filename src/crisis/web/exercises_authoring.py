"""Authoring pages: instructors write, check, import and export their own exercises."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, ContentError, CrisisError
from crisis.exercises import (
    bundled,
    check_against_city,
    dump_exercise,
    load_bundled,
    parse_exercise,
)
from crisis.exercises.library import MAX_BYTES
from crisis.store import exercises as store
from crisis.store.tables import User
from crisis.web.exercises_common import RESERVED, cache_dir_of, city_of, find_exercise
from crisis.web.i18n import gettext as _
from crisis.web.rendering import render
from crisis.web.security import csrf_protect, get_db, require_roles

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
instructors = require_roles("instructor")


@router.get("/exercises/authoring")
def authoring(
    request: Request, user: User = Depends(instructors), db: Session = Depends(get_db)
) -> Response:
    return render(
        request,
        "exercises/authoring.html",
        {"authored": store.authored(db), "bundled": load_bundled()},
    )


@router.get("/exercises/authoring/edit")
def editor(
    request: Request,
    start: str = "river-flood",
    user: User = Depends(instructors),
    db: Session = Depends(get_db),
) -> Response:
    """The editor, filled with an existing exercise (a bundled one is copied under a new id)."""
    exercise = find_exercise(db, start[:64])
    source = dump_exercise(exercise)
    if bundled(exercise.id) is not None:
        source = source.replace(f"id: {exercise.id}\n", f"id: my-{exercise.id}\n", 1)
    return render(request, "exercises/author_edit.html", {"source": source, "errors": []})


def _save(db: Session, user: User, source: str, name: str, cache_dir: Path) -> str:
    exercise = parse_exercise(source, name)
    problems = check_against_city(exercise, city_of(exercise, cache_dir))
    if problems:
        raise ContentError(f"{name}: {problems[0]}", errors=[f"{name}: {p}" for p in problems])
    if bundled(exercise.id) is not None or exercise.id in RESERVED:
        raise ConflictError(
            f"{name}: id '{exercise.id}' belongs to a bundled exercise or a page; choose another"
        )
    store.save_authored(db, exercise.id, dump_exercise(exercise), user)
    return exercise.id


@router.post("/exercises/authoring")
def save(
    request: Request,
    source: str = Form("", max_length=MAX_BYTES),
    user: User = Depends(instructors),
    db: Session = Depends(get_db),
) -> Response:
    try:
        slug = _save(db, user, source, "exercise.yaml", cache_dir_of(request))
    except CrisisError as exc:
        db.rollback()
        errors = exc.errors if isinstance(exc, ContentError) else [str(exc)]
        return render(
            request,
            "exercises/author_edit.html",
            {"source": source, "errors": errors},
            status_code=exc.status_code if exc.status_code != 400 else 422,
        )
    db.commit()
    return RedirectResponse(f"/exercises/{slug}", status_code=303)


@router.post("/exercises/authoring/import")
def import_file(
    request: Request,
    file: UploadFile = File(...),
    user: User = Depends(instructors),
    db: Session = Depends(get_db),
) -> Response:
    # A plain def: FastAPI runs it on a worker thread, so parsing never holds the event loop.
    data = file.file.read(MAX_BYTES + 1)
    name = (file.filename or "exercise.yaml").rsplit("/", 1)[-1][:100]
    try:
        if len(data) > MAX_BYTES:
            raise ContentError(f"{name}: larger than {MAX_BYTES // 1024} KiB")
        text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
        slug = _save(db, user, text, name, cache_dir_of(request))
    except UnicodeDecodeError:
        return render(
            request,
            "exercises/authoring.html",
            {
                "authored": store.authored(db),
                "bundled": load_bundled(),
                "errors": [f"{name}: " + _("not UTF-8 text")],
            },
            status_code=422,
        )
    except CrisisError as exc:
        db.rollback()
        errors = exc.errors if isinstance(exc, ContentError) else [str(exc)]
        return render(
            request,
            "exercises/authoring.html",
            {"authored": store.authored(db), "bundled": load_bundled(), "errors": errors},
            status_code=exc.status_code if exc.status_code != 400 else 422,
        )
    db.commit()
    return RedirectResponse(f"/exercises/{slug}", status_code=303)
