"""A unit of a module: front-matter and four Markdown blocks, read with ``file:line`` errors.

A unit file is YAML front-matter between two ``---`` lines, then the blocks ``::: lesson``,
``::: case``, ``::: activity`` and ``::: reflection``, each closed by a line ``:::``, exactly
once each and in that order (see ``docs/courses.md``). A translation (``M01-1.el.md``) has only
``title`` and ``case`` in its front-matter and the same four blocks.

:func:`parse_unit` checks one file on its own (syntax, fields, blocks); the rules that need
the curriculum, the item bank and the exercises are in :mod:`crisis.courses.loader`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crisis.competences.sources import Source, parse_yaml
from crisis.exceptions import ContentError, CrisisError

#: The blocks of a unit, in the order they must appear.
BLOCKS: tuple[str, ...] = ("lesson", "case", "activity", "reflection")
#: Workbench tasks a unit may set (see :mod:`crisis.courses.practice`).
TASKS: tuple[str, ...] = ("register", "matrix", "weights", "scorecard", "actionplan", "impact")
#: Languages a unit may be translated into.
TRANSLATION_LANGUAGES: tuple[str, ...] = ("el", "de", "pt")
#: Largest unit file accepted, in bytes.
MAX_BYTES = 200 * 1024

_ID = r"^[A-Z][A-Z0-9]*[0-9]-[1-9][0-9]?$"
_OPEN = re.compile(r"^:::\s*([A-Za-z_-]+)\s*$")
_CLOSE = re.compile(r"^:::\s*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class QuizActivity(_Model):
    """A self-check quiz drawn from the item bank."""

    kind: Literal["quiz"]
    competences: Annotated[
        list[Annotated[str, Field(pattern=r"^C[0-9]{2,}$")]], Field(min_length=1)
    ]
    max_level: Annotated[int, Field(ge=1, le=4)]
    questions: Annotated[int, Field(ge=3, le=10)]
    pass_share: Annotated[float, Field(alias="pass", ge=0.5, le=1.0)]

    def needed(self) -> int:
        """Correct answers needed to pass."""
        import math

        return math.ceil(self.pass_share * self.questions - 1e-9)


class ExerciseActivity(_Model):
    """An exercise of the simulator; evidence is a finished run (with a score, if set)."""

    kind: Literal["exercise"]
    exercise: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$")]
    min_score: Annotated[float | None, Field(ge=0, le=100)] = None


class WorkbenchActivity(_Model):
    """A workbench task done in the learner's practice workspace."""

    kind: Literal["workbench"]
    task: Literal["register", "matrix", "weights", "scorecard", "actionplan", "impact"]


Activity = Annotated[
    QuizActivity | ExerciseActivity | WorkbenchActivity, Field(discriminator="kind")
]


class FrontMatter(_Model):
    """The front-matter of an English unit file."""

    id: Annotated[str, Field(pattern=_ID, max_length=16)]
    module: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    outcomes: Annotated[list[str], Field(min_length=1)]
    minutes: Annotated[int, Field(ge=5, le=600)]
    case: Annotated[str, Field(min_length=1, max_length=200)]
    activity: Activity


