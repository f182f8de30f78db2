"""The Moodle competency framework CSV file (admin tool "Import competency framework").

Fourteen columns, read by position as Moodle's importer does (the header row's wording varies
between Moodle versions and is not checked). One row has a truthy "Is framework" and describes
the framework (scale values, scale configuration, one taxonomy per depth); every other row is a
competency whose "Parent ID number" names its parent (empty at the top). Rules refer to other
competencies by their "Exported ID". This module reads and writes the rows and checks each
cell; :mod:`crisis.competences.moodle` turns them into a framework.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crisis.competences.sources import MAX_BYTES, decode
from crisis.competences.standards import MOODLE_TAXONOMIES
from crisis.exceptions import ContentError, FormatError
from crisis.formats.tables import SafeWriter, restore_cell

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
RULE_ALL = "core_competency\\competency_rule_all"
RULE_POINTS = "core_competency\\competency_rule_points"
RULE_TYPES = ("", RULE_ALL, RULE_POINTS)
#: Moodle's rule outcomes (core_competency\competency::OUTCOME_*), by number.
OUTCOMES: tuple[str, ...] = ("none", "evidence", "complete", "recommend")
LIMIT = 100  # Moodle cuts id numbers and short names at 100 characters
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}

Err = Callable[[int, int | None, str], None]


@dataclass(frozen=True)
class MoodleScale:
    """A scale: its values and configuration (1-based default and proficient values)."""

    values: list[str]
    default: int
    proficient: list[int]
    scaleid: str = "0"

    def configuration(self) -> str:
        """Moodle's scale configuration JSON."""
        items: list[dict[str, Any]] = [{"scaleid": self.scaleid}]
        items += [
            {
                "id": i,
                "scaledefault": int(i == self.default),
                "proficient": int(i in self.proficient),
            }
            for i in range(1, len(self.values) + 1)
        ]
        return json.dumps(items, separators=(",", ":"))


@dataclass(frozen=True)
class PointsRule:
    """A points rule as Moodle writes it: children by exported id."""

    points: int
    children: list[tuple[str, int, bool]]  # (exported id, points, required)


@dataclass
class MoodleCompetency:
    """One competency row."""

    idnumber: str
    shortname: str
    parent: str = ""
    description: str = ""
    descriptionformat: int = FORMAT_MARKDOWN
    scale: MoodleScale | None = None
    ruletype: str = ""
    ruleoutcome: int = 0
    rule: PointsRule | None = None
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
    scale: MoodleScale | None
    taxonomies: list[str]
    competencies: list[MoodleCompetency]
    row: int = 0

    def children(self, parent: str = "") -> list[MoodleCompetency]:
        """Competencies whose parent id number is ``parent`` (top level for ``""``)."""
        return [c for c in self.competencies if c.parent == parent]

    def tree(self, parent: str = "") -> list[tuple[str, list[Any]]]:
        """The hierarchy as nested ``(idnumber, children)`` pairs."""
        return [(c.idnumber, self.tree(c.idnumber)) for c in self.children(parent)]


def _rule_config(comp: MoodleCompetency) -> str:
    if comp.rule is None:
        return "null"
    return json.dumps(
        {
            "base": {"points": comp.rule.points},
            "competencies": [
                {"id": int(i) if i.isdigit() else i, "points": p, "required": int(r)}
                for i, p, r in comp.rule.children
            ],
        },
        separators=(",", ":"),
    )


def write_csv(framework: MoodleFramework) -> str:
    """The CSV text Moodle's exporter would write for ``framework``."""
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")  # formula-looking titles neutralised
    writer.writerow(HEADER)
    scale = framework.scale
    writer.writerow(
        [
            "",
            framework.idnumber,
            framework.shortname,
            framework.description,
            framework.descriptionformat,
            ",".join(scale.values) if scale else "",
            scale.configuration() if scale else "",
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
                ",".join(comp.scale.values) if comp.scale else "",
                comp.scale.configuration() if comp.scale else "",
                comp.ruletype,
                comp.ruleoutcome,
                _rule_config(comp),
                ",".join(r.replace(",", "%2C") for r in comp.related),
                comp.exportid,
                "",
                "",
            ]
        )
    return out.getvalue()


def _truthy(value: str) -> bool:
    # PHP truthiness, as Moodle's importer applies it to "Is framework".
    return value.strip() not in ("", "0")


def _split_rows(text: str, name: str) -> list[list[str]]:
    """The rows of ``text``, split by the delimiter (comma, semicolon or tab) its header uses."""
    header = text.split("\n", 1)[0]
    counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in DELIMITERS}
    fitting = [d for d, n in counts.items() if n >= len(HEADER)]
    if not fitting:
        found = ", ".join(f"{counts[d]} with {DELIMITERS[d]}s" for d in DELIMITERS)
        problem = (
            f"{name}:row 1: expected Moodle's {len(HEADER)} columns ({', '.join(HEADER)}) "
            f"separated by commas, semicolons or tabs; the header has {found}"
        )
        if "conceptUri" in header:
            problem += "; it looks like an ESCO file: use 'crisis competences esco-suggest'"
        raise ContentError(problem, errors=[problem])
    # Prefer the delimiter that gives exactly 14 columns, then comma, semicolon, tab.
    delimiter = min(fitting, key=lambda d: (counts[d] != len(HEADER), list(DELIMITERS).index(d)))
    try:
        return [
            [restore_cell(cell) for cell in row]
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        ]
    except csv.Error as exc:
        raise FormatError(
            f"not a valid CSV file ({DELIMITERS[delimiter]}-separated): {exc}", location=name
        ) from None


