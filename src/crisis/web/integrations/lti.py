"""The LTI 1.3 tool's endpoints: key set, login initiation, launch, deep linking, LMS courses."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.exceptions import CrisisError
from crisis.integrations import cartridge
from crisis.integrations import keys as tool_keys
from crisis.integrations.activities import KINDS, Activity, find
from crisis.integrations.deeplinking import response_claims
from crisis.integrations.lti import DEEP_LINKING, LaunchRefused
from crisis.store import integrations as store
from crisis.store import users
from crisis.store.db import transaction
from crisis.store.tables import User
from crisis.web.catalogues import InUse, in_use
from crisis.web.courses import service as courses
from crisis.web.i18n import gettext as _
from crisis.web.integrations import delivery, journey, launches, roster
from crisis.web.pages import secure_cookie
from crisis.web.params import Id
from crisis.web.rendering import page_language, render
from crisis.web.security import (
    SECURITY_HEADERS,
    SESSION_COOKIE,
    csrf_protect,
    get_db,
    new_csrf_token,
    require_roles,
)

router = APIRouter(include_in_schema=False)
INSTRUCTORS = require_roles("instructor")


def refused(request: Request, exc: LaunchRefused, title: str = "") -> Response:
    """401 with a problem JSON naming the failed check (an error page for browsers)."""
    title = title or _("LTI launch refused")
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "application/json" not in accept:
        return render(
            request,
            "error.html",
            {"status": 401, "title": title, "detail": str(exc), "errors": []},
            status_code=401,
        )
    return JSONResponse(
        {
            "type": "about:blank",
            "title": title,
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
async def login(request: Request) -> Response:
    """OIDC third-party login initiation: bind a state to this browser, go to the platform."""
    params: dict[str, str] = {k: str(v) for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    settings = request.app.state.settings
    try:
        with request.app.state.readers() as db:
            start = launches.begin_login(
                db, params, base=settings.public_url, secret=settings.secret_key
            )
    except LaunchRefused as exc:
        return refused(request, exc)
    response = RedirectResponse(start.redirect, status_code=302)
    secure = secure_cookie(request)
    response.set_cookie(
        launches.STATE_COOKIE,
        start.cookie,
        max_age=launches.STATE_SECONDS,
        httponly=True,
        # The launch is a cross-site POST from the platform: only SameSite=None cookies
        # travel with it, and browsers accept those only when Secure.
        samesite="none" if secure else "lax",
        secure=secure,
        path="/lti/",
    )
    return response


@router.post("/lti/launch")
async def launch(request: Request) -> Response:
    """The platform's id_token: check all of it, sign the person in, open the activity.

    The answer's ``Server-Timing`` header says how long the launch took here (``launch``).
    """
    began = time.perf_counter()
    form = await request.form()
    id_token = form.get("id_token")
    state = form.get("state")
    app = request.app.state
    settings = app.settings
    try:
        # Every check first, reading only (the platform's keys may have to be fetched) …
        with app.readers() as db:
            platform, message = launches.check_launch(
                db,
                id_token=id_token if isinstance(id_token, str) else "",
                state=state if isinstance(state, str) else "",
                cookie=request.cookies.get(launches.STATE_COOKIE),
                secret=settings.secret_key,
                keys=app.lti_keys,
            )
            used = in_use(request, db)
            acts = app.lti_activities.get(db, used.catalogue, page_language(request))
        # … then one short transaction: the nonce spent, the account, course, link, session.
        with transaction(app.sessionmaker) as db:
            launches.spend_nonce(db, platform.id, message)
            entry = launches.enter(db, platform, message, acts, base=settings.public_url)
            secret = users.open_session(db, entry.user, dt.timedelta(hours=settings.session_hours))
    except LaunchRefused as exc:
        return refused(request, exc)
    request.state.user = entry.user
    new_csrf_token(request, secret)  # a new session, a new CSRF token
    if message.message_type == DEEP_LINKING:
        response: Response = render(
            request,
            "lti_deep_link.html",
            _picker_context(acts, launches.deep_link_token(settings.secret_key, message)),
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
    response.delete_cookie(launches.STATE_COOKIE, path="/lti/")
    spent = (time.perf_counter() - began) * 1000
    response.headers["Server-Timing"] = f"launch;dur={spent:.1f}"
    return response


def _picker_context(acts: list[Activity], token: str) -> dict[str, Any]:
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
    token = token if isinstance(token, str) else ""
    picked = [v for v in form.getlist("activity") if isinstance(v, str)]
    settings = request.app.state.settings
    acts = request.app.state.lti_activities.get(db, used.catalogue, page_language(request))
    try:
        message = launches.deep_link_launch(settings.secret_key, token)
    except LaunchRefused as exc:
        return refused(request, exc)
    if not picked:
        context = _picker_context(acts, token)
        context["error"] = _("Choose at least one activity.")
        return render(request, "lti_deep_link.html", context, status_code=400)
    try:
        chosen = [find(acts, key) for key in picked]
    except CrisisError as exc:
        context = _picker_context(acts, token)
        context["error"] = str(exc)
        return render(request, "lti_deep_link.html", context, status_code=400)
    settings_claim = message.deep_linking or {}
    if not settings_claim.get("accept_multiple", True):
        chosen = chosen[:1]
    claims = response_claims(message, chosen, settings.public_url + "/lti/launch")
    jwt = tool_keys.sign(settings.data_dir, claims)
    return_url = str(settings_claim.get("deep_link_return_url", ""))
    response = render(
        request,
        "lti_deep_link_return.html",
        {"return_url": return_url, "jwt": jwt, "chosen": chosen},
    )
    # The answer is a form posted to the platform: allow that one address as a form target.
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(return_url))
    csp = SECURITY_HEADERS["Content-Security-Policy"]
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
def roster_refresh(
    request: Request,
    context_id: Id,
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
        result = roster.sync_roster(db, row, user, settings.data_dir)
    except CrisisError as exc:
        db.rollback()
        return render(
            request,
            "lti_courses.html",
            {"contexts": store.contexts_of(db, user), "error": str(exc)},
            status_code=502,
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
    settings = request.app.state.settings
    package = cartridge.export(
        used.catalogue,
        courses.course_of(db, used.catalogue).course,
        request.app.state.lti_activities.get(db, used.catalogue, lang),
        launch_url=settings.public_url + "/lti/launch",
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
    used: InUse = Depends(in_use),
) -> Response:
    """Download every xAPI statement CRISIS made about me (sent to the LRS or waiting)."""
    state = request.app.state
    # Statements of work done since the sender's last pass are made now: a write, so in a
    # writing transaction of its own (a page view's session is read-only).
    with transaction(state.sessionmaker) as db:
        journey.collect(
            db,
            base=state.settings.public_url,
            acts=state.lti_activities.get(db, used.catalogue),
        )
        statements = delivery.statements_for(db, user)
    return JSONResponse(
        statements,
        headers={"Content-Disposition": 'attachment; filename="my-xapi-statements.json"'},
    )
