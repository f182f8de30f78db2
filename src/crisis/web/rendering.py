"""Server-rendered pages: one Jinja2 environment with gettext, shared by every router."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from crisis import __version__
from crisis.web import i18n
from crisis.web.i18n import N_
from crisis.web.security import csrf_token

TEMPLATES = Path(__file__).parent / "templates"

#: The main navigation: (path, label, roles that see it; empty = every signed-in user).
NAVIGATION: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/competences", N_("Competences"), ()),
    ("/learning", N_("My learning"), ("learner", "instructor")),
    ("/exercises", N_("Exercises"), ("learner", "instructor")),
    ("/credentials", N_("Credentials"), ("learner", "instructor")),
    ("/workbench", N_("Workbench"), ("analyst",)),
    ("/admin/users", N_("Admin"), ("admin",)),
)
#: Role names as shown to people.
ROLE_LABELS = (N_("learner"), N_("instructor"), N_("analyst"), N_("admin"))


def make_environment(extra_template_dirs: tuple[Path, ...] = ()) -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(TEMPLATES), *(str(p) for p in extra_template_dirs)]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["version"] = __version__
    env.globals["languages"] = i18n.LANGUAGE_NAMES
    return env


def visible_navigation(user: Any) -> list[tuple[str, str]]:
    if user is None:
        return []
    return [
        (path, label)
        for path, label, roles in NAVIGATION
        if not roles or user.role == "admin" or user.role in roles
    ]


def page_language(request: Request) -> str:
    user = getattr(request.state, "user", None)
    settings = request.app.state.settings
    return i18n.negotiate(
        request, user.language if user is not None else None, settings.default_language
    )


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render ``template`` in the request's language with the shared page context."""
    lang = page_language(request)
    i18n.activate(request.app.state.catalogs[lang])
    user = getattr(request.state, "user", None)
    values = {
        "request": request,
        "user": user,
        "lang": lang,
        "csrf_token": csrf_token(request),
        "navigation": visible_navigation(user),
        "current_path": request.url.path,
        **(context or {}),
    }
    html = request.app.state.jinja.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)
