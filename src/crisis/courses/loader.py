"""Loading units: the bundled ones, a folder of one's own, or single files, all checked.

Every problem of every file is listed at once, each as ``file:line: message``, and nothing
is returned when there is one: a unit naming a module or an outcome the curriculum does not
have, a quiz whose competences have too few items in the item bank, an exercise that does
not exist, a workbench task CRISIS does not know, a translation without its English unit.

:meth:`Course.guideline_problems` lists what the writing guide asks of bundled content
(3–6 units a module, lessons of 600 words, minutes adding up to the module's hours); these
are reported by ``crisis courses check``, not refused.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from crisis.competences.models import Catalogue
from crisis.competences.sources import Source
from crisis.courses.units import (
    BLOCKS,
    TRANSLATION_LANGUAGES,
    ExerciseActivity,
    QuizActivity,
    Unit,
    UnitText,
    parse_translation,
    read_unit_source,
)
from crisis.exceptions import ContentError, FormatError
from crisis.learners.items import ItemBank

#: Words a lesson should have at least (writing guide).
MIN_LESSON_WORDS = 600
#: Units a module should have (writing guide).
UNITS_PER_MODULE = (3, 6)
#: How far a module's unit minutes may stray from its hours (writing guide).
MINUTES_TOLERANCE = 0.15

_FILE = re.compile(r"^(?P<id>[A-Za-z0-9._-]+?)(?:\.(?P<lang>[a-z]{2}))?\.md$")
_RAW_HTML = re.compile(r"<\s*/?\s*[A-Za-z][A-Za-z0-9-]*[\s>/]")


@dataclass(frozen=True)
class References:
    """What units may point at: the curriculum, the item bank, exercise ids.

    Attributes:
        catalogue: Framework (competences) and curriculum (modules, outcomes).
        items: The item bank quizzes draw from.
        exercises: Ids of the exercises that exist.
    """

    catalogue: Catalogue
    items: ItemBank
    exercises: frozenset[str]

    def pool(self, activity: QuizActivity) -> int:
        """How many items a quiz can draw from."""
        wanted = set(activity.competences)
        return sum(
            1
            for item in self.items
            if item.competence in wanted and item.level <= activity.max_level
        )


def bundled_references() -> References:
    """The bundled catalogue, item bank and exercises."""
    from crisis.competences import load_bundled
    from crisis.exercises.library import load_bundled as bundled_exercises
    from crisis.learners.items import load_bundled_items

    return References(
        load_bundled(), load_bundled_items(), frozenset(e.id for e in bundled_exercises())
    )


def check_references(unit: Unit, refs: References) -> list[str]:
    """Problems of ``unit`` against the curriculum, the item bank and the exercises."""
    name = unit.name
    errors: list[str] = []
    curriculum = refs.catalogue.curriculum
    module = next((m for m in curriculum.modules if m.id == unit.module), None)
    if module is None:
        errors.append(
            f"{name}:{unit.lines.get('module', 1)}: module '{unit.module}' is not in the curriculum"
        )
    else:
        known = [o.id for o in module.outcomes]
        for outcome in unit.outcomes:
            if outcome not in known:
                errors.append(
                    f"{name}:{unit.lines.get('outcomes', 1)}: outcome '{outcome}' is not an "
                    f"outcome of module {module.id} (it has {', '.join(known)})"
                )
    activity = unit.activity
    line = unit.lines.get("activity", 1)
    if isinstance(activity, QuizActivity):
        competences = {c.id for c in refs.catalogue.framework.competences}
        unknown = [c for c in activity.competences if c not in competences]
        for cid in unknown:
            errors.append(f"{name}:{line}: activity.competences: '{cid}' is not a competence")
        pool = refs.pool(activity)
        if not unknown and pool < activity.questions:
            errors.append(
                f"{name}:{line}: activity: the item bank has {pool} item(s) for "
                f"{', '.join(activity.competences)} up to level {activity.max_level}, fewer "
                f"than the {activity.questions} questions asked"
            )
    elif isinstance(activity, ExerciseActivity) and activity.exercise not in refs.exercises:
        errors.append(
            f"{name}:{line}: activity.exercise: there is no exercise '{activity.exercise}' "
            f"(there are {', '.join(sorted(refs.exercises))})"
        )
    return errors


def _raw_reference_problems(front: Source, refs: References) -> list[str]:
    """Module, outcome and exercise problems of front-matter that failed validation."""
    data = front.data if isinstance(front.data, dict) else {}
    problems: list[str] = []
    modules = {m.id: m for m in refs.catalogue.curriculum.modules}
    module = data.get("module")
    if isinstance(module, str) and module not in modules:
        problems.append(f"{front.where(['module'])}: module '{module}' is not in the curriculum")
    outcomes = data.get("outcomes")
    if isinstance(module, str) and module in modules and isinstance(outcomes, list):
        known = [o.id for o in modules[module].outcomes]
        for outcome in outcomes:
            if isinstance(outcome, str) and outcome not in known:
                problems.append(
                    f"{front.where(['outcomes'])}: outcome '{outcome}' is not an outcome of "
                    f"module {module} (it has {', '.join(known)})"
                )
    activity = data.get("activity")
    if isinstance(activity, dict):
        exercise = activity.get("exercise")
        if (
            activity.get("kind") == "exercise"
            and isinstance(exercise, str)
            and exercise not in refs.exercises
        ):
            problems.append(
                f"{front.where(['activity', 'exercise'])}: activity.exercise: there is no "
                f"exercise '{exercise}' (there are {', '.join(sorted(refs.exercises))})"
            )
    return problems


@dataclass(frozen=True)
class Course:
    """Every unit, by id, with its translations; units of a module in reading order."""

    units: dict[str, Unit] = field(default_factory=dict)

    def of_module(self, module_id: str) -> list[Unit]:
        """The module's units in reading order."""
        return sorted(
            (u for u in self.units.values() if u.module == module_id), key=lambda u: u.number
        )

    def unit(self, unit_id: str) -> Unit:
        """One unit.

        Raises:
            NotFoundError: no such unit.
        """
        from crisis.exceptions import NotFoundError

        try:
            return self.units[unit_id]
        except KeyError:
            raise NotFoundError(f"there is no unit {unit_id!r}") from None

    def modules(self) -> list[str]:
        """Module ids that have units."""
        return sorted({u.module for u in self.units.values()})

    def missing_translations(
        self, languages: Iterable[str] = TRANSLATION_LANGUAGES
    ) -> list[tuple[str, str]]:
        """``(unit id, language)`` for every translation not written yet."""
        return [
            (uid, lang)
            for uid in sorted(self.units)
            for lang in languages
            if lang not in self.units[uid].translations
        ]

    def translation_files(self) -> list[tuple[str, str, str]]:
        """``(unit id, language, file name)`` of every translation present."""
        return [
            (uid, lang, text.source)
            for uid in sorted(self.units)
            for lang, text in sorted(self.units[uid].translations.items())
        ]

    def guideline_problems(self, catalogue: Catalogue) -> list[str]:
        """What the writing guide asks and the units do not (not errors; see module docstring)."""
        problems: list[str] = []
        low, high = UNITS_PER_MODULE
        for module in catalogue.curriculum.modules:
            units = self.of_module(module.id)
            if not units:
                continue
            if not low <= len(units) <= high:
                problems.append(f"{module.id}: {len(units)} units; a module has {low}–{high}")
            minutes = sum(u.minutes for u in units)
            target = float(module.hours) * 60
            if abs(minutes - target) > MINUTES_TOLERANCE * target:
                problems.append(
                    f"{module.id}: units add up to {minutes} minutes; the module has "
                    f"{module.hours:g} hours ({target:.0f} minutes ± 15 %)"
                )
            if not any(isinstance(u.activity, QuizActivity) for u in units):
                problems.append(f"{module.id}: no unit has a quiz")
            numbers = [u.number for u in units]
            if numbers != list(range(1, len(units) + 1)):
                problems.append(f"{module.id}: units are numbered {numbers}; number them 1, 2, 3…")
        for unit in sorted(self.units.values(), key=lambda u: u.id):
            words = unit.words("lesson")
            if words < MIN_LESSON_WORDS:
                problems.append(
                    f"{unit.name}:{unit.lines.get('lesson', 1)}: lesson has {words} words; "
                    f"write at least {MIN_LESSON_WORDS}"
                )
            for text in [unit.text, *unit.translations.values()]:
                for block in BLOCKS:
                    if _RAW_HTML.search(text.blocks.get(block, "")):
                        problems.append(
                            f"{text.source}: block '{block}' contains raw HTML, which is shown "
                            "as text"
                        )
        return problems


