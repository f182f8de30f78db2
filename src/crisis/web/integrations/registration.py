"""LTI Dynamic Registration pages: the LMS opens the address an admin made, the LMS
administrator confirms, CRISIS registers itself and tells the LMS to close the window.

The address itself is the admin's authority (one use, one day): the page runs in the LMS's
window or frame, where CRISIS's own sign-in and form cookies do not travel.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from crisis.integrations.lti import LaunchRefused
from crisis.web.i18n import gettext as _
from crisis.web.integrations import platforms
from crisis.web.integrations.lti import refused
from crisis.web.rendering import render
from crisis.web.security import SECURITY_HEADERS

router = APIRouter(include_in_schema=False)
Key = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Field = Annotated[str, Form(max_length=2000)]


def _framed_by(response: Response, configuration_url: str) -> Response:
    """Let the platform show the page in its frame (LMSs open registration in an iframe)."""
    parts = urlsplit(configuration_url)
    if parts.scheme in ("http", "https") and parts.netloc:
        csp = SECURITY_HEADERS["Content-Security-Policy"]
        response.headers["Content-Security-Policy"] = csp.replace(
            "frame-ancestors 'none'", f"frame-ancestors 'self' {parts.scheme}://{parts.netloc}"
        )
    return response


def _refused(request: Request, exc: LaunchRefused) -> Response:
    return refused(request, exc, _("LTI registration refused"))


@router.get("/lti/register/{key}")
def registration_page(
    request: Request,
    key: Key,
    openid_configuration: str = "",
    registration_token: str = "",
) -> Response:
    """What the LMS opens: the platform's configuration read and the registration offered."""
    app = request.app.state
    if not openid_configuration:
        exc = LaunchRefused(
            "configuration",
            "open this address from the LMS's tool registration (it adds openid_configuration)",
        )
        return _refused(request, exc)
    try:
        offer = platforms.preview(
            app.readers, app.settings, key, openid_configuration, registration_token
        )
    except LaunchRefused as exc:
        return _framed_by(_refused(request, exc), openid_configuration)
    response = render(
        request,
        "lti_register.html",
        {
            "offer": offer,
            "key": key,
            "openid_configuration": openid_configuration,
            "registration_token": registration_token,
            "tool_configuration": offer.request[
                "https://purl.imsglobal.org/spec/lti-tool-configuration"
            ],
        },
    )
    return _framed_by(response, openid_configuration)


@router.post("/lti/register/{key}")
def register(
    request: Request,
    key: Key,
    openid_configuration: Field = "",
    registration_token: Field = "",
) -> Response:
    """Register with the platform and store it; the page then closes the LMS's window."""
    app = request.app.state
    try:
        platform = platforms.register_dynamically(
            app.sessionmaker, app.settings, key, openid_configuration, registration_token
        )
    except LaunchRefused as exc:
        return _framed_by(_refused(request, exc), openid_configuration)
    response = render(request, "lti_registered.html", {"platform": platform})
    return _framed_by(response, openid_configuration)
