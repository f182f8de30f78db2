"""The glossary: one rendering of each term per language, and the check that holds it.

The check reads a translation against its English source. It finds every glossary rendering
(accepted form or avoided one) in the translation, keeping the longest where they overlap, so
that Greek «επικινδυνότητα» is one find and not also «κίνδυνος» inside it. A find is flagged
when it is an *avoided* rendering of a term whose English word is in the source and no term
present in the source accepts that same text: «κίνδυνος» for "hazard" is flagged, but not in
a sentence that also speaks of "risk". In a short label (a few words) the term cannot have been
paraphrased away, so a label whose source has the term must also contain an accepted form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from crisis.competences.sources import parse_yaml
from crisis.exceptions import ContentError

#: The languages a glossary term is rendered in; English is the source language.
TRANSLATED: tuple[str, ...] = ("el", "de", "pt")
#: A source text of at most this many words is a label: its terms must appear as such.
LABEL_WORDS = 5

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdif]|%[sdif]|\{[a-z_]*\}")


def normalise(text: str) -> str:
    """Lower case without accents, final sigma folded, so that forms match any inflection."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("ς", "σ")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnglishEntry(_Model):
    """The English term: its definition and the words that mark it in a source text."""

    term: _Text
    definition: _Text
    match: list[_Text] = []


class Rendering(_Model):
    """A term in one language: the rendering to use and the ones to avoid."""

    term: _Text
    definition: _Text
    forms: list[_Text] = []
    avoid: list[_Text] = []
    note: str | None = None

    @property
    def accepted(self) -> list[str]:
        """Accepted forms, normalised (the term itself when none are listed)."""
        return [normalise(form) for form in (self.forms or [self.term])]


