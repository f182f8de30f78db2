"""ESCO mappings: an instructor uploads ESCO CSV downloads, reviews the suggested skills per
competence and accepts some; the accepted mappings become a new catalogue in use (the previous
one stays in the list), so every export carries them."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from crisis.competences.documents import export_yaml
from crisis.competences.esco import EscoPackage, Suggestion, accept, rank, read_package
from crisis.exceptions import ContentError
from crisis.store import catalogues as store
from crisis.store.catalogues import ROLE_DOCUMENT, CatalogueFile
from crisis.store.tables import User
from crisis.web.catalogues import InUse, in_use, remember
from crisis.web.competences import MANAGERS, _page
from crisis.web.i18n import gettext as _
from crisis.web.security import csrf_protect, get_db, require_roles

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
#: Suggestions shown per competence.
LIMIT = 5


def _suggest(files: dict[str, bytes], used: InUse, max_bytes: int) -> tuple[EscoPackage, Any]:
    package = read_package(files, max_bytes=max_bytes)
    return package, rank(used.catalogue, package, limit=LIMIT)


@router.get("/competences/esco")
def esco_page(
    request: Request,
    user: User = Depends(require_roles(*MANAGERS)),
    used: InUse = Depends(in_use),
) -> Response:
    return _page(request, "esco.html", used, user, {"max_mb": _max_mb(request)})


def _max_mb(request: Request) -> int:
    return int(request.app.state.settings.max_upload_mb)


@router.post("/competences/esco")
async def esco_suggest(
    request: Request,
    files: list[UploadFile] = File(default=[]),
    user: User = Depends(require_roles(*MANAGERS)),
    used: InUse = Depends(in_use),
) -> Response:
    uploads: dict[str, bytes] = {}
    errors: list[str] = []
    for upload in files:
        name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
        if not name:
            continue
        if name in uploads:
            errors.append(f"{name}: chosen twice; each file is read once")
        uploads[name] = await upload.read()
    if not uploads:
        errors.append(_("Choose at least one ESCO skills file."))
    package, ranked = None, None
    if not errors:
        limit = request.app.state.settings.max_upload_bytes
        try:  # thousands of rows: parse and match off the event loop
            package, ranked = await run_in_threadpool(_suggest, uploads, used, limit)
        except ContentError as exc:
            errors = exc.errors
    context: dict[str, Any] = {"max_mb": _max_mb(request), "files": sorted(uploads)}
    if errors:
        context["errors"] = errors
        return _page(request, "esco.html", used, user, context, status_code=400)
    context.update(_review(used, package, ranked))
    return _page(request, "esco.html", used, user, context)


def _review(
    used: InUse, package: EscoPackage | None, ranked: dict[str, list[Suggestion]] | None
) -> dict[str, Any]:
    assert package is not None and ranked is not None
    rows = []
    for comp in used.catalogue.framework.competences:
        rows.append(
            {
                "competence": comp,
                "mapped": list(comp.mappings.esco),
                "suggestions": [
                    (s, json.dumps([comp.id, s.uri]), package.skills[s.uri])
                    for s in ranked.get(comp.id, [])
                ],
            }
        )
    return {"package": package, "rows": rows}


@router.post("/competences/esco/accept")
async def esco_accept(
    request: Request,
    user: User = Depends(require_roles(*MANAGERS)),
    db: Session = Depends(get_db),
    used: InUse = Depends(in_use),
    label: str = Form("", max_length=200),
) -> Response:
    form = await request.form()
    chosen: dict[str, list[str]] = {}
    errors: list[str] = []
    for raw in form.getlist("accept"):
        try:
            comp_id, uri = json.loads(str(raw))
            if not isinstance(comp_id, str) or not isinstance(uri, str):
                raise ValueError
        except ValueError:
            errors.append(f"accept: {str(raw)[:80]!r} is not a competence and an ESCO skill")
            continue
        chosen.setdefault(comp_id, []).append(uri)
    if not chosen and not errors:
        errors.append(_("Tick at least one suggestion to accept."))
    updated = None
    try:  # check every choice, so that all problems show at once
        updated = accept(used.catalogue, chosen)
    except ContentError as exc:
        errors += exc.errors
    if errors or updated is None:
        context = {"max_mb": _max_mb(request), "errors": errors}
        return _page(request, "esco.html", used, user, context, status_code=400)
    count = sum(len(uris) for uris in chosen.values())
    name = label.strip() or _("ESCO mappings (%(n)d accepted)") % {"n": count}
    files = [CatalogueFile(ROLE_DOCUMENT, "esco-mappings.yaml", export_yaml(updated).encode())]
    row = store.add(db, files, updated, user=user, label=name)
    db.commit()
    remember(request, row, updated)
    return _page(
        request,
        "esco.html",
        InUse(updated, row),
        user,
        {"max_mb": _max_mb(request), "accepted": count, "stored": row, "chosen": chosen},
    )
