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
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from crisis.competences.models import Catalogue, Competence, Framework
from crisis.competences.sources import MAX_BYTES, decode
from crisis.competences.standards import ESCO_OCCUPATION_URI, ESCO_SKILL_URI
from crisis.competences.stemming import terms
from crisis.competences.text import LocalText
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


@dataclass
class EscoSkill:
    """One ESCO skill or knowledge concept, with its labels in every language read."""

    uri: str
    skill_type: str
    reuse_level: str
    labels: dict[str, str] = field(default_factory=dict)
    alt_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)

    def label(self, lang: str = "en") -> str:
        """The preferred label in ``lang``, else in English, else in any language read."""
        return self.labels.get(lang) or self.labels.get("en") or next(iter(self.labels.values()))


@dataclass(frozen=True)
class EscoRelation:
    """One occupation–skill relation."""

    occupation: str
    relation: str
    skill_type: str
    skill: str


@dataclass
class EscoPackage:
    """The skills and relations read from ESCO CSV files (one or several languages)."""

    skills: dict[str, EscoSkill] = field(default_factory=dict)
    relations: list[EscoRelation] = field(default_factory=list)
    #: The languages of the skills files read, in the order met.
    languages: list[str] = field(default_factory=list)


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
        found = ", ".join(header[:8]) + (" ..." if len(header) > 8 else "")
        return [], [
            f"{name}:row 1: missing ESCO column(s) {', '.join(missing)} (the header has {found})"
        ]
    return rows, []


_SKILLS_FILE = re.compile(r"^skills_([a-z]{2,3})\b", re.IGNORECASE)
_RELATIONS_FILE = re.compile(r"^occupationSkillRelations(?:_([a-z]{2,3}))?\b", re.IGNORECASE)


def classify_files(names: list[str]) -> tuple[dict[str, str], list[str], list[str]]:
    """Which files are skills files (with their language) and which are relations files.

    Returns:
        ``{name: lang}`` of skills files, the relations files, and one error per other file.
    """
    skills, relations, errors = {}, [], []
    for name in names:
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        if match := _SKILLS_FILE.match(base):
            skills[name] = match.group(1).lower()
        elif _RELATIONS_FILE.match(base):
            relations.append(name)
        else:
            errors.append(
                f"{name}: not an ESCO skills file (skills_<language>.csv, e.g. skills_el.csv) "
                "or occupationSkillRelations file"
            )
    return skills, relations, errors


def read_package(files: dict[str, bytes], *, max_bytes: int = MAX_BYTES) -> EscoPackage:
    """Read ESCO ``skills_<lang>.csv`` files (any languages, several at once) and, optionally,
    ``occupationSkillRelations*.csv``. A skill met in several files keeps the labels of each
    language; no file overwrites another.

    Raises:
        ContentError: every problem, as ``file:row R, column C (name): message``.
    """
    package = EscoPackage()
    skill_files, relation_files, errors = classify_files(list(files))
    if not skill_files and not errors:
        errors.append("no skills_<language>.csv file among the files")
    for name, lang in skill_files.items():
        rows, problems = _rows(files[name], name, SKILL_COLUMNS, max_bytes)
        errors += problems
        if lang not in package.languages and not problems:
            package.languages.append(lang)
        for number, row in enumerate(rows, start=2):
            where = f"{name}:row {number}"
            uri, kind = (row["conceptUri"] or "").strip(), (row["skillType"] or "").strip()
            if not ESCO_SKILL_URI.match(uri):
                errors.append(f"{where}, column conceptUri: {uri!r} is not an ESCO skill URI")
                continue
            if kind not in SKILL_TYPES:
                errors.append(
                    f"{where}, column skillType: {kind!r} is not one of {', '.join(SKILL_TYPES)}"
                )
            label = (row["preferredLabel"] or "").strip()
            if not label:
                errors.append(f"{where}, column preferredLabel: the label is empty")
                continue
            skill = package.skills.setdefault(uri, EscoSkill(uri, kind, row["reuseLevel"] or ""))
            skill.labels.setdefault(lang, label)
            alts = tuple(a.strip() for a in (row["altLabels"] or "").splitlines() if a.strip())
            skill.alt_labels[lang] = tuple(dict.fromkeys((*skill.alt_labels.get(lang, ()), *alts)))
            if (row.get("description") or "").strip():
                skill.descriptions.setdefault(lang, row["description"].strip())
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
                    f"{where}, column skillUri: {row['skillUri']!r} is not in the skills files"
                )
            package.relations.append(
                EscoRelation(
                    row["occupationUri"], row["relationType"], row["skillType"], row["skillUri"]
                )
            )
    if errors:
        raise ContentError(f"{len(errors)} problems in the ESCO files: {errors[0]}", errors=errors)
    return package


# --- matching -----------------------------------------------------------------------------

#: How much each part of a text counts.
_SKILL_WEIGHTS = {"label": 3.0, "alt": 1.0, "description": 0.5}
_COMPETENCE_WEIGHTS = {"title": 3.0, "statements": 1.0, "description": 1.0}


def _vector(parts: list[tuple[str, float]], lang: str) -> dict[str, float]:
    vec: dict[str, float] = {}
    for text, weight in parts:
        for term in terms(text, lang):
            vec[term] = vec.get(term, 0.0) + weight
    return vec


