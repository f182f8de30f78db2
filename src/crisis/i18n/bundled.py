"""The content types CRISIS ships, registered with the completeness check.

Each names the files and the field paths of every text a user sees (see
:func:`crisis.i18n.content.walk` for the path syntax).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crisis.i18n.content import (
    LANGUAGES,
    ContentType,
    TextField,
    inline_fields,
    item_translation_fields,
    package_files,
    read_source,
    register,
    shown,
    sibling_fields,
    yaml_fields,
)

#: Text fields of the competence catalogue, per file (after translations/<lang>.yaml merged).
COMPETENCE_FIELDS: dict[str, tuple[str, ...]] = {
    "framework.yaml": (
        "title",
        "description",
        "scale.levels[].name",
        "scale.levels[].description",
        "areas[].title",
        "areas[].description",
        "areas[].competences[].title",
        "areas[].competences[].description",
        "areas[].competences[].knowledge[]",
        "areas[].competences[].skills[]",
        "areas[].competences[].attitudes[]",
        "areas[].competences[].levels{}",
    ),
    "profiles.yaml": ("profiles[].title", "profiles[].description"),
    "curriculum.yaml": (
        "title",
        "description",
        "methods.teaching{}.title",
        "methods.teaching{}.description",
        "methods.assessment{}.title",
        "methods.assessment{}.description",
        "modules[].title",
        "modules[].description",
        "modules[].outcomes[].text",
        "programmes[].title",
        "programmes[].description",
    ),
}
ITEM_FIELDS: tuple[str, ...] = ("scenario", "stem", "options[]", "explanation")
EXERCISE_FIELDS: tuple[str, ...] = (
    "title",
    "briefing",
    "measures[].title",
    "objectives[].text",
    "injects[].text",
    "injects[].options[].label",
)
TAXONOMY_FIELDS: tuple[str, ...] = ("entries[].title", "entries[].description")
IMPACT_FIELDS: tuple[str, ...] = ("levels{}", "dimensions{}.title", "dimensions{}.anchors{}")
LIKELIHOOD_FIELDS: tuple[str, ...] = ("classes{}.label", "classes{}.description")
ESSENTIAL_FIELDS: tuple[str, ...] = (
    "essentials[].title",
    "essentials[].summary",
    "sendai_targets{}",
)
SCORECARD_FIELDS: tuple[str, ...] = ("questions[].text", "questions[].anchors[]")
REPORT_FIELDS: tuple[str, ...] = ("texts{}",)


def competence_fields(folder: Path | None = None) -> Iterator[TextField]:
    """Fields of a competence catalogue folder (the bundled one by default).

    A missing translation is said to belong in ``translations/<lang>.yaml`` of the folder.
    """
    from crisis.competences.loader import bundled_path, read_folder

    folder = folder or bundled_path()
    sources, errors = read_folder(folder)
    if errors:
        from crisis.exceptions import ContentError

        raise ContentError(
            f"the catalogue in {shown(folder)} does not load: {'; '.join(errors[:3])}"
            + (f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""),
            errors=errors,
        )
    prefix = shown(folder)
    where = {lang: f"{prefix}/translations/{lang}.yaml" for lang in LANGUAGES[1:]}
    for source in (sources.framework, sources.profiles, sources.curriculum):
        if source is None:
            continue
        name = source.name
        source.name = f"{prefix}/{name}"
        for f in inline_fields(source, COMPETENCE_FIELDS[name]):
            yield TextField(f.file, f.line, f.path, f.texts, where)


def item_fields() -> Iterator[TextField]:
    """Fields of the bundled item bank.

    Translations stand under each item's ``translations`` or beside the English file in
    ``<lang>/<file>`` (see :mod:`crisis.learners.items`); a missing one belongs in the latter.
    """
    for path in package_files("crisis.learners", "data/items/*.yaml"):
        source = read_source(path)
        beside: dict[str, dict[str, Any]] = {}
        for lang in LANGUAGES[1:]:
            sidecar = path.parent / lang / path.name
            if sidecar.is_file():
                data = read_source(sidecar).data
                if isinstance(data, dict) and isinstance(data.get("items"), dict):
                    beside[lang] = data["items"]
        if beside and isinstance(source.data, dict):
            for item in source.data.get("items") or []:
                if isinstance(item, dict):
                    merged = dict(item.get("translations") or {})
                    for lang, entries in beside.items():
                        if item.get("id") in entries:
                            merged[lang] = entries[item["id"]]
                    item["translations"] = merged
        where = {lang: shown(path.parent / lang / path.name) for lang in LANGUAGES[1:]}
        for found in item_translation_fields(source, "items[]", ITEM_FIELDS):
            yield TextField(found.file, found.line, found.path, found.texts, where)


ACTION_FIELDS: tuple[str, ...] = (
    "questions[].action.text",
    "questions[].action.owner",
    "questions[].action.indicator",
)


def action_fields() -> Iterator[TextField]:
    """The texts a drafted action plan is written from: each scorecard question's action
    (what to do, its owner role, its indicator) and each essential's usual owner."""
    yield from yaml_fields("crisis.workbench", "data/scorecard_*.yaml", ACTION_FIELDS)
    yield from yaml_fields("crisis.workbench", "data/essentials.yaml", ("essentials[].owner",))


