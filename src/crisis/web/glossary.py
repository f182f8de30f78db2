"""The glossary as pages show it: the glossary page and inline explanations of terms.

The terms are the project's glossary (:mod:`crisis.i18n.glossary`,
``crisis/i18n/data/glossary.yaml``): for each term its word and a short definition in each
language.

In a template, ``term("theta")`` writes the term's word with a small button; focusing or
tapping the button shows the definition, and screen readers hear it as the button's
description. ``term("theta", "θ")`` shows another label for the same term.
"""

from __future__ import annotations

import contextvars
import functools
import unicodedata
from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup, escape

from crisis.exceptions import ContentError
from crisis.i18n import Glossary as Terms
from crisis.i18n import bundled_glossary as bundled_terms
from crisis.web import i18n

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
    """The glossary's terms as a page shows them: word and definition in one language."""

    def __init__(self, terms: Terms) -> None:
        self._terms = {t.id: t for t in terms.terms}

    def __contains__(self, term_id: object) -> bool:
        return term_id in self._terms

    def entry(self, term_id: str, lang: str) -> Entry:
        """The term in ``lang`` (English for a language the glossary does not have).

        Raises:
            ContentError: the glossary has no such term.
        """
        try:
            found = self._terms[term_id]
        except KeyError:
            raise ContentError(f"the glossary has no term {term_id!r}") from None
        shown = found.rendering(lang) if lang in ("el", "de", "pt") else found.en
        return Entry(term_id, shown.term, " ".join(shown.definition.split()))

    def entries(self, lang: str) -> list[Entry]:
        """Every term in ``lang``, in alphabetical order of the word (accents ignored)."""
        return sorted((self.entry(t, lang) for t in self._terms), key=lambda e: _sort_key(e.term))


def _sort_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=1)
def bundled_glossary() -> Glossary:
    """The glossary that ships with CRISIS (read once)."""
    return Glossary(bundled_terms())


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
