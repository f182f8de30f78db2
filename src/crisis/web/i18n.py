"""Interface languages: gettext catalogs (Babel ``.po`` files) for en, el, de and pt."""

from __future__ import annotations

import contextvars
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

from crisis.settings import LANGUAGES

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGE_NAMES = {"en": "English", "el": "Ελληνικά", "de": "Deutsch", "pt": "Português"}
LANGUAGE_COOKIE = "crisis_lang"

_current: contextvars.ContextVar[Translations | None] = contextvars.ContextVar(
    "crisis_translations", default=None
)


#: Compiled catalogs by file, kept while the file is unchanged (its size and modification time).
_compiled: dict[Path, tuple[tuple[int, int], Translations]] = {}


def load_catalogs(locale_dir: Path = LOCALE_DIR) -> dict[str, Translations]:
    """Compile every language's ``messages.po`` in memory (no compiled files are shipped).

    Compiling takes a noticeable fraction of a second per language, so a catalog is compiled
    once per process and reused by every app made later until its file changes. The
    translations are only read after compiling, so apps can share them.
    """
    catalogs: dict[str, Translations] = {}
    for lang in LANGUAGES:
        po = locale_dir / lang / "LC_MESSAGES" / "messages.po"
        stat = po.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        known = _compiled.get(po)
        if known is not None and known[0] == stamp:
            catalogs[lang] = known[1]
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        catalogs[lang] = Translations(fp=buffer, domain="messages")
        _compiled[po] = (stamp, catalogs[lang])
    return catalogs


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; translate it where it is shown."""
    return message


def activate(translations: Translations) -> None:
    _current.set(translations)


def gettext(message: str) -> str:
    translations = _current.get()
    return translations.gettext(message) if translations else message


def ngettext(singular: str, plural: str, n: int) -> str:
    translations = _current.get()
    if translations:
        return translations.ngettext(singular, plural, n)
    return singular if n == 1 else plural


def negotiate(request: Request, user_language: str | None, default: str) -> str:
    """Pick the language: the account's choice, then the cookie, then the browser, then default."""
    for candidate in (user_language, request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    header = request.headers.get("accept-language", "")
    weighted: list[tuple[float, str]] = []
    for part in header.split(","):
        pieces = part.strip().split(";q=")
        tag = pieces[0].strip().lower()[:2]
        try:
            quality = float(pieces[1]) if len(pieces) > 1 else 1.0
        except ValueError:
            continue
        if tag in LANGUAGES:
            weighted.append((quality, tag))
    if weighted:
        return max(weighted)[1]
    return default
