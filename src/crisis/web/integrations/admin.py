"""The admin's pages of the integrations: LMS platforms and the outbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crisis.exceptions import CrisisError
from crisis.integrations import keys as tool_keys
from crisis.integrations.outbox import STATUSES
from crisis.store import integrations as store
from crisis.store.tables import User, utcnow
from crisis.web.catalogues import in_use
from crisis.web.i18n import gettext as _
from crisis.web.integrations import delivery, platforms
from crisis.web.params import Id
from crisis.web.rendering import render
from crisis.web.security import csrf_protect, get_db, require_roles

router = APIRouter(
    prefix="/admin",
    dependencies=[Depends(csrf_protect), Depends(require_roles("admin"))],
    include_in_schema=False,
)
Text = Annotated[str, Form(max_length=1000)]


def _tool(request: Request) -> dict[str, str]:
    base = request.app.state.settings.public_url
    return {
        "login": base + "/lti/login",
        "launch": base + "/lti/launch",
        "jwks": base + "/lti/jwks",
        "domain": base.split("://", 1)[-1],
        "base": base,
    }


def _platforms_page(
    request: Request, db: Session, status_code: int = 200, **context: object
) -> Response:
    settings = request.app.state.settings
    return render(
        request,
        "admin_lti.html",
        {
            "platforms": store.platforms(db),
            "tool": _tool(request),
            "base_url_set": bool(settings.base_url),
            "links": store.open_registration_links(db, utcnow()),
            **context,
        },
        status_code=status_code,
    )


@router.get("/lti")
def platforms_page(request: Request, db: Session = Depends(get_db)) -> Response:
    return _platforms_page(request, db)


@router.post("/lti")
def platform_add(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    issuer: Annotated[str, Form(max_length=255)] = "",
    client_id: Annotated[str, Form(max_length=255)] = "",
    auth_url: Text = "",
    token_url: Text = "",
    jwks_url: Text = "",
    deployment_ids: Annotated[str, Form(max_length=5000)] = "",
    db: Session = Depends(get_db),
) -> Response:
    form = {
        "name": name,
        "issuer": issuer,
        "client_id": client_id,
        "auth_url": auth_url,
        "token_url": token_url,
        "jwks_url": jwks_url,
        "deployment_ids": deployment_ids,
    }
    try:
        row = platforms.register_platform(
            db,
            name=name,
            issuer=issuer,
            client_id=client_id,
            auth_url=auth_url,
            token_url=token_url,
            jwks_url=jwks_url,
            deployment_ids=deployment_ids,
        )
    except CrisisError as exc:
        db.rollback()
        return _platforms_page(request, db, exc.status_code, error=str(exc), form=form)
    db.commit()
    return _platforms_page(
        request, db, message=_("Platform %(name)s registered.") % {"name": row.name}
    )


@router.post("/lti/registration-links")
def registration_link(
    request: Request,
    user: User = Depends(require_roles("admin")),
    db: Session = Depends(get_db),
) -> Response:
    """A one-time address for LTI Dynamic Registration, shown once."""
    key = platforms.new_registration_link(db, user)
    db.commit()
    address = platforms.registration_address(request.app.state.settings.public_url, key)
    return _platforms_page(request, db, new_link=address)


@router.post("/lti/{platform_id}/deployments")
def platform_deployments(
    request: Request,
    platform_id: Id,
    deployment_ids: Annotated[str, Form(max_length=5000)] = "",
    db: Session = Depends(get_db),
) -> Response:
    try:
        platforms.set_deployments(db, platform_id, deployment_ids)
    except CrisisError as exc:
        db.rollback()
        return _platforms_page(request, db, exc.status_code, error=str(exc))
    db.commit()
    return _platforms_page(request, db, message=_("Deployment ids saved."))


@router.post("/lti/{platform_id}/delete")
def platform_delete(request: Request, platform_id: Id, db: Session = Depends(get_db)) -> Response:
    try:
        store.delete_platform(db, platform_id)
    except CrisisError as exc:
        db.rollback()
        return _platforms_page(request, db, exc.status_code, error=str(exc))
    db.commit()
    return _platforms_page(request, db, message=_("Platform removed."))


@router.post("/lti/rotate-key")
def rotate_key(request: Request, db: Session = Depends(get_db)) -> Response:
    fresh, removed = tool_keys.rotate(request.app.state.settings.data_dir)
    return _platforms_page(
        request,
        db,
        message=_("New signing key %(kid)s; %(n)d old key(s) withdrawn.")
        % {"kid": fresh.kid, "n": len(removed)},
    )


def _outbox_page(
    request: Request, db: Session, status: str = "", status_code: int = 200, **context: object
) -> Response:
    counts = store.outbox_counts(db)
    return render(
        request,
        "admin_outbox.html",
        {
            "rows": store.outbox(db, status if status in STATUSES else None),
            "counts": counts,
            "statuses": STATUSES,
            "status": status if status in STATUSES else "",
            "lrs": request.app.state.settings.lrs_url,
            **context,
        },
        status_code=status_code,
    )


@router.get("/outbox")
def outbox(request: Request, status: str = "", db: Session = Depends(get_db)) -> Response:
    return _outbox_page(request, db, status)


@router.post("/outbox/deliver")
def deliver_now(request: Request, db: Session = Depends(get_db)) -> Response:
    app = request.app.state
    used = in_use(request, db)
    db.rollback()  # the pass opens its own short transactions
    report = delivery.run_once(app.sessionmaker, app.settings, used.catalogue, app.lti_activities)
    return _outbox_page(
        request,
        db,
        message=_("Sent %(s)d. In the outbox now: %(d)d delivered, %(w)d waiting, %(r)d refused.")
        % {"s": report.sent, "d": report.delivered, "w": report.waiting, "r": report.refused},
    )


@router.post("/outbox/{message_id}/retry")
def retry(request: Request, message_id: Id, db: Session = Depends(get_db)) -> Response:
    try:
        delivery.retry(db, message_id)
    except CrisisError as exc:
        db.rollback()
        return _outbox_page(request, db, status_code=exc.status_code, error=str(exc))
    db.commit()
    return _outbox_page(request, db, message=_("It will be sent at the next pass."))
