"""Server-rendered pages: one Jinja2 environment with gettext, shared by every router."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from crisis import __version__
from crisis.competences.text import Shown
from crisis.i18n import formats
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
    ("/credentials", N_("Credentials"), ("learner", "instructor")),
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


def _resolve(text: Any, lang: str) -> tuple[str, str | None]:
    """(text, the language it is written in) of a content text; ``None`` when unknown."""
    if text is None:
        return "", None
    if isinstance(text, Shown):
        return str(text), text.lang
    resolve = getattr(text, "resolve", None)
    if resolve is not None:
        value, used = resolve(lang)
        return str(value), str(used)
    return str(text), None


def _badge_title(used: str) -> str:
    return i18n.gettext("Not available in your language; shown in %(language)s") % {
        "language": i18n.LANGUAGE_NAMES.get(used, used)
    }


@pass_context
def local(context: Context, text: Any, lang: str | None = None) -> Markup:
    """A content text in the page's language, or its English text marked as a fallback.

    The fallback passage carries ``lang="en"`` (screen readers switch voice) and a small
    visible "EN" badge, so a page never mixes languages silently (docs/languages.md).
    """
    wanted = lang or str(context.get("lang", "en"))
    value, used = _resolve(text, wanted)
    if used is None or used == wanted:
        return escape(value)
    return Markup(
        '<span class="fallback" lang="{lang}"><abbr class="lang-badge" title="{title}">'
        "{code}</abbr> {text}</span>"
    ).format(lang=used, title=_badge_title(used), code=used.upper(), text=value)


@pass_context
def local_plain(context: Context, text: Any, lang: str | None = None) -> str:
    """Like :func:`local` for places that take plain text (titles, attributes, options):
    a fallback ends with its language code in brackets, "Flood [EN]"."""
    wanted = lang or str(context.get("lang", "en"))
    value, used = _resolve(text, wanted)
    if used is None or used == wanted:
        return value
    return f"{value} [{used.upper()}]"


@pass_context
def user_text(context: Context, text: Any) -> Markup:
    """A text a workspace's team wrote (hazard titles, owners, labels), marked with the
    workspace's language when the page is in another one; plain when that is unknown."""
    if text is None or text == "":
        return Markup("")
    written_in = getattr(context.get("acc"), "language", None)
    if written_in is None:
        return escape(text)
    return local(context, Shown(str(text), str(written_in)))


@pass_context
def user_plain(context: Context, text: Any) -> str:
    """:func:`user_text` for places that take plain text (options, titles, tooltips)."""
    if text is None or text == "":
        return ""
    written_in = getattr(context.get("acc"), "language", None)
    if written_in is None:
        return str(text)
    return local_plain(context, Shown(str(text), str(written_in)))


def _formatter(function: Any) -> Any:
    @pass_context
    def format_in_page_language(context: Context, value: Any, *args: Any, **kw: Any) -> str:
        if value is None or value == "":
            return ""
        return str(function(value, str(context.get("lang", "en")), *args, **kw))

    return format_in_page_language


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
    env.globals["local"] = local
    env.globals["local_plain"] = local_plain
    env.globals["user_text"] = user_text
    env.globals["shown_in"] = Shown
    env.globals["user_plain"] = user_plain
    env.globals["format_date"] = _formatter(formats.format_date)
    env.globals["format_number"] = _formatter(formats.format_number)
    env.globals["format_percent"] = _formatter(formats.format_percent)
    env.globals["format_money"] = _formatter(formats.format_money)
    return env


#: Names with hyphens (``bus-46``, ``scada-water``, ``junction-187``) that must not be split
#: at a line end.
_HYPHENATED = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+")


def unbroken_names(text: str) -> Markup:
    """``text`` with each hyphenated name kept on one line; plain text is escaped first, and
    in markup only the text between tags is touched."""
    marked = text if isinstance(text, Markup) else escape(text)
    out = []
    for part in re.split(r"(<[^>]*>)", str(marked)):
        if part.startswith("<"):
            out.append(part)
        else:
            out.append(_HYPHENATED.sub(r'<span class="nowrap">\g<0></span>', part))
    return Markup("".join(out))


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
