"""Content types and their translatable fields, as the completeness check walks them.

A *content type* is a family of bundled files (the framework, the item bank, the exercises, …)
and a function that yields each user-visible text field with the languages it is written in.
Packages register their content types; the check walks every registered type. A new kind of
content falls under the check by registering once::

    from crisis.i18n.content import ContentType, register, yaml_fields

    register(ContentType(
        name="exercises",
        description="exercise titles, briefings, objectives, measures and injects",
        fields=lambda: yaml_fields("crisis.exercises", "data/*.yaml", ("title", "briefing")),
    ))

Content whose translations are sibling files (``unit.md`` and ``unit.el.md``) uses
:func:`sibling_fields` with a function that reads one file into ``{field path: text}``. The
module that registers must be named in :data:`PROVIDERS` so the check imports it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from crisis.competences.sources import Source, parse_yaml

#: Modules that register content types when imported (the bundled ones first).
PROVIDERS: list[str] = ["crisis.i18n.bundled"]

#: Languages every bundled text is written in.
LANGUAGES: tuple[str, ...] = ("en", "el", "de", "pt")

#: The package root that file names are shown relative to (``competences/data/…``).
_ROOT = Path(str(resources.files("crisis")))


@dataclass(frozen=True)
class TextField:
    """One user-visible text and the languages it is written in.

    ``texts`` holds every language with a non-empty text; a language absent from it is
    missing. ``where`` names, per language, the file a missing translation belongs in when that
    is not ``file`` (for example ``translations/el.yaml``).
    """

    file: str
    line: int | None
    path: str
    texts: Mapping[str, str]
    where: Mapping[str, str] = field(default_factory=dict)

    @property
    def english(self) -> str:
        """The English reference text ('' when even that is missing)."""
        return self.texts.get("en", "")

    def location(self) -> str:
        """``file:line`` (or the file alone when the line is unknown)."""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class ContentType:
    """A family of content files and the function that yields their text fields."""

    name: str
    description: str
    fields: Callable[[], Iterable[TextField]]


_REGISTRY: dict[str, ContentType] = {}
_loaded = False


def register(content: ContentType) -> ContentType:
    """Add ``content`` to the types the check walks (a later one replaces one of the same name)."""
    _REGISTRY[content.name] = content
    return content


def content_types() -> list[ContentType]:
    """Every registered content type, after importing the :data:`PROVIDERS`."""
    global _loaded
    if not _loaded:
        for module in PROVIDERS:
            importlib.import_module(module)
        _loaded = True
    return list(_REGISTRY.values())


def shown(path: Path) -> str:
    """``path`` as shown in reports: relative to the ``crisis`` package when inside it."""
    try:
        return path.resolve().relative_to(_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)


def package_files(package: str, pattern: str) -> list[Path]:
    """The files of ``package`` matching the glob ``pattern`` (sorted); none if it is absent."""
    try:
        root = Path(str(resources.files(package)))
    except ModuleNotFoundError:
        return []
    return sorted(p for p in root.glob(pattern) if p.is_file())


def read_source(path: Path) -> Source:
    """``path`` parsed with the line of every value known."""
    return parse_yaml(path.read_bytes(), shown(path))


# ----------------------------------------------------------------- walking YAML by path
#
# A field path is dotted: ``areas[].competences[].knowledge[]``. ``name[]`` steps into every
# item of the list ``name``; ``name{}`` into every value of the mapping ``name``; ``[]`` alone
# into every item of the current list. Items that carry an ``id`` (or ``value``/``number``) are
# named by it in reports: ``areas[A-TRA].competences[C01].knowledge[2]``.


def _label(item: Any, index: Any) -> str:
    if isinstance(item, dict):
        for key in ("id", "value", "number"):
            if key in item and isinstance(item[key], str | int):
                return str(item[key])
    return str(index)


def walk(data: Any, spec: str) -> Iterator[tuple[tuple[Any, ...], str, Any, Any]]:
    """Every value at the field path ``spec``: (raw path, shown path, value, parent).

    The raw path is the tuple of keys and indices (for line look-up); a value that is absent
    is yielded as ``None`` so that a missing text is reported, not skipped.
    """
    steps = spec.split(".")

    def step(
        node: Any, rest: list[str], raw: tuple[Any, ...], label: str, parent: Any
    ) -> Iterator[tuple[tuple[Any, ...], str, Any, Any]]:
        if not rest:
            yield raw, label, node, parent
            return
        head, tail = rest[0], rest[1:]
        name, kind = head, ""
        if head.endswith("[]"):
            name, kind = head[:-2], "list"
        elif head.endswith("{}"):
            name, kind = head[:-2], "map"
        if name:
            if not isinstance(node, dict):
                return
            child = node.get(name)
            if kind == "" and child is None and tail:
                return
            raw = (*raw, name)
            label = f"{label}.{name}" if label else name
            parent, node = node, child
        if kind == "list":
            if not isinstance(node, list):
                return
            for index, item in enumerate(node):
                yield from step(item, tail, (*raw, index), f"{label}[{_label(item, index)}]", node)
        elif kind == "map":
            if not isinstance(node, dict):
                return
            for key, item in node.items():
                yield from step(item, tail, (*raw, key), f"{label}[{key}]", node)
        else:
            yield from step(node, tail, raw, label, parent)

    yield from step(data, steps, (), "", None)


def _texts(value: Any) -> dict[str, str]:
    """The non-empty texts of an inline multilingual value (a plain string is English)."""
    if isinstance(value, str):
        return {"en": value.strip()} if value.strip() else {}
    if isinstance(value, dict):
        return {
            str(lang): text.strip()
            for lang, text in value.items()
            if isinstance(text, str) and text.strip()
        }
    return {}


def inline_fields(source: Source, specs: Sequence[str]) -> Iterator[TextField]:
    """Fields written inline as ``{en: …, el: …, de: …, pt: …}`` (or a plain English string).

    A path that ends on a list (``knowledge[]``) yields one field per item.
    """
    for spec in specs:
        for raw, label, value, _parent in walk(source.data, spec):
            if value is None and not spec.endswith("?"):
                continue
            yield TextField(source.name, source.line(raw), label, _texts(value))


def item_translation_fields(
    source: Source, items: str, fields: Sequence[str], key: str = "translations"
) -> Iterator[TextField]:
    """Fields whose English text is in the item and translations in ``item[key][lang]``.

    ``fields`` are names inside an item; ``name[]`` for a list of texts (answer options), whose
    translation is the list at the same place.
    """
    for raw, label, item, _parent in walk(source.data, items):
        if not isinstance(item, dict):
            continue
        translations = item.get(key) if isinstance(item.get(key), dict) else {}
        for name in fields:
            is_list = name.endswith("[]")
            bare = name.removesuffix("[]")
            english = item.get(bare)
            if english is None:
                continue
            values = english if is_list and isinstance(english, list) else [english]
            for index, text in enumerate(values):
                texts = _texts(text)
                for lang in LANGUAGES[1:]:
                    entry = translations.get(lang) if isinstance(translations, dict) else None
                    other = entry.get(bare) if isinstance(entry, dict) else None
                    if is_list:
                        other = (
                            other[index] if isinstance(other, list) and index < len(other) else None
                        )
                    if isinstance(other, str) and other.strip():
                        texts[lang] = other.strip()
                shown_path = f"{label}.{bare}" + (f"[{index}]" if is_list else "")
                line_path = (*raw, bare, index) if is_list else (*raw, bare)
                yield TextField(source.name, source.line(line_path), shown_path, texts)


def yaml_fields(package: str, pattern: str, specs: Sequence[str]) -> Iterator[TextField]:
    """Inline multilingual fields ``specs`` in every file of ``package`` matching ``pattern``."""
    for path in package_files(package, pattern):
        yield from inline_fields(read_source(path), specs)


def sibling_fields(
    english: Iterable[Path],
    read: Callable[[Path], Mapping[str, tuple[int | None, str]]],
) -> Iterator[TextField]:
    """Fields of files translated as siblings: ``unit.md`` (English) and ``unit.el.md`` …

    ``read`` returns, for one file, ``{field path: (line, text)}``. A translation file that is
    absent, or lacks a field, or has it empty, leaves that field missing in its language; the
    missing translation is said to belong in the sibling file.
    """
    for path in english:
        base = read(path)
        translated = {}
        for lang in LANGUAGES[1:]:
            sibling = path.with_name(f"{path.stem}.{lang}{path.suffix}")
            translated[lang] = (sibling, read(sibling) if sibling.is_file() else {})
        for field_path, (line, text) in base.items():
            texts = {"en": text.strip()} if text.strip() else {}
            where = {}
            for lang, (sibling, fields) in translated.items():
                other = fields.get(field_path, (None, ""))[1]
                if other.strip():
                    texts[lang] = other.strip()
                where[lang] = shown(sibling)
            yield TextField(shown(path), line, field_path, texts, where)


def by_language(fields: Iterable[TextField]) -> dict[str, int]:
    """How many of ``fields`` have a text in each language (a summary figure)."""
    counts = dict.fromkeys(LANGUAGES, 0)
    for f in fields:
        for lang in f.texts:
            if lang in counts:
                counts[lang] += 1
    return counts
