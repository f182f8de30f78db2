"""Server-rendered pages: one Jinja2 environment with gettext, shared by every router."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from crisis import __version__
from crisis.competences.text import Shown
from crisis.i18n import formats
from crisis.web import i18n
from crisis.web.i18n import N_
from crisis.web.security import csrf_token

TEMPLATES = Path(__file__).parent / "templates"

#: The main navigation: (path, label, roles that see it; empty = every signed-in user).
NAVIGATION: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/competences", N_("Competences"), ()),
    ("/learning", N_("My learning"), ("learner", "instructor")),
    ("/exercises", N_("Exercises"), ("learner", "instructor")),
    ("/workbench", N_("Workbench"), ("analyst",)),
    ("/admin/users", N_("Admin"), ("admin",)),
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
