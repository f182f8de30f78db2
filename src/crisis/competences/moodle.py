"""Moodle competency framework CSV (admin tool "Import competency framework"), both ways.

Columns are read by position, as Moodle's importer does; the header row is the exporter's.
One row has a truthy "Is framework" and describes the framework (scale values, scale
configuration, one taxonomy per depth); every other row is a competency whose "Parent ID
number" names its parent (empty at the top). CRISIS writes areas at depth 1 (taxonomy
``domain``) and competences at depth 2 (``competency``); a competence's knowledge, skills,
attitudes and level descriptors travel in its Markdown description, so an import of an
exported file yields the same tree.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from crisis.competences.models import Competence, Framework
from crisis.competences.sources import MAX_BYTES, Source, decode
from crisis.competences.standards import MOODLE_TAXONOMIES
from crisis.exceptions import ContentError, FormatError

HEADER: tuple[str, ...] = (
    "Parent ID number",
    "ID number",
    "Short name",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    "Cross-referenced competency ID numbers",
    "Exported ID (optional)",
    "Is framework",
    "Taxonomy",
)
#: Moodle's description formats.
FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN, FORMAT_MARKDOWN = 0, 1, 2, 4
RULE_TYPES = ("", "core_competency\\competency_rule_all", "core_competency\\competency_rule_points")
_LIMIT = 100  # Moodle cuts id numbers and short names at 100 characters


@dataclass
class MoodleCompetency:
    """One competency row."""

    idnumber: str
    shortname: str
    parent: str = ""
    description: str = ""
    descriptionformat: int = FORMAT_MARKDOWN
    scalevalues: str = ""
    scaleconfiguration: str = ""
    ruletype: str = ""
    ruleoutcome: str = "0"
    ruleconfig: str = "null"
    related: list[str] = field(default_factory=list)
    exportid: str = ""
    row: int = 0


@dataclass
class MoodleFramework:
    """The framework row and its competencies, in file order."""

    idnumber: str
    shortname: str
    description: str
    descriptionformat: int
    scalevalues: str
    scaleconfiguration: str
    taxonomies: list[str]
    competencies: list[MoodleCompetency]
    row: int = 0

    def children(self, parent: str = "") -> list[MoodleCompetency]:
        """Competencies whose parent id number is ``parent`` (top level for ``""``)."""
        return [c for c in self.competencies if c.parent == parent]

    def tree(self, parent: str = "") -> list[tuple[str, list[Any]]]:
        """The hierarchy as nested ``(idnumber, children)`` pairs."""
        return [(c.idnumber, self.tree(c.idnumber)) for c in self.children(parent)]


def write_csv(framework: MoodleFramework) -> str:
    """The CSV text Moodle's exporter would write for ``framework``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerow(
        [
            "",
            framework.idnumber,
            framework.shortname,
            framework.description,
            framework.descriptionformat,
            framework.scalevalues,
            framework.scaleconfiguration,
            "",
            "",
            "",
            "",
            "",
            "1",
            ",".join(framework.taxonomies),
        ]
    )
    for comp in framework.competencies:
        writer.writerow(
            [
                comp.parent,
                comp.idnumber,
                comp.shortname,
                comp.description,
                comp.descriptionformat,
                comp.scalevalues,
                comp.scaleconfiguration,
                comp.ruletype,
                comp.ruleoutcome,
                comp.ruleconfig,
                ",".join(r.replace(",", "%2C") for r in comp.related),
                comp.exportid,
                "",
                "",
            ]
        )
    return out.getvalue()


def _truthy(value: str) -> bool:
    # PHP truthiness, as Moodle's importer applies it to "Is framework".
    return value not in ("", "0")


