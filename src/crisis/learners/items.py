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
        measures: K2           # optional: the statement of the competence it measures –
                               # K(nowledge), S(kill) or A(ttitude) and its 1-based number
                               # in that list of the framework
        source: "…"            # optional: a real document the item rests on
        translations: {el: {}, de: {}, pt: {}}   # per language: scenario, stem, options,
                                                  # explanation; missing → English

Translations may instead stand beside the English files, one folder per language
(``data/items/el/C01.yaml`` …), so that translators of different languages never edit the same
file::

    language: el
    items:
      C01-e2-01: {stem: …, options: [..., ..., ..., ...], explanation: …}

An item translated both ways, a translation of an unknown item, or a language folder that
names another language is an error with its ``file:line``.

IRT parameters (see :mod:`crisis.learners.irt`) start from the level unless the item gives
``irt: {a: …, b: …, c: …}``: discrimination ``a = 1.5``; difficulty ``b = -1.5, -0.5, 0.5,
1.5`` for levels 1..4, equal to the cut scores of :data:`crisis.learners.cat.CUT_SCORES`;
lower asymptote ``c`` = one over the number of options (a blind guess among four options is
right a quarter of the time). A learner at the lower edge of a level answers that level's
items correctly halfway between chance and certainty (5 in 8 with four options).
``crisis items calibrate`` re-estimates ``a`` and ``b`` from stored responses;
:func:`apply_calibration` applies the result.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

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
MIN_ITEMS_PER_COMPETENCE = 10
#: Items a competence needs at each level 1..4.
MIN_ITEMS_PER_LEVEL = 2

_LETTERS = string.ascii_lowercase


class Irt(BaseModel):
    """IRT parameters of an item: discrimination, difficulty, lower asymptote (guessing)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: Annotated[float, Field(gt=0, le=6)]
    b: Annotated[float, Field(ge=-6, le=6)]
    c: Annotated[float, Field(ge=0, le=0.5)] = 0.0


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
    #: The knowledge (K), skill (S) or attitude (A) statement of the competence the item
    #: measures, by its 1-based position in that list of the framework: ``K2``, ``S1``.
    measures: str | None = None
    #: Where the facts behind the item come from (free text).
    source: Annotated[str, Field(min_length=1, max_length=500)] | None = None

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
        if "irt" not in data:
            # A missing or wrong level is reported on its own; the default b then is moot.
            level = data.get("level")
            data["irt"] = {
                "a": INITIAL_DISCRIMINATION,
                "b": LEVEL_DIFFICULTY.get(level, 0.0) if isinstance(level, int) else 0.0,
            }
        irt = data.get("irt")
        if isinstance(irt, dict) and "c" not in irt and isinstance(options, list) and options:
            data["irt"] = {**irt, "c": round(1.0 / max(len(options), 2), 4)}
        return data

    @field_validator("measures")
    @classmethod
    def _statement(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[KSA][1-9][0-9]?", value):
            raise ValueError("measures must be K, S or A and a statement number, like K2 or S1")
        return value

    @field_validator("answer", mode="before")
    @classmethod
    def _letter(cls, value: Any) -> Any:
        if isinstance(value, str):
            letter = value.strip().lower()
            if len(letter) != 1 or letter not in _LETTERS:
                raise ValueError("answer must be an option letter a, b, c…")
            return _LETTERS.index(letter)
        return value

    @field_validator("answer")
    @classmethod
    def _among_options(cls, value: int, info: ValidationInfo) -> int:
        options = info.data.get("options")
        if options is not None and not 0 <= value < len(options):
            shown = _LETTERS[value] if 0 <= value < 26 else str(value)
            raise ValueError(f"answer {shown!r} is not one of the {len(options)} options")
        return value

    @model_validator(mode="after")
    def _check(self) -> Item:
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

    @property
    def c(self) -> npt.NDArray[np.float64]:
        """Lower asymptote (chance of a right guess) per item."""
        return np.array([item.irt.c for item in self.items], dtype=float)

    def for_competence(self, competence: str) -> list[Item]:
        """Items probing one competence."""
        return [item for item in self.items if item.competence == competence]

    def coverage_problems(
        self,
        catalogue: Catalogue,
        minimum: int = MIN_ITEMS_PER_COMPETENCE,
        per_level: int = MIN_ITEMS_PER_LEVEL,
    ) -> list[str]:
        """What keeps the bank from serving a full test of ``catalogue``'s framework."""
        problems = []
        known = [c.id for c in catalogue.framework.competences]
        for cid in known:
            items = self.for_competence(cid)
            if len(items) < minimum:
                problems.append(f"{cid}: {len(items)} items, at least {minimum} needed")
            levels = [item.level for item in items]
            thin = [lvl for lvl in (1, 2, 3, 4) if levels.count(lvl) < per_level]
            if thin:
                problems.append(
                    f"{cid}: fewer than {per_level} items at level(s) "
                    + ", ".join(f"{lvl} ({levels.count(lvl)})" for lvl in thin)
                )
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
    translation_sources: list[tuple[str, str, bytes]] = []
    if path is None:
        folder = resources.files("crisis.learners") / "data" / "items"
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith((".yaml", ".yml")):
                sources.append((entry.name, entry.read_bytes()))
            elif entry.name in TRANSLATIONS and entry.is_dir():
                for sub in sorted(entry.iterdir(), key=lambda e: e.name):
                    if sub.name.endswith((".yaml", ".yml")):
                        translation_sources.append(
                            (entry.name, f"{entry.name}/{sub.name}", sub.read_bytes())
                        )
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
        if root.is_dir():
            for lang in TRANSLATIONS:
                for file in sorted((root / lang).glob("*.y*ml")):
                    try:
                        translation_sources.append((lang, f"{lang}/{file.name}", file.read_bytes()))
                    except OSError as exc:
                        raise FormatError(f"cannot read {file}: {exc.strerror}") from None
    items: list[Item] = []
    errors: list[str] = []
    sidecars = _translation_files(translation_sources, errors)
    english_ids: set[str] = set()
    seen: dict[str, str] = {}
    known = {c.id for c in catalogue.framework.competences} if catalogue else None
    for name, data in sources:
        source = parse_yaml(data, name)
        for index, item in _items_of(source, errors, sidecars, english_ids):
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
            if catalogue is not None and item.measures is not None:
                problem = _measures_problem(item, catalogue)
                if problem:
                    errors.append(
                        f"{source.where(['items', index, 'measures'])}: "
                        f"items[{index}].measures: {problem}"
                    )
                    continue
            items.append(item)
    for item_id, by_lang in sidecars.items():
        if item_id not in english_ids:
            for _, where in by_lang.values():
                errors.append(f"{where}: translation of item {item_id!r}, which does not exist")
    if errors:
        raise ContentError(
            f"{len(errors)} problem(s) in the item bank; first: {errors[0]}", errors=errors
        )
    return ItemBank(tuple(items))