def parse_scale(values: str, config: str, row: int, err: Err) -> MoodleScale | None:
    """A scale from its two cells, or ``None`` after reporting what is wrong."""
    items = [v.strip() for v in values.split(",")]
    if not values.strip() or any(not v for v in items):
        err(row, 5, "scale values are needed, comma-separated (e.g. 'Not yet competent,Competent')")
        return None
    try:
        parsed = json.loads(config)
        if not isinstance(parsed, list) or not parsed or not isinstance(parsed[0], dict):
            raise ValueError
        if "scaleid" not in parsed[0]:
            raise ValueError
        entries = [(int(e["id"]), e) for e in parsed[1:]]
    except (ValueError, TypeError, KeyError):
        err(row, 6, 'expected JSON like [{"scaleid":"2"},{"id":2,"scaledefault":1,"proficient":1}]')
        return None
    problems = 0
    outside = [i for i, _ in entries if not 1 <= i <= len(items)]
    if outside:
        err(row, 6, f"value {outside[0]} is outside the {len(items)} scale values")
        problems += 1
    defaults = [i for i, e in entries if _flag(e.get("scaledefault"))]
    proficient = [i for i, e in entries if _flag(e.get("proficient"))]
    if len(defaults) != 1:
        err(row, 6, f"exactly one scale value must be the default, found {len(defaults)}")
        problems += 1
    if not proficient:
        err(row, 6, "at least one scale value must be proficient")
        problems += 1
    if problems:
        return None
    return MoodleScale(items, defaults[0], sorted(proficient), str(parsed[0]["scaleid"]))


def _flag(value: Any) -> bool:
    return value not in (None, 0, "0", "", False)


def _parse_rule(cells: list[str], row: int, err: Err) -> tuple[str, int, PointsRule | None]:
    ruletype = cells[7].strip()
    if ruletype not in RULE_TYPES:
        err(
            row,
            7,
            f"'{ruletype}' is not a Moodle competency rule class ({', '.join(RULE_TYPES[1:])})",
        )
        ruletype = ""
    raw_outcome = cells[8].strip() or "0"
    outcome = 0
    if not raw_outcome.isdigit() or int(raw_outcome) >= len(OUTCOMES):
        err(
            row,
            8,
            f"{raw_outcome!r} is not a rule outcome (0 none, 1 evidence, 2 complete, 3 recommend)",
        )
    else:
        outcome = int(raw_outcome)
    config = cells[9].strip()
    if ruletype != RULE_POINTS:
        return ruletype, outcome, None
    try:
        parsed = json.loads(config)
        points = int(parsed["base"]["points"])
        children = [
            (str(c["id"]), int(c["points"]), _flag(c["required"])) for c in parsed["competencies"]
        ]
    except (ValueError, TypeError, KeyError):
        err(
            row,
            9,
            'a points rule needs JSON like {"base":{"points":2},"competencies":'
            '[{"id":12,"points":1,"required":0}]}',
        )
        return ruletype, outcome, None
    return ruletype, outcome, PointsRule(points, children)


