"""Reading, checking and writing exercise files (the bundled library and instructors' own).

An exercise file is YAML in the ``crisis-exercise/1`` format (see ``docs/exercises.md``).
Errors name the file and line: ``flood.yaml:41: measures[2].kind: 'moat' is not offered in
exercises; …``. :func:`dump_exercise` writes the same format back, so an exported exercise
imports unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError

from crisis.exceptions import ContentError, SimulationError
from crisis.exercises.models import FORMAT, Exercise
from crisis.formats.validation import describe_errors, format_loc
from crisis.formats.yamlsource import Source, parse_yaml
from crisis.simulation.city import City
from crisis.simulation.interventions import parse_intervention

#: Largest exercise file accepted, in bytes.
MAX_BYTES = 256 * 1024


def _path(loc: Sequence[Any]) -> str:
    return format_loc(loc) if loc else ""


def parse_exercise(text: str | bytes, name: str = "exercise.yaml") -> Exercise:
    """Validate an exercise file's text; errors name ``name`` and the line.

    Raises:
        FormatError: not YAML, not UTF-8, too large (or too deep, too many aliases).
        ContentError: valid YAML that breaks a rule (with every problem in ``errors``).
    """
    source = parse_yaml(text, name, max_bytes=MAX_BYTES)
    raw = source.data
    if not isinstance(raw, dict):
        raise ContentError(f"{name}:1: expected a mapping with 'id', 'title', 'hazards', …")
    if raw.get("format", FORMAT) != FORMAT:
        raise ContentError(
            f"{source.where(['format'])}: field 'format' = {raw.get('format')!r}; "
            f"expected {FORMAT!r}"
        )
    try:
        exercise = Exercise.model_validate(raw)
    except ValidationError as exc:
        errors = describe_errors(exc, where=source.where)
        raise ContentError(errors[0], errors=errors) from None
    problems = _check_rules(exercise, source)
    if problems:
        raise ContentError(problems[0], errors=problems)
    return exercise


def _check_rules(exercise: Exercise, source: Source) -> list[str]:
    """Rules across fields: competence ids exist, interventions are valid simulator data."""
    name = source.name
    from crisis.competences import load_bundled

    known = {c.id for c in load_bundled().framework.competences}
    problems = []
    for i, objective in enumerate(exercise.objectives):
        if objective.competence not in known:
            line = source.line(["objectives", i])
            problems.append(
                f"{name}:{line}: objectives[{i}].competence: '{objective.competence}' is not a "
                "competence of the framework"
            )
    for i, measure in enumerate(exercise.measures):
        try:
            parse_intervention(measure.intervention("x"), "measure")
        except SimulationError as exc:
            line = source.line(["measures", i])
            problems.append(f"{name}:{line}: measures[{i}] ({measure.id}): {exc}")
    for i, inject in enumerate(exercise.injects):
        if inject.objective is not None and inject.objective not in exercise.competences():
            line = source.line(["injects", i, "objective"])
            problems.append(
                f"{name}:{line}: injects[{i}].objective: '{inject.objective}' is not the "
                f"competence of one of the exercise's objectives "
                f"({', '.join(exercise.competences())})"
            )
        for j, option in enumerate(inject.options):
            where = ["injects", i, "options", j]
            for k, item in enumerate(option.interventions):
                try:
                    parse_intervention(item, "intervention")
                except SimulationError as exc:
                    line = source.line([*where, "interventions", k])
                    problems.append(f"{name}:{line}: {_path(where)}.interventions[{k}]: {exc}")
            if option.hazard:
                base = dict(exercise.hazards[option.hazard_index])
                try:
                    from crisis.simulation import parse_hazard

                    parse_hazard({**base, **option.hazard}, "hazard")
                except SimulationError as exc:
                    line = source.line([*where, "hazard"])
                    problems.append(f"{name}:{line}: {_path(where)}.hazard: {exc}")
    return problems


def check_against_city(exercise: Exercise, city: City) -> list[str]:
    """Problems that need the city: asset classes and assets that it does not have."""
    classes = set(city.asset_class)
    problems = []
    for measure in exercise.measures:
        for cls in measure.applies_to:
            if cls not in classes:
                problems.append(
                    f"measure '{measure.id}': applies_to names asset class '{cls}', which the "
                    f"city has none of"
                )
    for inject in exercise.injects:
        for option in inject.options:
            for item in option.interventions:
                for asset in item.get("assets", []) or []:
                    if asset not in city.index:
                        problems.append(
                            f"inject '{inject.id}' option '{option.id}': unknown asset '{asset}'"
                        )
    return problems


def dump_exercise(exercise: Exercise) -> str:
    """The exercise as an exercise file (``crisis-exercise/1`` YAML)."""
    data = exercise.model_dump(mode="json", exclude_none=True)
    data = {"format": FORMAT, **{k: v for k, v in data.items() if k != "format"}}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


@functools.lru_cache(maxsize=1)
def load_bundled() -> tuple[Exercise, ...]:
    """The exercises that ship with CRISIS, in file-name order."""
    folder = resources.files("crisis.exercises") / "data"
    out = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            out.append(parse_exercise(item.read_bytes(), item.name))
    return tuple(out)


def bundled(exercise_id: str) -> Exercise | None:
    """The bundled exercise ``exercise_id``, if there is one."""
    return next((e for e in load_bundled() if e.id == exercise_id), None)