def read_csv(
    data: bytes, name: str = "framework.csv", *, max_bytes: int = MAX_BYTES
) -> MoodleFramework:
    """Parse a Moodle competency framework CSV, checking it whole.

    Raises:
        FormatError: too large, not UTF-8, or not CSV.
        ContentError: every row problem, as ``name:row R, column C (header): message``.
    """
    text = decode(data, name, max_bytes=max_bytes)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise FormatError(f"not a valid CSV file: {exc}", location=name) from None
    errors: list[str] = []

    def err(row: int, col: int | None, message: str) -> None:
        where = f"row {row}" if col is None else f"row {row}, column {col + 1} ({HEADER[col]})"
        errors.append(f"{name}:{where}: {message}")

    if not rows or len(rows[0]) < len(HEADER):
        raise ContentError(
            f"{name}:row 1: expected Moodle's {len(HEADER)} columns, found "
            f"{len(rows[0]) if rows else 0}",
            errors=[f"{name}:row 1: expected Moodle's {len(HEADER)} columns ({', '.join(HEADER)})"],
        )
    framework: MoodleFramework | None = None
    competencies: list[MoodleCompetency] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue
        cells = [*raw, *[""] * (len(HEADER) - len(raw))][: len(HEADER)]
        idnumber, shortname = cells[1][:_LIMIT], cells[2][:_LIMIT]
        fmt = cells[4] or "0"
        if not fmt.isdigit() or int(fmt) not in (0, 1, 2, 4):
            err(number, 4, f"{fmt!r} is not a Moodle description format (0, 1, 2 or 4)")
            fmt = "0"
        if _truthy(cells[12]):
            if framework is not None:
                err(number, 12, f"a second framework row (the first is row {framework.row})")
                continue
            taxonomies = [t for t in cells[13].split(",") if t]
            for taxonomy in taxonomies:
                if taxonomy not in MOODLE_TAXONOMIES:
                    err(number, 13, f"{taxonomy!r} is not a Moodle taxonomy term")
            _check_scale(cells[5], cells[6], number, err)
            if not idnumber or not shortname:
                err(
                    number,
                    1 if not idnumber else 2,
                    "the framework needs an ID number and a short name",
                )
            framework = MoodleFramework(
                idnumber, shortname, cells[3], int(fmt), cells[5], cells[6], taxonomies, [], number
            )
            continue
        if not idnumber:
            err(number, 1, "a competency needs an ID number")
            continue
        if not shortname:
            err(number, 2, f"competency {idnumber!r} needs a short name")
        if idnumber in seen:
            err(number, 1, f"ID number {idnumber!r} is used twice (first at row {seen[idnumber]})")
            continue
        seen[idnumber] = number
        if cells[7] not in RULE_TYPES:
            err(number, 7, f"{cells[7]!r} is not a Moodle competency rule class")
        if cells[5] or cells[6]:
            _check_scale(cells[5], cells[6], number, err)
        related = [r.replace("%2C", ",") for r in cells[10].split(",") if r]
        competencies.append(
            MoodleCompetency(
                idnumber,
                shortname,
                cells[0],
                cells[3],
                int(fmt),
                cells[5],
                cells[6],
                cells[7],
                cells[8],
                cells[9],
                related,
                cells[11],
                number,
            )
        )
    if framework is None:
        errors.append(
            f"{name}: no row has a truthy 'Is framework' column; Moodle needs exactly one"
        )
    for comp in competencies:
        if comp.parent and comp.parent not in seen:
            err(comp.row, 0, f"parent {comp.parent!r} of {comp.idnumber!r} does not exist")
        for other in comp.related:
            if other not in seen:
                err(comp.row, 10, f"cross-reference {other!r} does not exist")
    errors += _cycles(competencies, seen, name)
    if errors or framework is None:
        raise ContentError(f"{len(errors)} problems in {name}: {errors[0]}", errors=errors)
    framework.competencies = competencies
    return framework