class TranslationFrontMatter(_Model):
    """The front-matter of a translation: only what is said in words."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    case: Annotated[str, Field(min_length=1, max_length=200)]


@dataclass(frozen=True)
class UnitText:
    """What a unit says in one language: title, case title and the four blocks."""

    lang: str
    title: str
    case: str
    blocks: dict[str, str]
    #: Where the text came from (file name, or ``authored:<unit>@<version>``).
    source: str = ""


@dataclass(frozen=True)
class Unit:
    """One unit of a module.

    Attributes:
        id: ``<module>-<n>``.
        module: Module id of the curriculum.
        number: ``n``, its place in the module's reading order.
        outcomes: Outcome ids of the module this unit serves.
        minutes: Study time.
        activity: What the learner does; its evidence completes the unit.
        text: The English text.
        translations: Language → translated text.
        source: The file text as written (what authoring edits and versions).
        origin: ``"bundled"`` or ``"authored"``.
        lines: Block name → line of its ``:::`` marker (and ``"activity_fm"`` of the
            front-matter's activity), for messages.
    """

    id: str
    module: str
    number: int
    outcomes: tuple[str, ...]
    minutes: int
    activity: QuizActivity | ExerciseActivity | WorkbenchActivity
    text: UnitText
    source: str
    name: str
    origin: str = "bundled"
    translations: dict[str, UnitText] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The English title."""
        return self.text.title

    def in_language(self, lang: str) -> tuple[UnitText, bool]:
        """The text in ``lang`` and whether it is a translation (else the English, as fallback)."""
        if lang == "en":
            return self.text, True
        found = self.translations.get(lang)
        return (found, True) if found is not None else (self.text, False)

    def words(self, block: str) -> int:
        """Words in one English block."""
        return len(self.text.blocks.get(block, "").split())


def split_file(text: str, name: str) -> tuple[Source | None, dict[str, tuple[int, str]], list[str]]:
    """The front-matter (parsed, lines as in the file), the blocks and every problem.

    Returns ``(front, blocks, errors)``; ``blocks`` maps a block name to the line of its
    marker and its text.
    """
    errors: list[str] = []
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return (
            None,
            {},
            [f"{name}:1: the file must start with a line '---' opening the front-matter"],
        )
    end = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), None)
    if end is None:
        return None, {}, [f"{name}:1: the front-matter is not closed by a line '---'"]
    front: Source | None = None
    # A leading empty line keeps the YAML's line numbers equal to the file's.
    yaml_text = "\n" + "\n".join(lines[1:end]) + "\n"
    try:
        front = parse_yaml(yaml_text.encode("utf-8"), name)
    except CrisisError as exc:
        errors.append(str(exc))
    else:
        if not isinstance(front.data, dict):
            errors.append(
                f"{name}:2: the front-matter must be a mapping of fields (id: …, title: …)"
            )
            front = None
    blocks: dict[str, tuple[int, str]] = {}
    order: list[str] = []
    current: str | None = None
    start = 0
    body: list[str] = []
    for k in range(end + 1, len(lines)):
        number, line = k + 1, lines[k]
        opened, closed = _OPEN.match(line), _CLOSE.match(line)
        if current is None:
            if opened:
                block = opened.group(1)
                if block not in BLOCKS:
                    errors.append(
                        f"{name}:{number}: unknown block '{block}'; the blocks are "
                        + ", ".join(BLOCKS)
                    )
                    block = f"?{block}"
                elif block in blocks:
                    errors.append(
                        f"{name}:{number}: block '{block}' appears twice (first at line "
                        f"{blocks[block][0]})"
                    )
                current, start, body = block, number, []
            elif closed:
                errors.append(f"{name}:{number}: ':::' closes a block that was never opened")
            elif line.strip():
                errors.append(
                    f"{name}:{number}: text outside a block; put it inside '::: lesson', "
                    "'::: case', '::: activity' or '::: reflection'"
                )
        elif closed:
            if not current.startswith("?") and current not in blocks:
                content = "\n".join(body).strip("\n")
                if not content.strip():
                    errors.append(f"{name}:{start}: block '{current}' is empty")
                blocks[current] = (start, content)
                order.append(current)
            current = None
        elif opened:
            errors.append(
                f"{name}:{number}: block '{opened.group(1)}' opens inside block '{current}' "
                f"(opened at line {start}); close '{current}' with ':::' first"
            )
        else:
            body.append(line)
    if current is not None:
        errors.append(f"{name}:{start}: block '{current}' is not closed by a line ':::'")
    last = len(lines)
    for block in BLOCKS:
        if block not in blocks:
            errors.append(f"{name}:{last}: block '{block}' is missing")
    present = [b for b in order if b in BLOCKS]
    expected = [b for b in BLOCKS if b in present]
    if present != expected:
        errors.append(
            f"{name}:{blocks[present[0]][0] if present else 1}: blocks are in the order "
            f"{', '.join(present)}; they must come as {', '.join(BLOCKS)}"
        )
    return front, blocks, errors