def _report_fields() -> Iterator[TextField]:
    yield from yaml_fields("crisis.competences", "data/moodle.yaml", REPORT_FIELDS)
    yield from yaml_fields("crisis.learners", "data/report.yaml", REPORT_FIELDS)
    yield from yaml_fields("crisis.learners", "data/paths.yaml", REPORT_FIELDS)
    yield from yaml_fields("crisis.workbench", "data/report.yaml", REPORT_FIELDS)


def unit_fields() -> Iterator[TextField]:
    """Fields of the bundled course units: title, case title and the four blocks.

    A unit's translations stand beside it (``M01-1.md`` → ``M01-1.el.md``).
    """
    from crisis.courses.units import split_file

    def read(path: Path) -> dict[str, tuple[int | None, str]]:
        front, blocks, _errors = split_file(path.read_text(encoding="utf-8"), shown(path))
        fields: dict[str, tuple[int | None, str]] = {}
        if front is not None and isinstance(front.data, dict):
            for key, name in (("title", "title"), ("case", "case title")):
                value = front.data.get(key)
                if isinstance(value, str):
                    fields[name] = (front.line([key]), value)
        for block, (line, text) in blocks.items():
            fields[block] = (line, text)
        return fields

    english = [
        path
        for path in package_files("crisis.courses", "data/units/*/*.md")
        if path.suffixes == [".md"]
    ]
    yield from sibling_fields(english, read)


def _register() -> None:
    register(
        ContentType(
            "competences",
            "framework, scale, areas, K/S/A statements, level descriptors, job profiles, "
            "curriculum modules, outcomes, programmes and methods",
            competence_fields,
        )
    )
    register(
        ContentType(
            "items",
            "test items: scenario, stem, options and explanation",
            item_fields,
        )
    )
    register(
        ContentType(
            "units",
            "course units: titles, case titles, lessons, cases, activities and reflections",
            unit_fields,
        )
    )
    register(
        ContentType(
            "exercises",
            "exercise titles, briefings, measures, objectives and tabletop injects",
            lambda: yaml_fields("crisis.exercises", "data/*.yaml", EXERCISE_FIELDS),
        )
    )
    register(
        ContentType(
            "taxonomy",
            "the workbench's taxonomy of shocks and stresses: names and descriptions",
            lambda: yaml_fields("crisis.workbench", "data/taxonomy.yaml", TAXONOMY_FIELDS),
        )
    )
    register(
        ContentType(
            "impact-scale",
            "impact classes and their written anchors per dimension",
            lambda: yaml_fields("crisis.workbench", "data/impact_anchors.yaml", IMPACT_FIELDS),
        )
    )
    register(
        ContentType(
            "likelihood",
            "likelihood classes of the risk matrix",
            lambda: yaml_fields("crisis.workbench", "data/likelihood.yaml", LIKELIHOOD_FIELDS),
        )
    )
    register(
        ContentType(
            "essentials",
            "the Ten Essentials: titles and summaries",
            lambda: yaml_fields("crisis.workbench", "data/essentials.yaml", ESSENTIAL_FIELDS),
        )
    )
    register(
        ContentType(
            "scorecard",
            "preliminary and detailed scorecard questions and their anchors",
            lambda: yaml_fields("crisis.workbench", "data/scorecard_*.yaml", SCORECARD_FIELDS),
        )
    )
    register(
        ContentType("actions", "owners and the wording of drafted action plans", action_fields)
    )
    register(
        ContentType(
            "reports",
            "fixed texts of the PDF reports and exports (learner report, city profile, Moodle)",
            _report_fields,
        )
    )


_register()