def assemble(
    files: Iterable[tuple[str, bytes | str]],
    refs: References,
    *,
    origin: str = "bundled",
    base: Course | None = None,
) -> Course:
    """Check a set of unit files together and build the course.

    Args:
        files: ``(file name, content)``; names are ``<unit>.md`` or ``<unit>.<lang>.md``.
        refs: What units may point at.
        origin: Recorded on each unit (``bundled`` or ``authored``).
        base: Units these files add to or replace (a translation may belong to one of them).

    Raises:
        ContentError: every problem of every file, each with ``file:line``.
    """
    errors: list[str] = []
    units: dict[str, Unit] = dict(base.units) if base else {}
    seen: dict[str, str] = {}
    translations: list[tuple[str, str, str, bytes | str]] = []
    for name, data in files:
        short = name.replace("\\", "/").rsplit("/", 1)[-1]
        match = _FILE.match(short)
        if match is None:
            errors.append(f"{name}:1: a unit file is named <unit id>.md or <unit id>.<language>.md")
            continue
        lang = match.group("lang")
        if lang is not None:
            if lang not in TRANSLATION_LANGUAGES:
                errors.append(
                    f"{name}:1: '{lang}' is not a language of CRISIS; translations are "
                    + ", ".join(f".{code}.md" for code in TRANSLATION_LANGUAGES)
                )
            else:
                translations.append((name, match.group("id"), lang, data))
            continue
        try:
            found, problems, front = read_unit_source(data, name, origin=origin)
        except ContentError as exc:
            errors += exc.errors
            continue
        if found is None:
            errors += problems
            if front is not None:
                errors += _raw_reference_problems(front, refs)
            continue
        unit = found
        # The references are checked even when a block is wrong: every problem at once.
        problems += check_references(unit, refs)
        if problems:
            errors += problems
            continue
        if unit.id in seen:
            line = unit.lines.get("id", 1)
            errors.append(f"{name}:{line}: unit id {unit.id} is also used by {seen[unit.id]}")
            continue
        seen[unit.id] = name
        kept = units.get(unit.id)
        units[unit.id] = _with_translations(unit, kept.translations if kept else {})
    for name, uid, lang, data in translations:
        try:
            text = parse_translation(data, name, lang)
        except ContentError as exc:
            errors += exc.errors
            continue
        owner = units.get(uid)
        if owner is None:
            errors.append(f"{name}:1: there is no English unit {uid} for this translation")
            continue
        units[uid] = _with_translations(owner, {**owner.translations, lang: text})
    if errors:
        raise ContentError(
            f"{len(errors)} problem(s) in the units; first: {errors[0]}", errors=errors
        )
    return Course(units)


