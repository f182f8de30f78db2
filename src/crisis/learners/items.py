"""The item bank of the knowledge test: multiple-choice and scenario questions per competence.

Items are YAML, one file per competence is the convention (``data/items/C01.yaml`` …)::

    competence: C01            # default for the items below
    items:
      - id: C01-01
        level: 2               # the proficiency level the item probes, 1..4
        kind: scenario         # or multiple-choice (the default)
        scenario: A river city …   # the situation (scenario items)
        stem: Which step comes first?
        options: [..., ..., ..., ...]
        answer: b              # letter of the correct option
        explanation: Why b is right and the others are not.
        translations: {el: {}, de: {}, pt: {}}   # per language: scenario, stem, options,
                                                  # explanation; missing → English

IRT parameters (2PL) start from the level unless the item gives ``irt: {a: …, b: …}``:
discrimination ``a = 1.5``; difficulty ``b = -1.5, -0.5, 0.5, 1.5`` for levels 1..4, equal to
the cut scores of :data:`crisis.learners.cat.CUT_SCORES`: a learner at the lower edge of a
level answers that level's items correctly half of the time. ``crisis items calibrate``
re-estimates them from stored responses; :func:`apply_calibration` applies the result.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crisis.competences.models import Catalogue
from crisis.competences.sources import Source, parse_yaml
from crisis.competences.text import LocalText
from crisis.exceptions import ContentError, FormatError

#: Initial difficulty per level; see the module docstring.
LEVEL_DIFFICULTY: dict[int, float] = {1: -1.5, 2: -0.5, 3: 0.5, 4: 1.5}
#: Initial discrimination of every item.
INITIAL_DISCRIMINATION = 1.5
#: Languages an item may be translated into.
TRANSLATIONS = ("el", "de", "pt")
#: Items a competence needs for the bank to be complete (``crisis items check``).
MIN_ITEMS_PER_COMPETENCE = 6

_LETTERS = string.ascii_lowercase


class Irt(BaseModel):
    """2PL parameters of an item."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: Annotated[float, Field(gt=0, le=6)]
    b: Annotated[float, Field(ge=-6, le=6)]


class _Translation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str | None = None
    stem: str | None = None
    options: list[str] | None = None
    explanation: str | None = None


class Item(BaseModel):
    """One question: what it probes, its text in up to four languages, and its 2PL parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    competence: Annotated[str, Field(pattern=r"^C[0-9]{2,}$")]
    level: Annotated[int, Field(ge=1, le=4)]
    kind: Literal["multiple-choice", "scenario"] = "multiple-choice"
    scenario: LocalText | None = None
    stem: LocalText
    options: Annotated[list[LocalText], Field(min_length=2, max_length=6)]
    #: Index of the correct option (written as a letter in YAML).
    answer: int
    explanation: LocalText
    irt: Irt

    @model_validator(mode="before")
    @classmethod
    def _merge(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        translations = data.pop("translations", None) or {}
        if not isinstance(translations, dict):
            raise ValueError("translations must be a mapping of el/de/pt to texts")
        unknown = sorted(set(translations) - set(TRANSLATIONS))
        if unknown:
            raise ValueError(f"translations: unknown language {unknown[0]!r}; use el, de, pt")
        for fields in translations.values():
            _Translation.model_validate(fields or {})
        for key in ("scenario", "stem", "explanation"):
            if isinstance(data.get(key), str):
                texts = {"en": data[key]}
                for lang, fields in translations.items():
                    if fields and fields.get(key):
                        texts[lang] = fields[key]
                data[key] = texts
        options = data.get("options")
        if isinstance(options, list):
            for k, option in enumerate(options):
                if isinstance(option, bool):
                    raise ValueError(
                        f"option {_LETTERS[k % 26]} was read as {str(option).lower()} "
                        "(a yes/no word); put it in quotes"
                    )
            options = [str(o) if isinstance(o, int | float) else o for o in options]
            data["options"] = options
        if isinstance(options, list) and all(isinstance(o, str) for o in options):
            merged: list[dict[str, str]] = [{"en": o} for o in options]
            for lang, fields in translations.items():
                translated = (fields or {}).get("options")
                if translated:
                    if len(translated) != len(options):
                        raise ValueError(
                            f"translations.{lang}.options has {len(translated)} options, "
                            f"the English has {len(options)}"
                        )
                    for text, item in zip(translated, merged, strict=True):
                        if text:
                            item[lang] = text
            data["options"] = merged
        answer = data.get("answer")
        if isinstance(answer, str):
            letter = answer.strip().lower()
            if len(letter) != 1 or letter not in _LETTERS:
                raise ValueError(f"answer must be an option letter a, b, c…, got {answer!r}")
            data["answer"] = _LETTERS.index(letter)
        if "irt" not in data and isinstance(data.get("level"), int):
            data["irt"] = {
                "a": INITIAL_DISCRIMINATION,
                "b": LEVEL_DIFFICULTY.get(data["level"], 0.0),
            }
        return data

    @model_validator(mode="after")
    def _check(self) -> Item:
        if not 0 <= self.answer < len(self.options):
            raise ValueError(
                f"answer {_LETTERS[self.answer] if 0 <= self.answer < 26 else self.answer!r} "
                f"is not one of the {len(self.options)} options"
            )
        english = [o.get("en").strip().lower() for o in self.options]
        if len(set(english)) != len(english):
            raise ValueError("two options have the same text")
        if self.kind == "scenario" and self.scenario is None:
            raise ValueError("a scenario item needs a 'scenario' text")
        return self

    def render(self, lang: str = "en") -> dict[str, Any]:
        """The question as shown to a learner (no answer, no explanation)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "scenario": self.scenario.shown(lang) if self.scenario else None,
            "stem": self.stem.shown(lang),
            "options": [o.shown(lang) for o in self.options],
        }


