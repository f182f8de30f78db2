"""The glossary as pages show it: the glossary page and inline explanations of terms.

The terms are data, ``crisis/i18n/data/glossary.yaml``: for each term its word and a short
definition in each language (English required, the others fall back to it). Other keys of an
entry (the translation check's ``match``, ``forms``, ``avoid``, ``note``) are not shown here.

In a template, ``term("theta")`` writes the term's word with a small button; focusing or
tapping the button shows the definition, and screen readers hear it as the button's
description. ``term("theta", "θ")`` shows another label for the same term.
"""

from __future__ import annotations

import contextvars
import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import pass_context
from markupsafe import Markup, escape

from crisis.exceptions import ContentError
from crisis.settings import LANGUAGES
from crisis.web import i18n

GLOSSARY_FILE = Path(__file__).resolve().parents[1] / "i18n" / "data" / "glossary.yaml"
#: The page being rendered: its language, and how often each term was explained on it.
_page: contextvars.ContextVar[tuple[str, dict[str, int]] | None] = contextvars.ContextVar(
    "crisis_terms_page", default=None
)


def new_page(lang: str) -> None:
    """Start a page in ``lang``: explanation ids are unique within a page and the same on
    every rendering of it (so that a page's ETag does not change between requests)."""
    _page.set((lang, {}))


@dataclass(frozen=True)
class Entry:
    """One term in one language."""

    id: str
    term: str
    definition: str


class Glossary:
    """Terms by id, each with its word and definition per language."""

    def __init__(self, terms: dict[str, dict[str, Entry]]) -> None:
        self.terms = terms

    def __contains__(self, term_id: object) -> bool:
        return term_id in self.terms

    def entry(self, term_id: str, lang: str) -> Entry:
        """The term in ``lang`` (English where it has no translation).

        Raises:
            ContentError: the glossary has no such term.
        """
        try:
            forms = self.terms[term_id]
        except KeyError:
            raise ContentError(f"the glossary has no term {term_id!r}") from None
        return forms.get(lang) or forms["en"]

    def entries(self, lang: str) -> list[Entry]:
        """Every term in ``lang``, in alphabetical order of the word (accents ignored)."""
        return sorted((self.entry(t, lang) for t in self.terms), key=lambda e: _sort_key(e.term))


def _sort_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def load_glossary(path: Path) -> Glossary:
    """Read and check a glossary file; errors name the file and the term.

    Raises:
        ContentError: not YAML, or an entry without an id, an English word or a definition.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ContentError(f"{path.name}: cannot be read as YAML ({exc})") from None
    items = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ContentError(f"{path.name}: expected a mapping with a list 'terms'")
    terms: dict[str, dict[str, Entry]] = {}
    for k, item in enumerate(items):
        where = f"{path.name}: terms[{k}]"
        term_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(term_id, str) or not term_id:
            raise ContentError(f"{where}: every term needs an 'id'")
        if term_id in terms:
            raise ContentError(f"{where}: term id {term_id!r} appears twice")
        forms: dict[str, Entry] = {}
        for lang in LANGUAGES:
            value = item.get(lang)
            if value is None and lang != "en":
                continue
            if not isinstance(value, dict) or not all(
                isinstance(value.get(key), str) and value[key].strip()
                for key in ("term", "definition")
            ):
                raise ContentError(f"{where} ({term_id}): '{lang}' needs a term and a definition")
            forms[lang] = Entry(
                term_id, value["term"].strip(), " ".join(value["definition"].split())
            )
        terms[term_id] = forms
    return Glossary(terms)


@functools.lru_cache(maxsize=1)
def bundled_glossary() -> Glossary:
    """The glossary that ships with CRISIS (read once)."""
    return load_glossary(GLOSSARY_FILE)


@pass_context
def term(context: Any, term_id: str, label: str | None = None) -> Markup:
    """The term (or ``label``) with an explanation that keyboard, touch and screen readers reach.

    Macros imported without context see no ``lang``; the page's language is used there.
    """
    page = _page.get()
    if page is None:
        page = (context.get("lang", "en"), {})
        _page.set(page)
    lang, seen = page
    entry = bundled_glossary().entry(term_id, context.get("lang", lang))
    shown = label if label is not None else entry.term
    seen[term_id] = seen.get(term_id, 0) + 1
    tip = f"tip-{term_id}-{seen[term_id]}"
    question = i18n.gettext("What does “%(term)s” mean?") % {"term": entry.term}
    return Markup(
        '<span class="term">{shown}<button type="button" class="term-button" '
        'aria-describedby="{tip}" aria-label="{question}" data-glossary="{id}">?</button>'
        '<span class="term-tip" role="tooltip" id="{tip}"><strong>{word}</strong>: '
        "{definition}</span></span>"
    ).format(
        shown=escape(shown),
        tip=tip,
        question=escape(question),
        id=escape(term_id),
        word=escape(entry.term),
        definition=escape(entry.definition),
    )
