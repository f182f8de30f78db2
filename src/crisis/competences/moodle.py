"""Moodle competency frameworks as CRISIS frameworks, both ways.

The file format itself (columns, cells, delimiters) is :mod:`crisis.competences.moodle_csv`.
The mapping, as docs/competences.md states it:

* the framework row is the framework (id number, short name, description, scale,
  taxonomies); its scale goes onto CRISIS's levels 0-4 (:mod:`crisis.competences.scales`)
  and is kept so that an export writes it back;
* a top-level competency is an area; every deeper competency is a competence of the area at
  the top of its branch, with ``parent`` naming the competency above it (none directly under
  the area), so a framework of any depth keeps its tree;
* id numbers are kept as they are; cross-references become ``related``; rules (all children,
  or points from children, with their outcome) become ``rule``, their children named by id
  number instead of Moodle's exported ids;
* an HTML or Moodle-format description is read as text; a Markdown description written by
  CRISIS gives back knowledge, skills, attitudes and level descriptors; a competence whose
  description has no level descriptors takes them from the scale, and an export then leaves
  them out again.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from pydantic import ValidationError

from crisis.competences import scales
from crisis.competences.models import Area, Competence, Framework, Rule, Scale, ScaleSource
from crisis.competences.moodle_csv import (
    FORMAT_HTML,
    FORMAT_MARKDOWN,
    FORMAT_MOODLE,
    HEADER,
    LIMIT,
    OUTCOMES,
    RULE_ALL,
    RULE_POINTS,
    MoodleCompetency,
    MoodleFramework,
    MoodleScale,
    PointsRule,
    read_csv,
    read_rows,
    write_csv,
)
from crisis.competences.sources import MAX_BYTES, Source
from crisis.competences.standards import MOODLE_TAXONOMIES
from crisis.exceptions import ContentError

__all__ = [
    "HEADER",
    "MoodleCompetency",
    "MoodleFramework",
    "export_framework",
    "from_moodle",
    "import_framework",
    "read_csv",
    "to_moodle",
    "write_csv",
]

_SECTIONS = ("knowledge", "skills", "attitudes")


def _headings(lang: str) -> dict[str, str]:
    """The description's headings in ``lang`` (competences/data/moodle.yaml)."""
    from crisis.i18n.texts import texts_in

    return texts_in("crisis.competences", "moodle", lang)


_LEVEL_LINE = re.compile(r"^- \*\*(?P<name>.+?) \((?P<level>[1-4])\):\*\* (?P<text>.+)$")


# --- descriptions -----------------------------------------------------------------------


