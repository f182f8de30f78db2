"""The bundled taxonomy of shocks and chronic stresses a hazard register starts from."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crisis.exceptions import ContentError, NotFoundError
from crisis.workbench._loading import Document, bundled_document, read_document

LANGUAGES: tuple[str, ...] = ("en", "el", "de", "pt")
Category = Literal["natural", "technological", "biological", "social", "economic", "cyber"]
Kind = Literal["shock", "stress"]
SimulatorHazard = Literal[
    "earthquake", "flood", "heatwave", "epidemic", "cyber", "blackout", "drought"
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]


class Titles(BaseModel):
    """A title in every language the platform ships (English required, others expected)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str = Field(min_length=1)
    el: str = Field(min_length=1)
    de: str = Field(min_length=1)
    pt: str = Field(min_length=1)

    def get(self, language: str) -> str:
        """Return the title in ``language``, falling back to English."""
        return str(getattr(self, language, None) or self.en)


class TaxonomyEntry(BaseModel):
    """One shock or stress of the taxonomy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    category: Category
    kind: Kind
    title: Titles
    description: str = Field(min_length=1)
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