def _front_errors(front: Source, model: type[BaseModel]) -> tuple[Any, list[str]]:
    try:
        return model.model_validate(front.data), []
    except ValidationError as exc:
        return None, front.validation_errors(exc)


def decode(data: str | bytes, name: str) -> str:
    """The text of a unit file (UTF-8, at most :data:`MAX_BYTES`).

    Raises:
        ContentError: too large or not UTF-8 (with the file's name).
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise ContentError(f"{name}: larger than {MAX_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(f"{name}:{line}: not valid UTF-8; save the file as UTF-8") from None


def parse_unit(data: str | bytes, name: str, *, origin: str = "bundled") -> Unit:
    """Read an English unit file on its own: front-matter fields and the four blocks.

    Raises:
        ContentError: every problem, each as ``file:line: …`` (in ``errors``).
    """
    unit, errors = read_unit(data, name, origin=origin)
    if errors or unit is None:
        raise ContentError(errors[0] if errors else f"{name}: unreadable", errors=errors)
    return unit


def read_unit(
    data: str | bytes, name: str, *, origin: str = "bundled"
) -> tuple[Unit | None, list[str]]:
    """The unit (whenever its front-matter is valid, even if blocks are wrong) and every problem.

    Raises:
        ContentError: the file is too large or not UTF-8.
    """
    unit, errors, _ = read_unit_source(data, name, origin=origin)
    return unit, errors


def read_unit_source(
    data: str | bytes, name: str, *, origin: str = "bundled"
) -> tuple[Unit | None, list[str], Source | None]:
    """:func:`read_unit`, and the parsed front-matter (for checks of an invalid one)."""
    text = decode(data, name)
    front, blocks, errors = split_file(text, name)
    meta: FrontMatter | None = None
    if front is not None:
        meta, problems = _front_errors(front, FrontMatter)
        errors += problems
        stem = name.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".md")
        if meta is not None:
            if not meta.id.startswith(f"{meta.module}-"):
                errors.append(
                    f"{front.where(['id'])}: id '{meta.id}' must be the module id and a number, "
                    f"like '{meta.module}-1'"
                )
            if origin == "bundled" and stem != meta.id:
                errors.append(f"{front.where(['id'])}: id '{meta.id}' differs from the file name")
    if meta is None or front is None:
        return None, errors, front
    unit = Unit(
        id=meta.id,
        module=meta.module,
        number=int(meta.id.rsplit("-", 1)[1]),
        outcomes=tuple(meta.outcomes),
        minutes=meta.minutes,
        activity=meta.activity,
        text=UnitText(
            "en", meta.title, meta.case, {b: blocks.get(b, (0, ""))[1] for b in BLOCKS}, name
        ),
        source=text,
        name=name,
        origin=origin,
        lines={
            **{b: blocks[b][0] for b in BLOCKS if b in blocks},
            "id": front.line(["id"]),
            "module": front.line(["module"]),
            "outcomes": front.line(["outcomes"]),
            "activity": front.line(["activity"]),
        },
    )
    return unit, errors, front


def parse_translation(data: str | bytes, name: str, lang: str) -> UnitText:
    """Read a translation file (``title``, ``case`` and the four blocks).

    Raises:
        ContentError: every problem, each as ``file:line: …``.
    """
    text = decode(data, name)
    front, blocks, errors = split_file(text, name)
    meta: TranslationFrontMatter | None = None
    if front is not None:
        meta, problems = _front_errors(front, TranslationFrontMatter)
        errors += [
            p + " (a translation has only 'title' and 'case'; the rest comes from the English)"
            if "unknown field" in p
            else p
            for p in problems
        ]
    if errors or meta is None:
        raise ContentError(errors[0] if errors else f"{name}: unreadable", errors=errors)
    return UnitText(lang, meta.title, meta.case, {b: blocks[b][1] for b in BLOCKS}, name)