class _Text(HTMLParser):
    _BLOCKS = frozenset(
        ("p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table")
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n\n" if tag in ("p", "div", "ul", "ol", "table") else "\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n\n" if tag in ("p", "div", "ul", "ol", "table") else "\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(re.sub(r"\s+", " ", data))


def html_text(html: str) -> str:
    """The text of an HTML fragment: tags dropped, paragraphs kept, entities decoded."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _as_text(text: str, fmt: int) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if fmt == FORMAT_HTML or (fmt == FORMAT_MOODLE and re.search(r"<[a-zA-Z][^>]*>", text)):
        return html_text(text)
    return text.strip()


def _describe(comp: Competence, scale: Scale, lang: str) -> str:
    heading = _headings(lang)
    parts = [comp.description.get(lang)] if comp.description else []
    for attr in _SECTIONS:
        items = getattr(comp, attr)
        if items:
            parts.append(
                f"**{heading[attr]}**\n\n" + "\n".join(f"- {item.get(lang)}" for item in items)
            )
    if not scales.has_derived_levels(comp, scale):
        levels = "\n".join(
            f"- **{scale.name(level, lang)} ({level}):** {text.get(lang)}"
            for level, text in comp.levels.items()
        )
        parts.append(f"**{heading['levels']}**\n\n{levels}")
    return "\n\n".join(parts)


def _undescribe(text: str) -> dict[str, Any]:
    result: dict[str, Any] = {"description": [], "levels": {}}
    current = "description"
    # An export in any of the four languages reads back.
    headings = {
        f"**{text}**": key
        for lang in ("en", "el", "de", "pt")
        for key, text in _headings(lang).items()
    }
    for block in re.split(r"\n\s*\n", text.strip()):
        block = block.strip()
        if block in headings:
            current = headings[block]
            result.setdefault(current, [])
            continue
        if current == "description":
            result["description"].append(block)
        elif current == "levels":
            for line in block.splitlines():
                match = _LEVEL_LINE.match(line.strip())
                if match:
                    result["levels"][int(match["level"])] = match["text"].strip()
        else:
            result[current] += [
                line.strip().removeprefix("- ") for line in block.splitlines() if line.strip()
            ]
    result["description"] = "\n\n".join(b for b in result["description"] if b)
    return result


# --- CRISIS → Moodle ----------------------------------------------------------------------


def _moodle_scale(source: ScaleSource) -> MoodleScale:
    return MoodleScale(list(source.values), source.default, list(source.proficient))


def _preorder(area: Area) -> list[Competence]:
    children: dict[str | None, list[Competence]] = {}
    for comp in area.competences:
        children.setdefault(comp.parent, []).append(comp)
    out: list[Competence] = []

    def walk(parent: str | None) -> None:
        for comp in children.get(parent, []):
            out.append(comp)
            walk(comp.id)

    walk(None)
    return out


def _rule(rule: Rule | None, exported: dict[str, str]) -> dict[str, Any]:
    if rule is None:
        return {}
    points = None
    if rule.kind == "points":
        points = PointsRule(
            rule.points or 1,
            [(exported[c], child.points, child.required) for c, child in rule.children.items()],
        )
    return {
        "ruletype": RULE_ALL if rule.kind == "all" else RULE_POINTS,
        "ruleoutcome": OUTCOMES.index(rule.outcome),
        "rule": points,
    }


def to_moodle(framework: Framework, lang: str = "en") -> MoodleFramework:
    """Express a framework as a Moodle competency framework, texts in ``lang``."""
    scale = framework.scale
    source = scales.source_of(scale)
    values = (
        [level.name.get(lang) for level in scale.levels]
        if scale.source is None
        else list(source.values)
    )
    ordered = [(area, _preorder(area)) for area in framework.areas]
    exported: dict[str, str] = {}
    for area, comps in ordered:
        for node_id in (area.id, *(c.id for c in comps)):
            exported[node_id] = str(len(exported) + 1)
    rows: list[MoodleCompetency] = []
    for area, comps in ordered:
        rows.append(
            MoodleCompetency(
                area.id,
                area.title.get(lang)[:LIMIT],
                description=area.description.get(lang) if area.description else "",
                scale=_moodle_scale(area.scale) if area.scale else None,
                related=list(area.related),
                exportid=exported[area.id],
                **_rule(area.rule, exported),
            )
        )
        for comp in comps:
            rows.append(
                MoodleCompetency(
                    comp.id,
                    comp.title.get(lang)[:LIMIT],
                    parent=comp.parent or area.id,
                    description=_describe(comp, scale, lang),
                    scale=_moodle_scale(comp.scale) if comp.scale else None,
                    related=list(comp.related),
                    exportid=exported[comp.id],
                    **_rule(comp.rule, exported),
                )
            )
    depth = max(framework.depths.values(), default=2)
    taxonomies: list[str] = list(framework.taxonomies) or ["domain", "competency"]
    taxonomies += ["competency"] * (depth - len(taxonomies))
    return MoodleFramework(
        idnumber=framework.id[:LIMIT],
        shortname=framework.title.get(lang)[:LIMIT],
        description=framework.description.get(lang) if framework.description else "",
        descriptionformat=FORMAT_MARKDOWN,
        scale=MoodleScale(values, source.default, list(source.proficient)),
        taxonomies=taxonomies,
        competencies=rows,
    )


def export_framework(framework: Framework, lang: str = "en") -> str:
    """The framework as Moodle competency framework CSV text."""
    return write_csv(to_moodle(framework, lang))


# --- Moodle → CRISIS ----------------------------------------------------------------------


def _rule_data(comp: MoodleCompetency, by_export: dict[str, str]) -> dict[str, Any] | None:
    if not comp.ruletype:
        return None
    data: dict[str, Any] = {
        "kind": "all" if comp.ruletype == RULE_ALL else "points",
        "outcome": OUTCOMES[comp.ruleoutcome],
    }
    if comp.ruletype == RULE_POINTS:
        children = {
            by_export[ident]: {"points": points, "required": required}
            for ident, points, required in (comp.rule.children if comp.rule else [])
            if ident in by_export
        }
        total = sum(child["points"] for child in children.values())
        if comp.rule is None or comp.rule.points < 1 or total < comp.rule.points:
            return None  # reported with the row
        data["points"] = comp.rule.points
        data["children"] = children
    return data


def _scale_source(scale: MoodleScale) -> dict[str, Any]:
    return {
        "values": scale.values,
        "levels": scales.place(len(scale.values), min(scale.proficient)),
        "default": scale.default,
        "proficient": scale.proficient,
    }


def _path(
    comp: MoodleCompetency, by_id: dict[str, MoodleCompetency], order: dict[str, int]
) -> tuple[int, ...]:
    steps, seen = [order[comp.idnumber]], {comp.idnumber}
    while comp.parent in by_id and comp.parent not in seen:
        comp = by_id[comp.parent]
        seen.add(comp.idnumber)
        steps.append(order[comp.idnumber])
    return tuple(reversed(steps))


def from_moodle(
    moodle: MoodleFramework, name: str = "framework.csv", errors: list[str] | None = None
) -> Framework:
    """Turn a Moodle framework of any depth and scale into a CRISIS framework.

    Args:
        moodle: The parsed rows.
        name: The file name used in messages.
        errors: Problems already found in the rows; they are reported together with these.

    Raises:
        ContentError: every problem, with ``name:row R`` (and the column where known).
    """
    errors = list(errors or [])
    if moodle.scale is not None:
        scale_data = scales.scale_from(
            moodle.scale.values, moodle.scale.default, moodle.scale.proficient
        )
    else:  # already reported; go on with CRISIS's scale so every other problem shows too
        scale_data = scales.scale_from([str(n["en"]) for n in scales.STANDARD_NAMES], 3, [3, 4, 5])
    scale = Scale.model_validate(scale_data)
    derived = scales.derived_levels(scale)
    by_id = {c.idnumber: c for c in moodle.competencies}
    by_export = {c.exportid: c.idnumber for c in moodle.competencies if c.exportid}

    def top(comp: MoodleCompetency) -> MoodleCompetency | None:
        seen = set()
        while comp.parent:
            if comp.parent not in by_id or comp.idnumber in seen:
                return None  # a missing parent or a cycle, already reported
            seen.add(comp.idnumber)
            comp = by_id[comp.parent]
        return comp

    source = Source(name, None, {(): moodle.row})
    roots = moodle.children()
    members: dict[str, list[MoodleCompetency]] = {root.idnumber: [] for root in roots}
    for comp in moodle.competencies:
        root = top(comp) if comp.parent else None
        if root is not None:
            members[root.idnumber].append(comp)
    order = {c.idnumber: i for i, c in enumerate(moodle.competencies)}
    for comps in members.values():
        # Parents before their children, siblings in file order (as Moodle creates them).
        comps.sort(key=lambda comp: _path(comp, by_id, order))
    areas: list[dict[str, Any]] = []
    for a, root in enumerate(roots):
        source.lines[("areas", a)] = root.row
        area: dict[str, Any] = {
            "id": root.idnumber,
            "title": root.shortname or root.idnumber,  # a missing name is reported already
            "competences": [],
        }
        text = _as_text(root.description, root.descriptionformat)
        if text:
            area["description"] = text
        if root.related:
            area["related"] = root.related
        if (rule := _rule_data(root, by_export)) is not None:
            area["rule"] = rule
        if root.scale is not None:
            area["scale"] = _scale_source(root.scale)
        for c, comp in enumerate(members[root.idnumber]):
            source.lines[("areas", a, "competences", c)] = comp.row
            text = _as_text(comp.description, comp.descriptionformat)
            parsed: dict[str, Any] = (
                _undescribe(text)
                if comp.descriptionformat == FORMAT_MARKDOWN
                else {"description": text, "levels": {}}
            )
            entry: dict[str, Any] = {
                "id": comp.idnumber,
                "title": comp.shortname or comp.idnumber,
                **{attr: parsed.get(attr, []) for attr in _SECTIONS},
                "levels": {level: parsed["levels"].get(level, derived[level]) for level in derived},
                "related": comp.related,
            }
            if parsed["description"]:
                entry["description"] = parsed["description"]
            if comp.parent != root.idnumber:
                entry["parent"] = comp.parent
            if (rule := _rule_data(comp, by_export)) is not None:
                entry["rule"] = rule
            if comp.scale is not None:
                entry["scale"] = _scale_source(comp.scale)
            area["competences"].append(entry)
        areas.append(area)
    data: dict[str, Any] = {
        "id": moodle.idnumber or "framework",
        "title": moodle.shortname or moodle.idnumber or "Framework",
        "scale": scale_data,
        "areas": areas,
    }
    taxonomies = [t for t in moodle.taxonomies if t in MOODLE_TAXONOMIES]
    if taxonomies:
        data["taxonomies"] = taxonomies
    description = _as_text(moodle.description, moodle.descriptionformat)
    if description:
        data["description"] = description
    source.data = data
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        errors += [e.replace(f"{name}:", f"{name}:row ", 1) for e in source.validation_errors(exc)]
    if errors:
        raise ContentError(f"{len(errors)} problems in {name}: {errors[0]}", errors=errors)
    return framework


def import_framework(
    data: bytes, name: str = "framework.csv", *, max_bytes: int = MAX_BYTES
) -> Framework:
    """Read a Moodle competency framework CSV into a CRISIS framework, every problem at once."""
    moodle, errors = read_rows(data, name, max_bytes=max_bytes)
    if moodle is None:
        raise ContentError(f"{len(errors)} problems in {name}: {errors[0]}", errors=errors)
    return from_moodle(moodle, name, errors)
