"""The LTI 1.3 tool's endpoints: key set, login initiation, launch, deep linking, LMS courses."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.exceptions import CrisisError
from crisis.integrations import cartridge
from crisis.integrations import keys as tool_keys
from crisis.integrations.activities import KINDS, find
from crisis.integrations.deeplinking import response_claims
from crisis.integrations.lti import DEEP_LINKING, LaunchRefused
from crisis.store import integrations as store
from crisis.store import users
from crisis.store.tables import User
from crisis.web.catalogues import InUse, in_use
from crisis.web.courses import service as courses
from crisis.web.i18n import gettext as _
from crisis.web.integrations import service
from crisis.web.pages import secure_cookie
from crisis.web.rendering import page_language, render
from crisis.web.security import SESSION_COOKIE, csrf_protect, get_db, require_roles

router = APIRouter(include_in_schema=False)
INSTRUCTORS = require_roles("instructor")


def _base(request: Request) -> str:
    return service.base_url(request.app.state.settings, str(request.base_url))


def refused(request: Request, exc: LaunchRefused) -> Response:
    """401 with a problem JSON naming the failed check (an error page for browsers)."""
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "application/json" not in accept:
        return render(
            request,
            "error.html",
            {"status": 401, "title": _("LTI launch refused"), "detail": str(exc), "errors": []},
            status_code=401,
        )
    return JSONResponse(
        {
            "type": "about:blank",
            "title": "LTI launch refused",
            "status": 401,
            "detail": str(exc),
            "check": exc.check,
        },
        status_code=401,
        media_type="application/problem+json",
    )


@router.get("/lti/jwks")
@router.get("/.well-known/jwks.json")
def jwks(request: Request) -> Response:
    """Our public keys, for platforms to check our messages and token requests."""
    data = tool_keys.jwks(request.app.state.settings.data_dir)
    return JSONResponse(data, headers={"Cache-Control": "max-age=300"})


@router.api_route("/lti/login", methods=["GET", "POST"])
async def login(request: Request, db: Session = Depends(get_db)) -> Response:
    """OIDC third-party login initiation: bind a state to this browser, go to the platform."""
    params: dict[str, str] = {k: str(v) for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    settings = request.app.state.settings
    try:
        start = service.begin_login(db, params, base=_base(request), secret=settings.secret_key)
    except LaunchRefused as exc:
        return refused(request, exc)
    response = RedirectResponse(start.redirect, status_code=302)
    secure = secure_cookie(request)
    response.set_cookie(
        service.STATE_COOKIE,
        start.cookie,
        max_age=service.STATE_SECONDS,
        httponly=True,
        # The launch is a cross-site POST from the platform: only SameSite=None cookies
        # travel with it, and browsers accept those only when Secure.
        samesite="none" if secure else "lax",
        secure=secure,
        path="/lti/",
    )
    return response


@router.post("/lti/launch")
async def launch(request: Request, db: Session = Depends(get_db)) -> Response:
    """The platform's id_token: check all of it, sign the person in, open the activity."""
    form = await request.form()
    id_token = form.get("id_token")
    state = form.get("state")
    settings = request.app.state.settings
    keys = request.app.state.lti_keys
    try:
        platform, message = service.check_launch(
            db,
            id_token=id_token if isinstance(id_token, str) else "",
            state=state if isinstance(state, str) else "",
            cookie=request.cookies.get(service.STATE_COOKIE),
            secret=settings.secret_key,
            keys=keys,
        )
        used = in_use(request, db)
        base = _base(request)
        acts = service.activities(db, used.catalogue, page_language(request))
        entry = service.enter(db, platform, message, acts, base=base)
    except LaunchRefused as exc:
        db.rollback()
        return refused(request, exc)
    secret = users.open_session(db, entry.user, dt.timedelta(hours=settings.session_hours))
    db.commit()
    request.state.user = entry.user
    if message.message_type == DEEP_LINKING:
        response: Response = render(
            request,
            "lti_deep_link.html",
            _picker_context(request, acts, service.deep_link_token(settings.secret_key, message)),
        )
    else:
        response = RedirectResponse(entry.path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookie(request),
        path="/",
    )
    response.delete_cookie(service.STATE_COOKIE, path="/lti/")
    return response


def _picker_context(request: Request, acts: list[Any], token: str) -> dict[str, Any]:
    groups = {kind: [a for a in acts if a.kind == kind] for kind in KINDS}
    return {"groups": groups, "token": token, "error": None}


