"""Server-rendered pages: one Jinja2 environment with gettext, shared by every router."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from crisis import __version__
from crisis.web import i18n
from crisis.web.glossary import new_page, term
from crisis.web.i18n import N_
from crisis.web.security import csrf_token

TEMPLATES = Path(__file__).parent / "templates"

#: The main navigation: (path, label, roles that see it; empty = every signed-in user).
#: A role sees only what it may open: the same roles guard each section's pages.
NAVIGATION: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/competences", N_("Competences"), ()),
    ("/learning", N_("My learning"), ("learner", "instructor")),
    ("/exercises", N_("Exercises"), ("learner", "instructor")),
    ("/workbench", N_("Workbench"), ("analyst",)),
    ("/admin/users", N_("Admin"), ("admin",)),
)
#: The navigation of a visitor who is not signed in: the public pages.
PUBLIC_NAVIGATION: tuple[tuple[str, str], ...] = (
    ("/competences", N_("Competences")),
    ("/demo", N_("Try an exercise")),
    ("/about", N_("About")),
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
    env.globals["term"] = term
    env.filters["unbroken_names"] = unbroken_names
    return env


#: Names with hyphens (``bus-46``, ``scada-water``, ``junction-187``) that must not be split
#: at a line end.
_HYPHENATED = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+")


def unbroken_names(text: str) -> Markup:
    """``text`` escaped, with each hyphenated name kept on one line."""
    out, last = [], 0
    for m in _HYPHENATED.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(Markup('<span class="nowrap">{}</span>').format(m.group(0)))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def may_open(user: Any, path: str) -> bool:
    """Whether the section at ``path`` of :data:`NAVIGATION` admits ``user``."""
    for section, _label, roles in NAVIGATION:
        if path == section or path.startswith(section + "/"):
            return user is not None and (not roles or user.role == "admin" or user.role in roles)
    return True


def visible_navigation(user: Any) -> list[tuple[str, str]]:
    if user is None:
        return list(PUBLIC_NAVIGATION)
    return [(path, label) for path, label, _roles in NAVIGATION if may_open(user, path)]


def page_language(request: Request) -> str:
    user = getattr(request.state, "user", None)
    settings = request.app.state.settings
    return i18n.negotiate(
        request, user.language if user is not None else None, settings.default_language
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    *,
    public: bool = False,
) -> Response:
    """Render ``template`` in the request's language with the shared page context.

    Args:
        public: The page is the same for every visitor who is not signed in. Such a visitor
            gets it without a CSRF token or cookie and with headers that let browsers and
            shared caches keep it (:func:`cacheable`).
    """
    lang = page_language(request)
    i18n.activate(request.app.state.catalogs[lang])
    user = getattr(request.state, "user", None)
    shared = public and user is None
    values = {
        "request": request,
        "user": user,
        "lang": lang,
        "csrf_token": "" if shared else csrf_token(request),
        "navigation": visible_navigation(user),
        "current_path": request.url.path,
        "may_open": lambda path: may_open(user, path),
        **(context or {}),
    }
    new_page(lang)
    html = request.app.state.jinja.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    if shared and status_code == 200:
        return cacheable(request, response)
    return response


#: How long browsers and shared caches may keep a public page before asking again.
PUBLIC_MAX_AGE = 300


def cacheable(request: Request, response: Response) -> Response:
    """Mark a page that is the same for every anonymous visitor as cacheable, with an ETag.

    The page still varies with the language (cookie or ``Accept-Language``) and with a
    session cookie, so caches key it on those. A matching ``If-None-Match`` gets a bodiless 304.
    """
    tag = '"' + hashlib.sha256(bytes(response.body)).hexdigest()[:20] + '"'
    headers = {
        "Cache-Control": f"public, max-age={PUBLIC_MAX_AGE}",
        "Vary": "Accept-Language, Cookie",
        "ETag": tag,
    }
    asked = request.headers.get("if-none-match", "")
    if tag in (t.strip() for t in asked.split(",")):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response