def _with_translations(unit: Unit, translations: Mapping[str, UnitText]) -> Unit:
    from dataclasses import replace

    return replace(unit, translations=dict(translations))


def read_folder(path: str | Path) -> list[tuple[str, bytes]]:
    """Every ``*.md`` file under ``path`` (or the one file ``path``), names relative to it.

    Raises:
        FormatError: nothing to read, or a file cannot be read.
    """
    root = Path(path)
    files = sorted(root.rglob("*.md")) if root.is_dir() else [root]
    if not files or not root.exists():
        raise FormatError(f"no unit files (*.md) in {root}")
    out = []
    for file in files:
        try:
            out.append(
                (str(file.relative_to(root)) if root.is_dir() else str(file), file.read_bytes())
            )
        except OSError as exc:
            raise FormatError(f"cannot read {file}: {exc.strerror}") from None
    return out


def load_units(path: str | Path | None = None, refs: References | None = None) -> Course:
    """Load and check units: the bundled ones (``path=None``), a folder or a file.

    Raises:
        ContentError: every problem, each with ``file:line``.
        FormatError: files cannot be read.
    """
    refs = refs or bundled_references()
    if path is None:
        return assemble(_bundled_files(), refs)
    return assemble(read_folder(path), refs)


def _bundled_files() -> list[tuple[str, bytes]]:
    root = resources.files("crisis.courses") / "data" / "units"
    out: list[tuple[str, bytes]] = []
    for folder in sorted(root.iterdir(), key=lambda e: e.name):
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".md"):
                out.append((f"units/{folder.name}/{entry.name}", entry.read_bytes()))
    return out


@functools.cache
def bundled_course() -> Course:
    """The units that ship with CRISIS (cached)."""
    return load_units()


def known_exercises(extra: Collection[str] = ()) -> frozenset[str]:
    """Bundled exercise ids plus ``extra`` (instructors' own)."""
    from crisis.exercises.library import load_bundled as bundled_exercises

    return frozenset({e.id for e in bundled_exercises()} | set(extra))