@router.post("/lti/deep-link", dependencies=[Depends(csrf_protect)])
async def deep_link(
    request: Request,
    user: User = Depends(INSTRUCTORS),
    db: Session = Depends(get_db),
    used: InUse = Depends(in_use),
) -> Response:
    """Send the picked activities back to the LMS as LTI resource links."""
    form = await request.form()
    token = form.get("token")
    picked = [v for v in form.getlist("activity") if isinstance(v, str)]
    settings = request.app.state.settings
    acts = service.activities(db, used.catalogue, page_language(request))
    try:
        message = service.deep_link_launch(
            settings.secret_key, token if isinstance(token, str) else ""
        )
    except LaunchRefused as exc:
        return refused(request, exc)
    if not picked:
        context = _picker_context(request, acts, token if isinstance(token, str) else "")
        context["error"] = _("Choose at least one activity.")
        return render(request, "lti_deep_link.html", context, status_code=400)
    try:
        chosen = [find(acts, key) for key in picked]
    except CrisisError as exc:
        context = _picker_context(request, acts, token if isinstance(token, str) else "")
        context["error"] = str(exc)
        return render(request, "lti_deep_link.html", context, status_code=400)
    settings_claim = message.deep_linking or {}
    if not settings_claim.get("accept_multiple", True):
        chosen = chosen[:1]
    claims = response_claims(message, chosen, _base(request) + "/lti/launch")
    jwt = tool_keys.sign(settings.data_dir, claims)
    return_url = str(settings_claim.get("deep_link_return_url", ""))
    response = render(
        request,
        "lti_deep_link_return.html",
        {"return_url": return_url, "jwt": jwt, "chosen": chosen},
    )
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(return_url))
    csp = response.headers.get("Content-Security-Policy") or (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    )
    response.headers["Content-Security-Policy"] = csp.replace(
        "form-action 'self'", f"form-action 'self' {origin}"
    )
    return response


# --- LMS courses: roster and cartridge ------------------------------------------------------


@router.get("/lti/courses")
def courses_page(
    request: Request, user: User = Depends(INSTRUCTORS), db: Session = Depends(get_db)
) -> Response:
    return render(request, "lti_courses.html", {"contexts": store.contexts_of(db, user)})


@router.post("/lti/courses/{context_id}/roster", dependencies=[Depends(csrf_protect)])
def roster(
    request: Request,
    context_id: int,
    user: User = Depends(INSTRUCTORS),
    db: Session = Depends(get_db),
) -> Response:
    """Refresh the course's cohort from the LMS roster."""
    contexts = store.contexts_of(db, user)
    row = next((c for c in contexts if c.id == context_id), None)
    if row is None:
        return render(
            request,
            "lti_courses.html",
            {"contexts": contexts, "error": _("You have not launched CRISIS from that course.")},
            status_code=404,
        )
    settings = request.app.state.settings
    try:
        result = service.sync_roster(db, row, user, settings.data_dir)
    except CrisisError as exc:
        db.rollback()
        return render(
            request, "lti_courses.html", {"contexts": contexts, "error": str(exc)}, status_code=502
        )
    db.commit()
    message = _(
        "Roster read: %(learners)d learners; %(added)d joined the cohort, %(removed)d left it."
    ) % {"learners": result.learners, "added": result.added, "removed": result.removed}
    return render(
        request,
        "lti_courses.html",
        {"contexts": store.contexts_of(db, user), "message": message},
    )


@router.get("/lti/cartridge.imscc")
def cartridge_download(
    request: Request,
    user: User = Depends(INSTRUCTORS),
    db: Session = Depends(get_db),
    used: InUse = Depends(in_use),
) -> Response:
    """The curriculum as a Common Cartridge 1.3 package, its activities linking back here."""
    lang = page_language(request)
    package = cartridge.export(
        used.catalogue,
        courses.course_of(db, used.catalogue).course,
        service.activities(db, used.catalogue, lang),
        launch_url=_base(request) + "/lti/launch",
        lang=lang,
    )
    return Response(
        package.data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="crisis-curriculum.imscc"'},
    )


# --- the learner's own statements -----------------------------------------------------------


@router.get("/learning/statements.json")
def my_statements(
    request: Request,
    user: User = Depends(require_roles("learner", "instructor", "analyst")),
    db: Session = Depends(get_db),
) -> Response:
    """Download every xAPI statement CRISIS made about me (sent to the LRS or waiting)."""
    used = in_use(request, db)
    service.collect(db, base=_base(request), acts=service.activities(db, used.catalogue))
    db.commit()
    return JSONResponse(
        service.statements_for(db, user),
        headers={"Content-Disposition": 'attachment; filename="my-xapi-statements.json"'},
    )