class Term(_Model):
    """One glossary term in English and each translated language."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    en: EnglishEntry
    el: Rendering
    de: Rendering
    pt: Rendering

    def rendering(self, lang: str) -> Rendering:
        """The rendering in ``lang`` (one of :data:`TRANSLATED`)."""
        value: Rendering = getattr(self, lang)
        return value

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        """Whole-word pattern of the English ``match`` words, or ``None`` when unchecked."""
        if not self.en.match:
            return None
        words = sorted((normalise(w) for w in self.en.match), key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")


class Glossary(_Model):
    """The glossary: terms with unique ids."""

    terms: list[Term]

    @model_validator(mode="after")
    def _unique(self) -> Glossary:
        seen: set[str] = set()
        for term in self.terms:
            if term.id in seen:
                raise ValueError(f"term id {term.id!r} appears twice")
            seen.add(term.id)
        return self

    def term(self, term_id: str) -> Term:
        """The term with ``term_id``.

        Raises:
            ContentError: no such term.
        """
        for term in self.terms:
            if term.id == term_id:
                return term
        raise ContentError(f"the glossary has no term {term_id!r}")

    def rendering(self, term_id: str, lang: str) -> str:
        """The term ``term_id`` as written in ``lang`` (English included)."""
        term = self.term(term_id)
        return term.en.term if lang == "en" else term.rendering(lang).term


@dataclass(frozen=True)
class Finding:
    """A glossary term rendered otherwise in one translated text."""

    term: str
    lang: str
    found: str | None
    expected: str

    def __str__(self) -> str:
        if self.found is None:
            return f"'{self.term}' should be rendered «{self.expected}»"
        return f"«{self.found}» for '{self.term}'; the glossary says «{self.expected}»"


@dataclass(frozen=True)
class _Form:
    text: str
    term: Term
    accepted: bool


class GlossaryChecker:
    """Checks translations against a glossary (see the module docstring for the rule)."""

    def __init__(self, glossary: Glossary) -> None:
        self.glossary = glossary
        self._forms: dict[str, list[_Form]] = {}
        for lang in TRANSLATED:
            forms = [
                _Form(text, term, accepted)
                for term in glossary.terms
                for accepted, texts in (
                    (True, term.rendering(lang).accepted),
                    (False, [normalise(a) for a in term.rendering(lang).avoid]),
                )
                for text in texts
            ]
            self._forms[lang] = forms

    def terms_in(self, english: str) -> list[Term]:
        """The checked glossary terms whose English words occur in ``english``."""
        text = normalise(_PLACEHOLDER.sub(" ", english))
        return [t for t in self.glossary.terms if t.pattern is not None and t.pattern.search(text)]

    def _finds(self, text: str, lang: str) -> Iterator[tuple[int, int, list[_Form]]]:
        spans: dict[tuple[int, int], list[_Form]] = {}
        for form in self._forms[lang]:
            start = text.find(form.text)
            while start >= 0:
                spans.setdefault((start, start + len(form.text)), []).append(form)
                start = text.find(form.text, start + 1)
        # Leftmost-longest: a find inside a longer one belongs to the longer one.
        end = -1
        for span in sorted(spans, key=lambda span: (span[0], span[0] - span[1])):
            if span[0] >= end:
                end = span[1]
                yield span[0], span[1], spans[span]

    def check(self, english: str, translation: str, lang: str) -> list[Finding]:
        """Findings for ``translation`` (in ``lang``) of the English text ``english``."""
        if lang not in TRANSLATED or not english or not translation:
            return []
        present = self.terms_in(english)
        if not present:
            return []
        ids = {term.id for term in present}
        text = normalise(translation)
        findings: list[Finding] = []
        for start, end, forms in self._finds(text, lang):
            if any(f.accepted and f.term.id in ids for f in forms):
                continue
            for form in forms:
                if not form.accepted and form.term.id in ids:
                    found = _original(translation, text, start, end)
                    expected = form.term.rendering(lang).term
                    findings.append(Finding(form.term.en.term, lang, found, expected))
                    break
        if not findings and _words(english) <= LABEL_WORDS:
            for term in present:
                if not any(form in text for form in term.rendering(lang).accepted):
                    expected = term.rendering(lang).term
                    findings.append(Finding(term.en.term, lang, None, expected))
        return findings


def _words(text: str) -> int:
    return len(_PLACEHOLDER.sub(" ", text).split())


def _original(original: str, normalised: str, start: int, end: int) -> str:
    """The word of ``original`` around the normalised span ``start:end``."""
    # Normalising removes combining marks, so map positions back by re-normalising prefixes.
    position: dict[int, int] = {}
    count = 0
    for index, ch in enumerate(original):
        position.setdefault(count, index)
        count += len(normalise(ch))
    position.setdefault(count, len(original))
    left = position.get(start, 0)
    right = position.get(end, len(original))
    while left > 0 and (original[left - 1].isalnum() or original[left - 1] in "-'"):
        left -= 1
    while right < len(original) and (original[right].isalnum() or original[right] in "-"):
        right += 1
    return original[left:right]


def load_glossary(path: str | Path) -> Glossary:
    """Load and validate a glossary file.

    Raises:
        FormatError: the file cannot be read as YAML.
        ContentError: the file breaks the glossary format (each problem with file and line).
    """
    path = Path(path)
    if not path.is_file():
        raise ContentError(f"{path}: no such glossary file")
    source = parse_yaml(path.read_bytes(), path.name)
    from pydantic import ValidationError

    try:
        return Glossary.model_validate(source.data)
    except ValidationError as exc:
        errors = source.validation_errors(exc)
        raise ContentError(
            f"{len(errors)} problem(s) in the glossary", location=path.name, errors=errors
        ) from None


def bundled_path() -> Path:
    """The glossary shipped with CRISIS."""
    return Path(str(resources.files("crisis.i18n") / "data" / "glossary.yaml"))


@lru_cache(maxsize=1)
def bundled_glossary() -> Glossary:
    """The glossary shipped with CRISIS (validated once per process)."""
    return load_glossary(bundled_path())
