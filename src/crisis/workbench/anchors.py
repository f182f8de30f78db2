"""Written anchors for the 1–5 impact classes, one scale per impact dimension."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crisis.workbench._loading import Document, bundled_document, read_document
from crisis.workbench.taxonomy import Text

Dimension = Literal["people", "economy", "environment", "infrastructure", "society"]
DIMENSIONS: tuple[str, ...] = Dimension.__args__  # type: ignore[attr-defined]
LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)


class DimensionScale(BaseModel):
    """One dimension: its title and a written anchor for each level 1–5."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Text
    anchors: dict[int, Text]

    @model_validator(mode="after")
    def _every_level(self) -> DimensionScale:
        if sorted(self.anchors) != list(LEVELS):
            raise ValueError(f"anchors must cover levels 1–5 exactly, got {sorted(self.anchors)}")
        if any(not text.en.strip() for text in self.anchors.values()):
            raise ValueError("every anchor needs a written description")
        return self


class ImpactAnchors(BaseModel):
    """The impact scale: level titles and one :class:`DimensionScale` per dimension."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    levels: dict[int, Text]
    dimensions: dict[Dimension, DimensionScale] = Field()

    @model_validator(mode="after")
    def _complete(self) -> ImpactAnchors:
        if sorted(self.levels) != list(LEVELS):
            raise ValueError(f"levels must be 1–5 exactly, got {sorted(self.levels)}")
        missing = [d for d in DIMENSIONS if d not in self.dimensions]
        if missing:
            raise ValueError(f"dimensions missing: {', '.join(missing)}")
        return self

    def anchor(self, dimension: str, level: int, language: str = "en") -> str:
        """The written anchor of ``level`` on ``dimension``, in ``language``."""
        return self.dimensions[dimension].anchors[level].get(language)  # type: ignore[index]


class LikelihoodClass(BaseModel):
    """One likelihood class: a short label and the return periods it spans."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Text
    description: Text


class LikelihoodScale(BaseModel):
    """The five likelihood classes of the risk matrix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    classes: dict[int, LikelihoodClass]

    @model_validator(mode="after")
    def _complete(self) -> LikelihoodScale:
        if sorted(self.classes) != list(LEVELS):
            raise ValueError(f"classes must be 1–5 exactly, got {sorted(self.classes)}")
        return self

    def label(self, likelihood: int, language: str = "en") -> str:
        """ "likely (1 in 10–50 years)" for class 4, in ``language``."""
        entry = self.classes[likelihood]
        return f"{entry.label.get(language)} ({entry.description.get(language)})"


@lru_cache(maxsize=1)
def bundled_likelihood() -> LikelihoodScale:
    """The likelihood classes shipped with CRISIS."""
    return bundled_document("likelihood.yaml").validate(LikelihoodScale)


def _parse(document: Document) -> ImpactAnchors:
    return document.validate(ImpactAnchors)


@lru_cache(maxsize=1)
def bundled_anchors() -> ImpactAnchors:
    """The impact anchors shipped with CRISIS."""
    return _parse(bundled_document("impact_anchors.yaml"))


def load_anchors(path: str | Path) -> ImpactAnchors:
    """Load a city's own impact anchors, validated like the bundled ones."""
    return _parse(read_document(path))