def _check_scale(values: str, config: str, row: int, err: Any) -> None:
    items = [v for v in values.split(",") if v.strip()]
    if not items:
        err(row, 5, "scale values are needed (comma-separated, e.g. 'Not yet competent,Competent')")
        return
    try:
        parsed = json.loads(config)
        if not isinstance(parsed, list) or not parsed or "scaleid" not in parsed[0]:
            raise ValueError
        entries = parsed[1:]
        ids = [int(entry["id"]) for entry in entries]
    except (ValueError, TypeError, KeyError):
        err(row, 6, 'expected JSON like [{"scaleid":"2"},{"id":2,"scaledefault":1,"proficient":1}]')
        return
    if any(not 1 <= i <= len(items) for i in ids):
        err(row, 6, f"an item id is outside the {len(items)} scale values")
    if sum(int(e.get("scaledefault", 0)) for e in entries) != 1:
        err(row, 6, "exactly one scale value must be the default")
    if not any(int(e.get("proficient", 0)) for e in entries):
        err(row, 6, "at least one scale value must be proficient")


def _cycles(comps: list[MoodleCompetency], seen: dict[str, int], name: str) -> list[str]:
    parent = {c.idnumber: c.parent for c in comps}
    errors = []
    for comp in comps:
        trail, node = [comp.idnumber], comp.parent
        while node and node in parent:
            if node == comp.idnumber:
                errors.append(
                    f"{name}:row {comp.row}: parents form a cycle: {' → '.join([*trail, node])}"
                )
                break
            if node in trail:
                break
            trail.append(node)
            node = parent[node]
    return errors


_SECTIONS = ("knowledge", "skills", "attitudes")


def _headings(lang: str) -> dict[str, str]:
    """The description's headings in ``lang`` (competences/data/moodle.yaml)."""
    from crisis.i18n.texts import texts_in

    return texts_in("crisis.competences", "moodle", lang)


_LEVEL_LINE = re.compile(r"^- \*\*(?P<name>.+?) \((?P<level>[1-4])\):\*\* (?P<text>.+)$")


def _describe(comp: Competence, scale_names: list[str], lang: str) -> str:
    heading = _headings(lang)
    parts = [comp.description.get(lang)]
    for attr in _SECTIONS:
        items = getattr(comp, attr)
        if items:
            parts.append(
                f"**{heading[attr]}**\n\n" + "\n".join(f"- {item.get(lang)}" for item in items)
            )
    levels = "\n".join(
        f"- **{scale_names[level]} ({level}):** {text.get(lang)}"
        for level, text in comp.levels.items()
    )
    parts.append(f"**{heading['levels']}**\n\n{levels}")
    return "\n\n".join(parts)


def _undescribe(text: str) -> dict[str, Any]:
    blocks = text.split("\n\n")
    result: dict[str, Any] = {"description": [], "levels": {}}
    current = "description"
    # An export in any of the four languages reads back.
    headings = {
        f"**{text}**": key
        for lang in ("en", "el", "de", "pt")
        for key, text in _headings(lang).items()
    }
    for block in blocks:
        if block in headings:
            current = headings[block]
            result.setdefault(current, [])
            continue
        if current == "description":
            result["description"].append(block)
        elif current == "levels":
            for line in block.splitlines():
                match = _LEVEL_LINE.match(line)
                if match:
                    result["levels"][int(match["level"])] = match["text"]
        else:
            result[current] += [line.removeprefix("- ") for line in block.splitlines()]
    result["description"] = "\n\n".join(result["description"])
    return result