def read_rows(
    data: bytes, name: str = "framework.csv", *, max_bytes: int = MAX_BYTES
) -> tuple[MoodleFramework | None, list[str]]:
    """Parse a Moodle competency framework CSV, collecting every row problem.

    Returns:
        The framework (``None`` without a framework row) and the problems, each as
        ``name:row R, column C (header): message``.

    Raises:
        FormatError: too large, not UTF-8, or not CSV at all.
        ContentError: the header does not have Moodle's 14 columns in any delimiter.
    """
    text = decode(data, name, max_bytes=max_bytes).replace("\r\n", "\n").replace("\r", "\n")
    rows = _split_rows(text, name)
    errors: list[str] = []

    def err(row: int, col: int | None, message: str) -> None:
        where = f"row {row}" if col is None else f"row {row}, column {col + 1} ({HEADER[col]})"
        errors.append(f"{name}:{where}: {message}")

    framework: MoodleFramework | None = None
    competencies: list[MoodleCompetency] = []
    seen: dict[str, int] = {}
    exported: dict[str, int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) > len(HEADER) and any(c.strip() for c in raw[len(HEADER) :]):
            err(number, None, f"{len(raw)} cells; Moodle's rows have {len(HEADER)}")
        cells = [*raw, *[""] * (len(HEADER) - len(raw))][: len(HEADER)]
        idnumber, shortname = cells[1].strip()[:LIMIT], cells[2].strip()[:LIMIT]
        fmt = cells[4].strip() or "0"
        if not fmt.isdigit() or int(fmt) not in (0, 1, 2, 4):
            err(number, 4, f"{fmt!r} is not a Moodle description format (0, 1, 2 or 4)")
            fmt = "0"
        if _truthy(cells[12]):
            if framework is not None:
                err(number, 12, f"a second framework row (the first is row {framework.row})")
                continue
            taxonomies = [t.strip() for t in cells[13].split(",") if t.strip()]
            for taxonomy in taxonomies:
                if taxonomy not in MOODLE_TAXONOMIES:
                    err(
                        number,
                        13,
                        f"{taxonomy!r} is not a Moodle taxonomy term "
                        f"({', '.join(MOODLE_TAXONOMIES)})",
                    )
            if not idnumber or not shortname:
                err(
                    number,
                    1 if not idnumber else 2,
                    "the framework needs an ID number and a short name",
                )
            framework = MoodleFramework(
                idnumber,
                shortname,
                cells[3],
                int(fmt),
                parse_scale(cells[5], cells[6], number, err),
                taxonomies,
                [],
                number,
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
        exportid = cells[11].strip()
        if exportid:
            if exportid in exported:
                err(
                    number,
                    11,
                    f"exported ID {exportid!r} is used twice (first at row {exported[exportid]})",
                )
            exported.setdefault(exportid, number)
        scale = (
            parse_scale(cells[5], cells[6], number, err)
            if cells[5].strip() or cells[6].strip()
            else None
        )
        ruletype, outcome, rule = _parse_rule(cells, number, err)
        related = [r.strip().replace("%2C", ",") for r in cells[10].split(",") if r.strip()]
        competencies.append(
            MoodleCompetency(
                idnumber,
                shortname,
                cells[0].strip(),
                cells[3],
                int(fmt),
                scale,
                ruletype,
                outcome,
                rule,
                related,
                exportid,
                number,
            )
        )
    if framework is None:
        errors.append(
            f"{name}: no row has a truthy 'Is framework' column; Moodle needs exactly one"
        )
    elif framework.scale is None and not any(
        e.startswith(f"{name}:row {framework.row}, column 6")
        or e.startswith(f"{name}:row {framework.row}, column 7")
        for e in errors
    ):
        err(framework.row, 5, "the framework needs a scale")
    _check_links(competencies, seen, err)
    errors += _cycles(competencies, name)
    if framework is not None:
        framework.competencies = competencies
    return framework, errors


def _check_links(comps: list[MoodleCompetency], seen: dict[str, int], err: Err) -> None:
    by_export = {c.exportid: c for c in comps if c.exportid}
    for comp in comps:
        if comp.parent and comp.parent not in seen:
            err(comp.row, 0, f"parent {comp.parent!r} of {comp.idnumber!r} does not exist")
        for other in comp.related:
            if other not in seen:
                err(comp.row, 10, f"cross-reference {other!r} does not exist")
            elif other == comp.idnumber:
                err(comp.row, 10, f"{comp.idnumber!r} refers to itself")
        if comp.rule is None:
            continue
        if comp.rule.points < 1:
            err(comp.row, 9, f"a points rule needs at least 1 point, found {comp.rule.points}")
        total = sum(points for _, points, _ in comp.rule.children)
        if total < comp.rule.points:
            err(
                comp.row,
                9,
                f"the children give {total} points, fewer than the {comp.rule.points} required",
            )
        for ident, _, _ in comp.rule.children:
            child = by_export.get(ident)
            if child is None:
                err(comp.row, 9, f"the rule counts exported ID {ident!r}, which no row has")
            elif child.parent != comp.idnumber:
                err(
                    comp.row,
                    9,
                    f"the rule counts {child.idnumber!r} (row {child.row}), which is not a "
                    f"child of {comp.idnumber!r}",
                )
        if not comp.rule.children:
            err(comp.row, 9, "a points rule needs the children that give the points")


def _cycles(comps: list[MoodleCompetency], name: str) -> list[str]:
    parent = {c.idnumber: c.parent for c in comps}
    errors, reported = [], set()
    for comp in comps:
        trail, node = [comp.idnumber], comp.parent
        while node and node in parent:
            if node == comp.idnumber:
                if frozenset(trail) not in reported:
                    reported.add(frozenset(trail))
                    errors.append(
                        f"{name}:row {comp.row}: parents form a cycle: {' → '.join([*trail, node])}"
                    )
                break
            if node in trail:
                break
            trail.append(node)
            node = parent[node]
    return errors


def read_csv(
    data: bytes, name: str = "framework.csv", *, max_bytes: int = MAX_BYTES
) -> MoodleFramework:
    """Parse a Moodle competency framework CSV, checking it whole.

    Raises:
        FormatError: too large, not UTF-8, or not CSV.
        ContentError: every row problem, as ``name:row R, column C (header): message``.
    """
    framework, errors = read_rows(data, name, max_bytes=max_bytes)
    if errors or framework is None:
        raise ContentError(f"{len(errors)} problems in {name}: {errors[0]}", errors=errors)
    return framework
