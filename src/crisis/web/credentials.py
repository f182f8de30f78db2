"""Open Badges 3.0 pages and API: the wallet, issuing and revoking, the public issuer profile,
keys, status list and achievements, the verification page and endpoint, and downloads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from crisis.competences.models import Catalogue
from crisis.credentials import competence_achievement, issuing
from crisis.credentials.baking import badge_png, badge_svg, bake_png, bake_svg
from crisis.exceptions import ContentError, CrisisError, NotFoundError
from crisis.store import credentials as store
from crisis.store.credential_tables import IssuedCredential
from crisis.store.tables import User
from crisis.web import credentials_service as service
from crisis.web.catalogues import InUse, in_use
from crisis.web.i18n import N_
from crisis.web.i18n import gettext as _
from crisis.web.rendering import page_language, render
from crisis.web.security import csrf_protect, current_user, get_db, optional_user, require_roles

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1/credentials", tags=["credentials"])
#: Roles that may award and revoke by hand (admins always may).
AWARDERS = ("instructor",)
_JSON = {"Access-Control-Allow-Origin": "*"}
#: The names of the verification checks, as the pages show them (translated).
CHECK_NAMES = (
    N_("format"),
    N_("key"),
    N_("unknown key"),
    N_("signature"),
    N_("tampered"),
    N_("content"),
    N_("validity"),
    N_("not yet valid"),
    N_("expired"),
    N_("status"),
    N_("revoked"),
)


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    return render(request, f"credentials/{template}", context, status_code=status)


# --- the learner's wallet ------------------------------------------------------------------


@router.get("/credentials")
def wallet(
    request: Request,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
    used: InUse = Depends(in_use),
) -> Response:
    lang = page_language(request)
    new = service.award_due(db, request, user, used.catalogue, lang)
    db.commit()
    rows = store.of_user(db, user)
    return _page(
        request,
        "wallet.html",
        {"rows": rows, "new": {r.uuid for r in new}, "can_award": _may_award(user)},
    )


def _may_award(user: User) -> bool:
    return user.role == "admin" or user.role in AWARDERS


# --- issuing and revoking by hand ------------------------------------------------------------


def _manage(
    request: Request, db: Session, cat: Catalogue, extra: dict[str, Any], status: int = 200
) -> Response:
    learners = list(db.scalars(select(User).where(User.role == "learner").order_by(User.username)))
    context = {"rows": store.every(db), "learners": learners, "cat": cat, **extra}
    return _page(request, "manage.html", context, status)


@router.get("/credentials/manage")
def manage(
    request: Request,
    user: User = Depends(require_roles(*AWARDERS)),
    db: Session = Depends(get_db),
    used: InUse = Depends(in_use),
) -> Response:
    return _manage(request, db, used.catalogue, {})


@router.post("/credentials/manage/issue")
def issue_by_hand(
    request: Request,
    learner: str = Form(..., max_length=100),
    competence: str = Form(..., max_length=100),
    level: str = Form(..., max_length=2),
    note: str = Form("", max_length=500),
    user: User = Depends(require_roles(*AWARDERS)),
    db: Session = Depends(get_db),
    used: InUse = Depends(in_use),
) -> Response:
    errors = []
    target = db.scalar(select(User).where(User.username == learner))
    if target is None:
        errors.append(_("learner: there is no account %(name)r") % {"name": learner})
    if not level.isdigit() or int(level) not in (1, 2, 3, 4):
        errors.append(_("level: %(value)r is not 1, 2, 3 or 4") % {"value": level})
    try:
        used.catalogue.competence(competence)
    except NotFoundError as exc:
        errors.append(f"competence: {exc}")
    if errors or target is None:
        return _manage(request, db, used.catalogue, {"errors": errors}, status=400)
    evidence = note.strip() or None
    if evidence:
        evidence = f"Assessed by {user.display_name or user.username}: {evidence}"
    row = service.award(
        db,
        request,
        target,
        used.catalogue,
        competence,
        int(level),
        lang=page_language(request),
        by=user,
        evidence=evidence,
    )
    db.commit()
    return _manage(request, db, used.catalogue, {"issued": row})


@router.post("/credentials/{ident}/revoke")
def revoke(
    ident: str,
    reason: str = Form("", max_length=300),
    user: User = Depends(require_roles(*AWARDERS)),
    db: Session = Depends(get_db),
) -> Response:
    store.revoke(db, store.by_uuid(db, ident), reason)
    db.commit()
    return RedirectResponse("/credentials/manage", status_code=303)


# --- what verifiers fetch (public) ---------------------------------------------------------


@router.get("/credentials/issuer")
def issuer_profile(request: Request) -> JSONResponse:
    issuer = service.issuer_of(request)
    profile = {"@context": issuing.CONTEXTS, **issuer.profile()}
    return JSONResponse(profile, headers=_JSON)


@router.get("/credentials/keys")
def keys(request: Request) -> JSONResponse:
    service.keyring_of(request).current()  # the first visit creates the first key
    return JSONResponse(service.keyring_of(request).jwks(), headers=_JSON)


@router.get("/credentials/status/revocation")
def status_list(request: Request, db: Session = Depends(get_db)) -> Response:
    token = service.status_list_token(db, request)
    return Response(token, media_type="application/vc+jwt", headers=_JSON)


@router.get("/credentials/achievements/{competence}/{level}")
def achievement(
    competence: str, level: int, request: Request, used: InUse = Depends(in_use)
) -> JSONResponse:
    comp = used.catalogue.competence(competence)
    if level not in (1, 2, 3, 4):
        raise NotFoundError(f"no level {level} in competence {comp.id}")
    body = competence_achievement(
        used.catalogue, comp, level, service.issuer_of(request), page_language(request)
    )
    return JSONResponse({"@context": issuing.CONTEXTS, **body}, headers=_JSON)


@router.get("/credentials/achievements/{competence}/{level}/image.svg")
def achievement_image(
    competence: str, level: int, request: Request, used: InUse = Depends(in_use)
) -> Response:
    cat = used.catalogue
    comp = cat.competence(competence)
    if level not in (1, 2, 3, 4):
        raise NotFoundError(f"no level {level} in competence {comp.id}")
    lang = page_language(request)
    svg = badge_svg(comp.title.get(lang), level, cat.framework.scale.name(level, lang), comp.id)
    return Response(svg, media_type="image/svg+xml")


# --- verification (public) -----------------------------------------------------------------


@router.get("/credentials/verify")
def verify_page(request: Request, user: User | None = Depends(optional_user)) -> Response:
    return _page(request, "verify.html", {})


@router.post("/credentials/verify")
async def verify_submit(
    request: Request,
    token: str = Form("", max_length=200_000),
    file: UploadFile | None = File(None),
    db: Session = Depends(get_db),
    user: User | None = Depends(optional_user),
) -> Response:
    data = (await file.read()) if file is not None and file.filename else token.encode("utf-8")
    try:
        jwt = service.token_from(data)
    except ContentError as exc:
        return _page(request, "verify.html", {"error": str(exc)}, status=400)
    report = await run_in_threadpool(service.check, db, request, jwt)
    return _page(request, "verify.html", {"report": report})


class VerifyIn(BaseModel):
    credential: str = Field(
        ..., max_length=200_000, description="The VC-JWT, or the downloaded JSON as text."
    )


@api.post("/verify", summary="Verify an Open Badges credential issued here")
def verify_api(
    request: Request, body: VerifyIn = Body(...), db: Session = Depends(get_db)
) -> JSONResponse:
    """Which checks pass: format, key (``unknown key``), signature (``tampered``), content,
    validity (``expired``), status (``revoked``). ``valid`` is true when all pass."""
    jwt = service.token_from(body.credential.encode("utf-8"))
    return JSONResponse(service.check(db, request, jwt).as_dict(), headers=_JSON)


@api.get("", summary="The signed-in learner's credentials")
def my_credentials(
    request: Request,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
    used: InUse = Depends(in_use),
) -> list[dict[str, Any]]:
    service.award_due(db, request, user, used.catalogue, page_language(request))
    db.commit()
    base = service.issuer_of(request).base_url
    return [
        {
            "id": f"{base}/credentials/{row.uuid}",
            "title": row.title,
            "competence": row.subject,
            "level": row.level,
            "issued_at": row.issued_at.isoformat(),
            "revoked": row.revoked_at is not None,
            "jwt": row.token,
        }
        for row in store.of_user(db, user)
    ]


# --- one credential ------------------------------------------------------------------------


@router.get("/credentials/{ident}")
def credential_page(
    ident: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(optional_user),
) -> Response:
    row = store.by_uuid(db, ident)
    report = service.check(db, request, row.token)
    mine = user is not None and (user.id == row.user_id or _may_award(user))
    return _page(request, "credential.html", {"row": row, "report": report, "mine": mine})


_FORMATS = {"jwt", "json", "png", "svg"}


@router.get("/credentials/{ident}/credential.{fmt}")
def download(
    ident: str,
    fmt: str,
    request: Request,
    user: User = Depends(current_user),
    db: Session = Depends(get_db),
    used: InUse = Depends(in_use),
) -> Response:
    row = store.by_uuid(db, ident)
    if user.id != row.user_id and not _may_award(user):
        raise NotFoundError(f"no credential {ident!r} was issued here")
    if fmt not in _FORMATS:
        raise NotFoundError(f"no download as {fmt!r}; expected jwt, json, png or svg")
    name = f"crisis-{row.subject}-level-{row.level}".replace("/", "_")
    headers = {"Content-Disposition": f'attachment; filename="{_safe(name)}.{fmt}"'}
    if fmt == "jwt":
        return Response(row.token, media_type="application/vc+jwt", headers=headers)
    if fmt == "json":
        return JSONResponse(service.enveloped(row.token), headers=headers)
    title, level_name, code = _badge_text(row, used.catalogue)
    if fmt == "svg":
        svg = bake_svg(badge_svg(title, row.level, level_name, code), row.token)
        return Response(svg, media_type="image/svg+xml", headers=headers)
    png = bake_png(badge_png(title, row.level, level_name, code), row.token)
    return Response(png, media_type="image/png", headers=headers)


def _safe(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)


def _badge_text(row: IssuedCredential, cat: Catalogue) -> tuple[str, str, str]:
    try:
        comp = cat.competence(row.subject)
        return (
            comp.title.get(row.language),
            cat.framework.scale.name(row.level, row.language),
            comp.id,
        )
    except CrisisError:  # the competence left the catalogue in use; the title was kept
        return row.title, str(row.level), row.subject