def to_moodle(framework: Framework, lang: str = "en") -> MoodleFramework:
    """Express a framework as a Moodle competency framework, texts in ``lang``."""
    names = [level.name.get(lang) for level in framework.scale.levels]
    config = [{"scaleid": "0"}] + [
        {
            "id": index,
            "scaledefault": int(level.value == framework.scale.proficient),
            "proficient": int(level.value >= framework.scale.proficient),
        }
        for index, level in enumerate(framework.scale.levels, start=1)
    ]
    rows: list[MoodleCompetency] = []
    for area in framework.areas:
        rows.append(
            MoodleCompetency(
                area.id,
                area.title.get(lang)[:_LIMIT],
                description=area.description.get(lang) if area.description else "",
            )
        )
        for comp in area.competences:
            rows.append(
                MoodleCompetency(
                    comp.id,
                    comp.title.get(lang)[:_LIMIT],
                    parent=area.id,
                    description=_describe(comp, names, lang),
                    related=list(comp.related),
                )
            )
    return MoodleFramework(
        idnumber=framework.id[:_LIMIT],
        shortname=framework.title.get(lang)[:_LIMIT],
        description=framework.description.get(lang) if framework.description else "",
        descriptionformat=FORMAT_MARKDOWN,
        scalevalues=",".join(names),
        scaleconfiguration=json.dumps(config, separators=(",", ":")),
        taxonomies=["domain", "competency"],
        competencies=rows,
    )


def from_moodle(moodle: MoodleFramework, name: str = "framework.csv") -> Framework:
    """Turn a two-level Moodle framework (domains of competencies) into a CRISIS framework.

    Raises:
        ContentError: with ``name:row R: field: message`` for each problem.
    """
    errors: list[str] = []
    values = [v.strip() for v in moodle.scalevalues.split(",")]
    if len(values) != 5:
        errors.append(
            f"{name}:row {moodle.row}, column 6 (Scale values): CRISIS needs 5 scale values "
            f"(levels 0-4), found {len(values)}"
        )
    config = json.loads(moodle.scaleconfiguration)
    proficient = min(
        (int(e["id"]) - 1 for e in config[1:] if int(e.get("proficient", 0))), default=2
    )
    source = Source(name, None, {(): moodle.row})
    areas = []
    for a, top in enumerate(moodle.children()):
        source.lines[("areas", a)] = top.row
        competences = []
        for c, comp in enumerate(moodle.children(top.idnumber)):
            source.lines[("areas", a, "competences", c)] = comp.row
            for deeper in moodle.children(comp.idnumber):
                errors.append(
                    f"{name}:row {deeper.row}: {deeper.idnumber!r} is at depth 3; CRISIS "
                    "frameworks have two levels (areas of competences)"
                )
            parsed = _undescribe(comp.description)
            competences.append(
                {
                    "id": comp.idnumber,
                    "title": comp.shortname,
                    "description": parsed["description"],
                    **{attr: parsed.get(attr, []) for attr in _SECTIONS},
                    "levels": parsed["levels"],
                    "related": comp.related,
                }
            )
        area: dict[str, Any] = {
            "id": top.idnumber,
            "title": top.shortname,
            "competences": competences,
        }
        if top.description:
            area["description"] = top.description
        areas.append(area)
    data: dict[str, Any] = {
        "id": moodle.idnumber,
        "title": moodle.shortname,
        "scale": {
            "proficient": max(1, proficient),
            "levels": [{"value": i, "name": v} for i, v in enumerate(values)],
        },
        "areas": areas,
    }
    if moodle.description:
        data["description"] = moodle.description
    source.data = data
    if not errors:
        try:
            return Framework.model_validate(data)
        except ValidationError as exc:
            errors += [
                e.replace(f"{name}:", f"{name}:row ", 1) for e in source.validation_errors(exc)
            ]
    raise ContentError(f"{len(errors)} problems in {name}: {errors[0]}", errors=errors)


def export_framework(framework: Framework, lang: str = "en") -> str:
    """The framework as Moodle competency framework CSV text."""
    return write_csv(to_moodle(framework, lang))


def import_framework(
    data: bytes, name: str = "framework.csv", *, max_bytes: int = MAX_BYTES
) -> Framework:
    """Read a Moodle competency framework CSV into a CRISIS framework (nothing half-read)."""
    return from_moodle(read_csv(data, name, max_bytes=max_bytes), name)
