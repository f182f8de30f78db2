"""ESCO interchange: read an ESCO CSV package to suggest skill mappings, and write our job
profiles as ESCO-style occupation–skill relations.

An ESCO CSV package holds, per language, ``skills_<lang>.csv`` (conceptUri, skillType,
reuseLevel, preferredLabel, altLabels, description, ...) and
``occupationSkillRelations_<lang>.csv`` (occupationUri, relationType, skillType, skillUri).
Columns are found by header name, so extra ESCO columns are ignored.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from crisis.competences.models import Catalogue, Competence
from crisis.competences.sources import MAX_BYTES, decode
from crisis.competences.standards import ESCO_OCCUPATION_URI, ESCO_SKILL_URI
from crisis.exceptions import ContentError, FormatError
from crisis.formats.tables import SafeWriter

SKILL_COLUMNS = (
    "conceptUri",
    "skillType",
    "reuseLevel",
    "preferredLabel",
    "altLabels",
    "description",
)
RELATION_COLUMNS = ("occupationUri", "relationType", "skillType", "skillUri")
SKILL_TYPES = ("knowledge", "skill/competence")
RELATION_TYPES = ("essential", "optional")


@dataclass(frozen=True)
class EscoSkill:
    """One ESCO skill or knowledge concept."""

    uri: str
    skill_type: str
    reuse_level: str
    label: str
    alt_labels: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class EscoRelation:
    """One occupation–skill relation."""

    occupation: str
    relation: str
    skill_type: str
    skill: str


@dataclass
class EscoPackage:
    """The skills and relations read from an ESCO CSV package."""

    skills: dict[str, EscoSkill] = field(default_factory=dict)
    relations: list[EscoRelation] = field(default_factory=list)


@dataclass(frozen=True)
class Suggestion:
    """An ESCO skill proposed as a mapping for a competence."""

    competence: str
    uri: str
    label: str
    score: float


def _rows(
    data: bytes, name: str, required: tuple[str, ...], max_bytes: int
) -> tuple[list[dict[str, str]], list[str]]:
    text = decode(data, name, max_bytes=max_bytes)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        rows = list(reader)
    except csv.Error as exc:
        raise FormatError(f"not a valid CSV file: {exc}", location=name) from None
    header = reader.fieldnames or []
    missing = [column for column in required if column not in header]
    if missing:
        return [], [f"{name}:row 1: missing column(s) {', '.join(missing)}"]
    return rows, []


def read_package(files: dict[str, bytes], *, max_bytes: int = MAX_BYTES) -> EscoPackage:
    """Read ``skills_<lang>.csv`` and (optionally) ``occupationSkillRelations_<lang>.csv``.

    Raises:
        ContentError: every problem, as ``file:row R, column C (name): message``.
    """
    package, errors = EscoPackage(), []
    skill_files = [
        n for n in files if re.fullmatch(r"skills_[a-z]{2,3}\.csv", n.rsplit("/", 1)[-1])
    ]
    relation_files = [
        n
        for n in files
        if re.fullmatch(r"occupationSkillRelations_[a-z]{2,3}\.csv", n.rsplit("/", 1)[-1])
    ]
    if not skill_files:
        raise ContentError(
            "no skills_<lang>.csv file in the ESCO package",
            errors=["no skills_<lang>.csv file in the ESCO package"],
        )
    for name in skill_files:
        rows, problems = _rows(files[name], name, SKILL_COLUMNS, max_bytes)
        errors += problems
        for number, row in enumerate(rows, start=2):
            where = f"{name}:row {number}"
            uri, kind = row["conceptUri"] or "", row["skillType"] or ""
            if not ESCO_SKILL_URI.match(uri):
                errors.append(f"{where}, column conceptUri: {uri!r} is not an ESCO skill URI")
                continue
            if kind not in SKILL_TYPES:
                errors.append(
                    f"{where}, column skillType: {kind!r} is not one of {', '.join(SKILL_TYPES)}"
                )
            package.skills[uri] = EscoSkill(
                uri,
                kind,
                row["reuseLevel"] or "",
                (row["preferredLabel"] or "").strip(),
                tuple(a.strip() for a in (row["altLabels"] or "").splitlines() if a.strip()),
                (row["description"] or "").strip(),
            )
    for name in relation_files:
        rows, problems = _rows(files[name], name, RELATION_COLUMNS, max_bytes)
        errors += problems
        for number, row in enumerate(rows, start=2):
            where = f"{name}:row {number}"
            if not ESCO_OCCUPATION_URI.match(row["occupationUri"] or ""):
                errors.append(
                    f"{where}, column occupationUri: {row['occupationUri']!r} "
                    "is not an ESCO occupation URI"
                )
            if row["relationType"] not in RELATION_TYPES:
                errors.append(
                    f"{where}, column relationType: {row['relationType']!r} "
                    "is not essential or optional"
                )
            if row["skillUri"] not in package.skills:
                errors.append(
                    f"{where}, column skillUri: {row['skillUri']!r} is not in the skills file"
                )
            package.relations.append(
                EscoRelation(
                    row["occupationUri"], row["relationType"], row["skillType"], row["skillUri"]
                )
            )
    if errors:
        raise ContentError(
            f"{len(errors)} problems in the ESCO package: {errors[0]}", errors=errors
        )
    return package


_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_STOP = frozenset(
    (
        "and",
        "the",
        "for",
        "with",
        "from",
        "into",
        "that",
        "this",
        "their",
        "them",
        "they",
        "are",
        "its",
        "city",
        "cities",
        "use",
        "using",
        "how",
        "what",
        "who",
        "which",
        "when",
        "where",
        "able",
        "other",
        "others",
        "own",
    )
)


def _terms(text: str) -> set[str]:
    # A crude stem (first six letters) lets "planning" meet "plan" and "risks" meet "risk".
    return {w.lower()[:6] for w in _WORD.findall(text) if w.lower() not in _STOP}


def _competence_terms(comp: Competence) -> set[str]:
    texts = [
        comp.title.get("en"),
        *(s.get("en") for s in comp.skills),
        *(k.get("en") for k in comp.knowledge),
    ]
    return _terms(" ".join(texts))


def suggest_mappings(
    cat: Catalogue, package: EscoPackage, *, limit: int = 3, threshold: float = 0.1
) -> list[Suggestion]:
    """Propose ESCO skills for each competence by the overlap of their words (Jaccard index).

    Suggestions are for a person to confirm; already mapped URIs are left out.
    """
    skills = [(s, _terms(" ".join((s.label, *s.alt_labels)))) for s in package.skills.values()]
    found: list[Suggestion] = []
    for comp in cat.framework.competences:
        own = _competence_terms(comp)
        title = _terms(comp.title.get("en"))
        scored = []
        for skill, terms in skills:
            if skill.uri in comp.mappings.esco or not terms:
                continue
            score = len(own & terms) / len(own | terms) + 0.5 * len(title & terms) / len(terms)
            if score >= threshold:
                scored.append(Suggestion(comp.id, skill.uri, skill.label, round(score, 3)))
        scored.sort(key=lambda s: (-s.score, s.label))
        found += scored[:limit]
    return found


def export_relations(cat: Catalogue, *, base_uri: str | None = None) -> str:
    """Our job profiles as ESCO-style occupation–skill relations CSV.

    Each target becomes a row (profile URI, essential/optional, skill type, competence URI);
    a competence mapped to ESCO skills adds one row per mapped ESCO URI as well.
    """
    base = (base_uri or cat.framework.uri or f"urn:crisis:{cat.framework.id}").rstrip("/")
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")  # formula-looking labels neutralised
    writer.writerow(
        [
            "occupationUri",
            "occupationLabel",
            "relationType",
            "skillType",
            "skillUri",
            "skillLabel",
            "proficiencyLevel",
        ]
    )
    for profile in cat.profiles.values():
        for comp_id, target in profile.targets.items():
            comp = cat.competence(comp_id)
            relation = "essential" if target.essential else "optional"
            for uri in (f"{base}/competences/{comp_id}", *comp.mappings.esco):
                writer.writerow(
                    [
                        f"{base}/profiles/{profile.id}",
                        profile.title.get("en"),
                        relation,
                        "skill/competence",
                        uri,
                        comp.title.get("en"),
                        target.level,
                    ]
                )
    return out.getvalue()
