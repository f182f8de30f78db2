"""The interface's gettext catalogues as text fields: each message id with its translations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from crisis.i18n.content import LANGUAGES, TextField, package_files, shown


def catalogue_files(locale: Path | None = None) -> dict[str, Path]:
    """``{lang: messages.po}`` of a ``locale`` folder (the web interface's by default)."""
    paths = (
        package_files("crisis.web", "locale/*/LC_MESSAGES/messages.po")
        if locale is None
        else sorted(locale.glob("*/LC_MESSAGES/messages.po"))
    )
    return {path.parent.parent.name: path for path in paths}


def catalogue_fields(locale: Path | None = None) -> Iterator[TextField]:
    """One field per message of the English catalogue, with every language's translation.

    The English catalogue lists every message (its ``msgstr`` is the English text); a message
    whose translation is empty or absent in a language is missing there. Plural messages count
    as translated only when every plural form is.
    """
    from babel.messages.pofile import read_po

    files = catalogue_files(locale)
    if "en" not in files:
        return
    catalogues = {}
    for lang, path in files.items():
        with path.open("rb") as fh:
            catalogues[lang] = read_po(fh, locale=lang)
    english = catalogues["en"]
    for message in english:
        if not message.id:
            continue
        key = message.id
        source = key if isinstance(key, str) else key[0]
        texts: dict[str, str] = {"en": source}
        where: dict[str, str] = {}
        for lang in LANGUAGES[1:]:
            catalogue = catalogues.get(lang)
            if catalogue is None:
                where[lang] = f"{shown(files['en'].parents[2])}/{lang}/LC_MESSAGES/messages.po"
                continue
            where[lang] = shown(files[lang])
            translated = catalogue.get(key)
            value = translated.string if translated is not None else ""
            if isinstance(value, tuple | list):
                value = value[0] if all(s.strip() for s in value) and value else ""
            if value and value.strip():
                texts[lang] = value
        yield TextField(shown(files["en"]), message.lineno, _shorten(source), texts, where)


def _shorten(text: str, width: int = 70) -> str:
    one_line = " ".join(text.split())
    return f'msgid "{one_line if len(one_line) <= width else one_line[: width - 1] + "…"}"'
