"""Pages open to everyone: about, the glossary, and the language choice of a visitor.

They look the same to every visitor who is not signed in, so they carry no CSRF token and
may be kept by browsers and shared caches (:func:`crisis.web.rendering.cacheable`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from crisis.exceptions import CrisisError
from crisis.settings import LANGUAGES
from crisis.store.tables import User
from crisis.web.glossary import bundled_glossary
from crisis.web.i18n import LANGUAGE_COOKIE
from crisis.web.rendering import page_language, render
from crisis.web.security import optional_user

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed (no open redirects)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return "/"
    return target


@router.get("/about")
def about(request: Request, user: User | None = Depends(optional_user)) -> Response:
    return render(request, "public/about.html", public=True)


@router.get("/glossary")
def glossary(request: Request, user: User | None = Depends(optional_user)) -> Response:
    lang = page_language(request)
    entries = bundled_glossary().entries(lang)
    return render(request, "public/glossary.html", {"entries": entries}, public=True)


@router.get("/language")
def choose_language(
    request: Request,
    language: str = "",
    next: str = "/",
    user: User | None = Depends(optional_user),
) -> Response:
    """A visitor's language choice without a form token: it only sets the language cookie.

    A signed-in user's account language changes through the ``POST`` form, which is protected.
    """
    if language not in LANGUAGES:
        raise CrisisError(f"language {language[:20]!r}: expected one of {', '.join(LANGUAGES)}")
    response = RedirectResponse(safe_next(next[:2000]), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 86400,
        samesite="lax",
        secure=request.url.scheme == "https" or request.app.state.settings.secure_cookies,
    )
    return response
