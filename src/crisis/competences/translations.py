"""Per-language translation files, and which texts must be translated.

A catalogue folder may hold ``translations/<lang>.yaml`` beside its YAML files. Each one is
keyed by id, so translators never touch the structure of the framework::

    framework: {title: ..., description: ...}
    scale: {0: {name: ..., description: ...}, 1: ...}      # or 0: <name> alone
    areas: {A-TRA: {title: ..., description: ...}}
    competences:
      C01:
        title: ...
        description: ...
        knowledge: [..., ...]        # as many statements as in English, in the same order
        skills: [...]
        attitudes: [...]
        levels: {1: ..., 2: ..., 3: ..., 4: ...}
    profiles: {scro: {title: ..., description: ...}}
    curriculum: {title: ..., description: ...}
    modules: {M01: {title: ..., description: ..., outcomes: {M01.1: ..., M01.2: ...}}}
    programmes: {scro-mooc: {title: ..., description: ...}}
    methods: {teaching: {case-study: {title: ..., description: ...}}, assessment: {...}}

Texts may also be written inline (``title: {en: ..., el: ...}``); both are merged before the
files are validated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crisis.competences.models import Catalogue
from crisis.competences.sources import Source
from crisis.competences.text import LANGUAGES, LocalText

_TEXT_FIELDS = ("title", "description")
_STATEMENTS = ("knowledge", "skills", "attitudes")


def _set(target: dict[Any, Any] | list[Any], key: Any, lang: str, text: Any) -> None:
    current = target[key] if isinstance(target, list) else target.get(key)
    if isinstance(current, str):
        current = {"en": current}
    if not isinstance(current, dict):
        current = {}
    target[key] = {**current, lang: text}


def _index(items: Any, key: str = "id") -> dict[str, dict[Any, Any]]:
    if not isinstance(items, list):
        return {}
    return {str(item.get(key)): item for item in items if isinstance(item, dict)}


def apply(
    tr: Source, lang: str, fw: Source | None, pr: Source | None, cu: Source | None
) -> list[str]:
    """Merge translation file ``tr`` for ``lang`` into the parsed catalogue files, in place.

    Returns:
        Errors naming ``tr``'s file and line (unknown ids or sections, wrong shapes).
    """
    errors: list[str] = []
    data = tr.data
    if data is None:
        return errors
    if not isinstance(data, dict):
        return [f"{tr.where(())}: expected a mapping of sections"]
    fwd = fw.data if fw and isinstance(fw.data, dict) else {}
    prd = pr.data if pr and isinstance(pr.data, dict) else {}
    cud = cu.data if cu and isinstance(cu.data, dict) else {}
    areas = _index(fwd.get("areas"))
    competences = {
        cid: comp
        for area in areas.values()
        for cid, comp in _index(area.get("competences")).items()
    }
    methods = cud.get("methods") if isinstance(cud.get("methods"), dict) else {}
    tables: dict[str, dict[str, dict[Any, Any]]] = {
        "areas": areas,
        "competences": competences,
        "profiles": _index(prd.get("profiles")),
        "modules": _index(cud.get("modules")),
        "programmes": _index(cud.get("programmes")),
    }

    def fields(
        path: tuple[Any, ...], entry: Any, target: dict[Any, Any], allowed: tuple[str, ...]
    ) -> None:
        if not isinstance(entry, dict):
            errors.append(f"{tr.where(path)}: expected a mapping of fields")
            return
        for name, text in entry.items():
            if name in _STATEMENTS and name in allowed:
                statements = target.get(name)
                if not isinstance(text, list) or not isinstance(statements, list):
                    errors.append(f"{tr.where((*path, name))}: expected a list of statements")
                elif len(text) != len(statements):
                    errors.append(
                        f"{tr.where((*path, name))}: {len(text)} statement(s) for the "
                        f"{len(statements)} of the English text; keep the same number and order"
                    )
                else:
                    for index, statement in enumerate(text):
                        _set(statements, index, lang, statement)
            elif name == "outcomes" and "outcomes" in allowed:
                outcomes = _index(target.get("outcomes"))
                if not isinstance(text, dict):
                    errors.append(f"{tr.where((*path, name))}: expected outcome id: text")
                    continue
                for outcome_id, outcome_text in text.items():
                    outcome = outcomes.get(str(outcome_id))
                    if outcome is None:
                        errors.append(
                            f"{tr.where((*path, name, outcome_id))}: no outcome {outcome_id!r}"
                        )
                    else:
                        _set(outcome, "text", lang, outcome_text)
            elif name == "levels" and "levels" in allowed:
                levels = target.get("levels")
                if not isinstance(text, dict) or not isinstance(levels, dict):
                    errors.append(f"{tr.where((*path, name))}: expected levels 1-4")
                    continue
                for level, descriptor in text.items():
                    if level not in levels:
                        errors.append(
                            f"{tr.where((*path, name, level))}: no level {level!r} to translate"
                        )
                    else:
                        _set(levels, level, lang, descriptor)
            elif name in allowed:
                _set(target, name, lang, text)
            else:
                errors.append(f"{tr.where((*path, name))}: {name}: cannot be translated here")

    for section, entries in data.items():
        at = (section,)
        if section == "framework":
            fields(at, entries, fwd, _TEXT_FIELDS)
        elif section == "curriculum":
            fields(at, entries, cud, _TEXT_FIELDS)
        elif section == "scale":
            levels = _index((fwd.get("scale") or {}).get("levels"), "value")
            for value, name in (entries or {}).items():
                if str(value) not in levels:
                    errors.append(f"{tr.where((*at, value))}: no scale level {value!r}")
                elif isinstance(name, dict):
                    fields((*at, value), name, levels[str(value)], ("name", "description"))
                else:
                    _set(levels[str(value)], "name", lang, name)
        elif section == "methods":
            for kind, table in (entries or {}).items():
                vocabulary = methods.get(kind) if isinstance(methods, dict) else None
                for method, entry in (table or {}).items():
                    if not isinstance(vocabulary, dict) or method not in vocabulary:
                        errors.append(
                            f"{tr.where((*at, kind, method))}: no {kind} method {method!r}"
                        )
                    else:
                        fields((*at, kind, method), entry, vocabulary[method], _TEXT_FIELDS)
        elif section in tables:
            allowed = {
                "competences": (*_TEXT_FIELDS, *_STATEMENTS, "levels"),
                "modules": (*_TEXT_FIELDS, "outcomes"),
            }.get(section, _TEXT_FIELDS)
            for ident, entry in (entries or {}).items():
                target = tables[section].get(str(ident))
                if target is None:
                    errors.append(f"{tr.where((*at, ident))}: {section} has no {ident!r}")
                else:
                    fields((*at, ident), entry, target, allowed)
        else:
            errors.append(f"{tr.where(at)}: {section}: unknown section")
    return errors


def required_texts(cat: Catalogue) -> Iterator[tuple[str, LocalText]]:
    """The texts every language must have, each with a label saying where it is.

    Titles of everything, scale level names, and each competence's description and level
    descriptors. Other texts (statements, outcomes, long descriptions) fall back to English.
    """
    fw = cat.framework
    yield "framework title", fw.title
    for level in fw.scale.levels:
        yield f"scale level {level.value} name", level.name
    for area in fw.areas:
        yield f"area {area.id} title", area.title
        for comp in area.competences:
            yield f"competence {comp.id} title", comp.title
            if comp.description is not None:
                yield f"competence {comp.id} description", comp.description
            for level_value, descriptor in comp.levels.items():
                yield f"competence {comp.id} level {level_value}", descriptor
    for profile in cat.profiles.values():
        yield f"profile {profile.id} title", profile.title
    cu = cat.curriculum
    yield "curriculum title", cu.title
    for kind, table in (("teaching", cu.methods.teaching), ("assessment", cu.methods.assessment)):
        for method_id, method in table.items():
            yield f"{kind} method {method_id} title", method.title
    for module in cu.modules:
        yield f"module {module.id} title", module.title
    for programme in cu.programmes:
        yield f"programme {programme.id} title", programme.title


def missing_translations(cat: Catalogue, languages: tuple[str, ...] = LANGUAGES) -> list[str]:
    """One line per required text that lacks a translation, e.g. ``el: competence C01 title``."""
    return [
        f"{lang}: {label}"
        for label, text in required_texts(cat)
        for lang in languages
        if not text.has(lang)
    ]