@dataclass(frozen=True)
class ItemBank:
    """A validated set of items with their IRT parameters as arrays."""

    items: tuple[Item, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {item.id: k for k, item in enumerate(self.items)})

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._index  # type: ignore[attr-defined]

    def position(self, item_id: str) -> int:
        """Index of an item in :attr:`items`.

        Raises:
            ContentError: no item has this id.
        """
        try:
            return int(self._index[item_id])  # type: ignore[attr-defined]
        except KeyError:
            raise ContentError(f"no item {item_id!r} in the item bank") from None

    def item(self, item_id: str) -> Item:
        """The item with this id."""
        return self.items[self.position(item_id)]

    @property
    def a(self) -> npt.NDArray[np.float64]:
        """Discrimination per item."""
        return np.array([item.irt.a for item in self.items], dtype=float)

    @property
    def b(self) -> npt.NDArray[np.float64]:
        """Difficulty per item."""
        return np.array([item.irt.b for item in self.items], dtype=float)

    def for_competence(self, competence: str) -> list[Item]:
        """Items probing one competence."""
        return [item for item in self.items if item.competence == competence]

    def coverage_problems(
        self, catalogue: Catalogue, minimum: int = MIN_ITEMS_PER_COMPETENCE
    ) -> list[str]:
        """What keeps the bank from serving a full test of ``catalogue``'s framework."""
        problems = []
        known = [c.id for c in catalogue.framework.competences]
        for cid in known:
            items = self.for_competence(cid)
            if len(items) < minimum:
                problems.append(f"{cid}: {len(items)} items, at least {minimum} needed")
            elif len({item.level for item in items}) < 3:
                problems.append(f"{cid}: items probe fewer than three different levels")
        problems += [
            f"item {item.id}: competence {item.competence} is not in the framework"
            for item in self.items
            if item.competence not in known
        ]
        return problems


def load_items(path: str | Path | None = None, *, catalogue: Catalogue | None = None) -> ItemBank:
    """Load and validate an item bank: a YAML file or a folder of ``*.yaml`` files.

    Args:
        path: File or folder; ``None`` loads the bundled bank.
        catalogue: When given, every item's competence must be in its framework.

    Raises:
        ContentError: Listing every problem as ``file:line: field: message``.
        FormatError: A file cannot be read or parsed.
    """
    sources: list[tuple[str, bytes]] = []
    if path is None:
        folder = resources.files("crisis.learners") / "data" / "items"
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith((".yaml", ".yml")):
                sources.append((entry.name, entry.read_bytes()))
    else:
        root = Path(path)
        files = sorted(root.glob("*.y*ml")) if root.is_dir() else [root]
        if not files:
            raise FormatError(f"no .yaml files in {root}")
        for file in files:
            try:
                sources.append((file.name if root.is_dir() else str(file), file.read_bytes()))
            except OSError as exc:
                raise FormatError(f"cannot read {file}: {exc.strerror}") from None
    items: list[Item] = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    known = {c.id for c in catalogue.framework.competences} if catalogue else None
    for name, data in sources:
        source = parse_yaml(data, name)
        for index, item in _items_of(source, errors):
            if item.id in seen:
                errors.append(
                    f"{source.where(['items', index, 'id'])}: item id {item.id!r} is already "
                    f"used at {seen[item.id]}"
                )
                continue
            seen[item.id] = source.where(["items", index, "id"])
            if known is not None and item.competence not in known:
                errors.append(
                    f"{source.where(['items', index, 'competence'])}: competence "
                    f"{item.competence!r} is not in the framework"
                )
                continue
            items.append(item)
    if errors:
        raise ContentError(
            f"{len(errors)} problem(s) in the item bank; first: {errors[0]}", errors=errors
        )
    return ItemBank(tuple(items))


def _items_of(source: Source, errors: list[str]) -> Iterator[tuple[int, Item]]:
    data = source.data
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        errors.append(f"{source.where([])}: expected a mapping with an 'items' list")
        return
    unknown = sorted(set(data) - {"competence", "items"})
    if unknown:
        errors.append(f"{source.where([unknown[0]])}: {unknown[0]}: unknown field")
    default = data.get("competence")
    for index, raw in enumerate(data["items"]):
        if not isinstance(raw, dict):
            errors.append(f"{source.where(['items', index])}: an item must be a mapping")
            continue
        if default is not None and "competence" not in raw:
            raw = {"competence": default, **raw}
        try:
            yield index, Item.model_validate(raw)
        except ValidationError as exc:
            errors.extend(source.validation_errors(exc, prefix=["items", index]))


@cache
def load_bundled_items() -> ItemBank:
    """The item bank that ships with CRISIS (cached)."""
    return load_items()


def apply_calibration(bank: ItemBank, parameters: Mapping[str, Mapping[str, Any]]) -> ItemBank:
    """A bank whose items take ``a`` and ``b`` from calibrated ``parameters`` where given.

    Raises:
        ContentError: A parameter set names an unknown item or has invalid values.
    """
    errors = [f"calibration names unknown item {iid!r}" for iid in parameters if iid not in bank]
    items = []
    for item in bank:
        values = parameters.get(item.id)
        if values is None:
            items.append(item)
            continue
        try:
            irt = Irt(a=values["a"], b=values["b"])
        except (KeyError, TypeError, ValidationError) as exc:
            errors.append(f"calibration of item {item.id}: invalid a/b ({exc.__class__.__name__})")
            continue
        items.append(item.model_copy(update={"irt": irt}))
    if errors:
        raise ContentError(errors[0], errors=errors)
    return ItemBank(tuple(items))
