"""The bundled taxonomy of shocks and chronic stresses a hazard register starts from."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crisis.competences.text import Shown
from crisis.exceptions import ContentError, NotFoundError
from crisis.workbench._loading import Document, bundled_document, read_document

LANGUAGES: tuple[str, ...] = ("en", "el", "de", "pt")
Category = Literal["natural", "technological", "biological", "social", "economic", "cyber"]
Kind = Literal["shock", "stress"]
SimulatorHazard = Literal[
    "earthquake", "flood", "heatwave", "epidemic", "cyber", "blackout", "drought"
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]


class Text(BaseModel):
    """A text in several languages: English required, the others written where available.

    In YAML: ``{en: ..., el: ..., de: ..., pt: ...}``, or a plain string taken as English (a
    city's own file may be in fewer languages; pages then mark the English passages).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str = Field(min_length=1)
    el: str | None = Field(default=None, min_length=1)
    de: str | None = Field(default=None, min_length=1)
    pt: str | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"en": value} if isinstance(value, str) else value

    def get(self, language: str) -> str:
        """Return the text in ``language``, falling back to English."""
        return str(getattr(self, language, None) or self.en) if language in LANGUAGES else self.en

    def resolve(self, language: str) -> tuple[str, str]:
        """The text to show in ``language`` and the language it is written in."""
        value = getattr(self, language, None) if language in LANGUAGES else None
        return (str(value), language) if value else (self.en, "en")

    def shown(self, language: str) -> Shown:
        """The text for ``language`` as a string that knows its language (see :class:`Shown`)."""
        return Shown(*self.resolve(language))

    def has(self, language: str) -> bool:
        """Whether a translation into ``language`` is present."""
        return language in LANGUAGES and bool(getattr(self, language, None))

    def __str__(self) -> str:
        return self.en


#: The former name of :class:`Text`, when every title had to be in all four languages.
Titles = Text


class TaxonomyEntry(BaseModel):
    """One shock or stress of the taxonomy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    category: Category
    kind: Kind
    title: Text
    description: Text
    simulator: SimulatorHazard | None = None


class Taxonomy(BaseModel):
    """The taxonomy: entries in file order, ids unique."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: tuple[TaxonomyEntry, ...]

    @field_validator("entries")
    @classmethod
    def _unique(cls, entries: tuple[TaxonomyEntry, ...]) -> tuple[TaxonomyEntry, ...]:
        seen: set[str] = set()
        for entry in entries:
            if entry.id in seen:
                raise ValueError(f"id {entry.id!r} appears twice")
            seen.add(entry.id)
        return entries

    def get(self, entry_id: str) -> TaxonomyEntry:
        """Return the entry with ``entry_id``.

        Raises:
            NotFoundError: No entry has that id.
        """
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise NotFoundError(f"taxonomy has no entry {entry_id!r}")

    def ids(self) -> frozenset[str]:
        """Every entry id."""
        return frozenset(entry.id for entry in self.entries)

    def by_category(self) -> dict[str, list[TaxonomyEntry]]:
        """Entries grouped by category, in the order of :data:`CATEGORIES`."""
        groups: dict[str, list[TaxonomyEntry]] = {c: [] for c in CATEGORIES}
        for entry in self.entries:
            groups[entry.category].append(entry)
        return groups


def _parse(document: Document) -> Taxonomy:
    if not isinstance(document.data, dict) or "entries" not in document.data:
        raise ContentError("expected a mapping with an 'entries' list", location=document.name)
    return document.validate(Taxonomy)


@lru_cache(maxsize=1)
def bundled_taxonomy() -> Taxonomy:
    """The taxonomy shipped with CRISIS."""
    return _parse(bundled_document("taxonomy.yaml"))


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Load a city's own taxonomy file, validated like the bundled one."""
    return _parse(read_document(path))