#: Per item id, per language: the translated fields and where they stand (``file:line``).
_Sidecars = dict[str, dict[str, tuple[dict[str, Any], str]]]


def _translation_files(files: list[tuple[str, str, bytes]], errors: list[str]) -> _Sidecars:
    """Read translation files ``<lang>/<name>.yaml``: ``items: {<item id>: {stem: …, …}}``.

    Translations may stand beside the English file instead of inside each item, one folder per
    language, so that translators of different languages never edit the same file.
    """
    found: _Sidecars = {}
    for lang, name, data in files:
        source = parse_yaml(data, name)
        top = source.data
        if not isinstance(top, dict) or not isinstance(top.get("items"), dict):
            errors.append(f"{source.where([])}: expected a mapping with an 'items' mapping")
            continue
        unknown = sorted(set(top) - {"language", "items"})
        if unknown:
            errors.append(f"{source.where([unknown[0]])}: {unknown[0]}: unknown field")
        if top.get("language", lang) != lang:
            errors.append(
                f"{source.where(['language'])}: language {top['language']!r} in the folder "
                f"for {lang!r}"
            )
        for item_id, fields in top["items"].items():
            where = source.where(["items", item_id])
            if not isinstance(fields, dict):
                errors.append(f"{where}: a translation must be a mapping of fields")
                continue
            try:
                _Translation.model_validate(fields)
            except ValidationError as exc:
                errors.extend(source.validation_errors(exc, prefix=["items", item_id]))
                continue
            if lang in found.get(str(item_id), {}):
                errors.append(
                    f"{where}: item {item_id!r} is translated twice into {lang} "
                    f"(also at {found[str(item_id)][lang][1]})"
                )
                continue
            found.setdefault(str(item_id), {})[lang] = (fields, where)
    return found


_STATEMENTS = {"K": "knowledge", "S": "skills", "A": "attitudes"}


def _measures_problem(item: Item, catalogue: Catalogue) -> str | None:
    """Why ``item.measures`` names no statement of its competence, or ``None``."""
    assert item.measures is not None
    kind, number = _STATEMENTS[item.measures[0]], int(item.measures[1:])
    statements = getattr(catalogue.competence(item.competence), kind)
    if number > len(statements):
        return (
            f"{item.measures} names {kind} statement {number} of {item.competence}, "
            f"which has {len(statements)}"
        )
    return None


def _items_of(
    source: Source, errors: list[str], sidecars: _Sidecars, english_ids: set[str]
) -> Iterator[tuple[int, Item]]:
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
        item_id = str(raw.get("id"))
        english_ids.add(item_id)
        beside = sidecars.get(item_id)
        if beside:
            inline = raw.get("translations") or {}
            if not isinstance(inline, dict):
                inline = {}
            clash = sorted(lang for lang in beside if inline.get(lang))
            if clash:
                errors.append(
                    f"{beside[clash[0]][1]}: item {item_id!r} is also translated into "
                    f"{clash[0]} inside {source.where(['items', index, 'translations'])}"
                )
                continue
            raw = {**raw, "translations": {**inline, **{k: v[0] for k, v in beside.items()}}}
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
            irt = Irt(a=values["a"], b=values["b"], c=item.irt.c)
        except (KeyError, TypeError, ValidationError) as exc:
            errors.append(f"calibration of item {item.id}: invalid a/b ({exc.__class__.__name__})")
            continue
        items.append(item.model_copy(update={"irt": irt}))
    if errors:
        raise ContentError(errors[0], errors=errors)
    return ItemBank(tuple(items))