def _skill_parts(skill: EscoSkill, lang: str) -> list[tuple[str, float]]:
    parts = [(skill.labels.get(lang, ""), _SKILL_WEIGHTS["label"])]
    parts += [(alt, _SKILL_WEIGHTS["alt"]) for alt in skill.alt_labels.get(lang, ())]
    parts.append((skill.descriptions.get(lang, ""), _SKILL_WEIGHTS["description"]))
    return parts


def _competence_parts(comp: Competence, lang: str) -> list[tuple[str, float]] | None:
    def text(local: LocalText | None) -> str:
        return local.get(lang) if local is not None and (local.has(lang) or lang == "en") else ""

    title = text(comp.title)
    if not title:
        return None  # no text in this language: matching English words with another stemmer
    statements = [text(s) for s in (*comp.skills, *comp.knowledge)]
    return [
        (title, _COMPETENCE_WEIGHTS["title"]),
        *((s, _COMPETENCE_WEIGHTS["statements"]) for s in statements),
        (text(comp.description), _COMPETENCE_WEIGHTS["description"]),
    ]


def _normalised(vec: dict[str, float], idf: dict[str, float]) -> dict[str, float]:
    weighted = {t: w * idf.get(t, 0.0) for t, w in vec.items()}
    norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
    return {t: v / norm for t, v in weighted.items()}


def rank(cat: Catalogue, package: EscoPackage, *, limit: int = 5) -> dict[str, list[Suggestion]]:
    """For each competence, the ESCO skills closest in meaning, best first.

    Texts are compared language by language (the competence's text in a language with the
    skills' labels in that language, both stemmed by that language's Snowball stemmer), as
    TF-IDF vectors by cosine similarity. A skill's score is its best over the languages, each
    weighed by the share of the skills that its file covers (a full ESCO download covers all;
    a file of a few rows must not outweigh one of thousands). Already mapped skills are left
    out.
    """
    best: dict[str, dict[str, float]] = {c.id: {} for c in cat.framework.competences}
    for lang in package.languages:
        skills = [(s, _vector(_skill_parts(s, lang), lang)) for s in package.skills.values()]
        skills = [(s, v) for s, v in skills if v]
        coverage = len(skills) / (len(package.skills) or 1)
        frequency: Counter[str] = Counter()
        for _, vec in skills:
            frequency.update(vec.keys())
        total = len(skills) or 1
        idf = {t: math.log((1 + total) / (1 + n)) + 1 for t, n in frequency.items()}
        vectors = [(s, _normalised(v, idf)) for s, v in skills]
        index: dict[str, list[int]] = {}
        for i, (_, unit) in enumerate(vectors):
            for term in unit:
                index.setdefault(term, []).append(i)
        for comp in cat.framework.competences:
            parts = _competence_parts(comp, lang)
            if parts is None:
                continue
            query = _normalised(_vector(parts, lang), idf)
            scores: dict[int, float] = {}
            for term, weight in query.items():
                for i in index.get(term, ()):
                    scores[i] = scores.get(i, 0.0) + weight * vectors[i][1][term]
            found = best[comp.id]
            for i, score in scores.items():
                uri = vectors[i][0].uri
                found[uri] = max(found.get(uri, 0.0), coverage * score)
    ranked: dict[str, list[Suggestion]] = {}
    for comp in cat.framework.competences:
        mapped = set(comp.mappings.esco)
        order = sorted(
            ((uri, score) for uri, score in best[comp.id].items() if uri not in mapped),
            key=lambda pair: (-pair[1], pair[0]),
        )
        ranked[comp.id] = [
            Suggestion(comp.id, uri, package.skills[uri].label(), round(score, 3))
            for uri, score in order[:limit]
        ]
    return ranked


def suggest_mappings(
    cat: Catalogue, package: EscoPackage, *, limit: int = 5, threshold: float = 0.12
) -> list[Suggestion]:
    """Proposed ESCO skills per competence (see :func:`rank`), for a person to confirm."""
    ranked = rank(cat, package, limit=limit)
    return [s for comp in ranked.values() for s in comp if s.score >= threshold]


def accept(cat: Catalogue, chosen: dict[str, list[str]]) -> Catalogue:
    """The catalogue with the ESCO skills a person accepted added to competences' mappings.

    Args:
        cat: The catalogue.
        chosen: Competence id → ESCO skill URIs to add.

    Raises:
        ContentError: an unknown competence or a URI that is not an ESCO skill URI.
    """
    errors = []
    known = {c.id for c in cat.framework.competences}
    for comp_id, uris in chosen.items():
        if comp_id not in known:
            errors.append(f"competence {comp_id!r} is not in the framework")
        errors += [
            f"{uri!r} is not an ESCO skill URI" for uri in uris if not ESCO_SKILL_URI.match(uri)
        ]
    if errors:
        raise ContentError(f"{len(errors)} problems: {errors[0]}", errors=errors)
    data = cat.framework.model_dump(mode="json", exclude_none=True)
    for area in data["areas"]:
        for comp in area["competences"]:
            mapped = comp.setdefault("mappings", {}).setdefault("esco", [])
            mapped += [u for u in chosen.get(comp["id"], []) if u not in mapped]
    framework = Framework.model_validate(data)
    return Catalogue.model_validate(
        {"framework": framework, "profiles": cat.profiles, "curriculum": cat.curriculum}
    )


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
