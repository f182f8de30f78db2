"""Self-assessment: "I can …" statements per competence and the learner's ratings.

For each competence the learner reads the four level descriptors, written as first-person
statements, and picks the highest that applies, or "not yet". A self-assessment may be
partial (the learner stops and resumes later); it is complete when every competence of the
framework has a rating.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from crisis.competences.models import Catalogue
from crisis.exceptions import ContentError, FormatError
from crisis.formats.yamlsource import parse_yaml

Rating = Annotated[int, Field(ge=0, le=4)]

#: Third-person verbs that may follow "and" inside a descriptor ("builds a map and uses it").
_COMMON_VERBS = frozenset(
    [
        "adapts",
        "adopts",
        "advises",
        "analyses",
        "applies",
        "assesses",
        "builds",
        "carries",
        "checks",
        "contributes",
        "coordinates",
        "creates",
        "defines",
        "describes",
        "designs",
        "develops",
        "directs",
        "drafts",
        "embeds",
        "engages",
        "establishes",
        "estimates",
        "evaluates",
        "explains",
        "feeds",
        "follows",
        "identifies",
        "implements",
        "involves",
        "gives",
        "improves",
        "keeps",
        "leads",
        "lists",
        "maintains",
        "manages",
        "maps",
        "mentors",
        "monitors",
        "names",
        "negotiates",
        "organises",
        "performs",
        "pioneers",
        "plans",
        "prepares",
        "presents",
        "prioritises",
        "produces",
        "proposes",
        "publishes",
        "ranks",
        "reads",
        "recognises",
        "records",
        "reports",
        "reviews",
        "runs",
        "scores",
        "screens",
        "selects",
        "sets",
        "shapes",
        "specifies",
        "supports",
        "takes",
        "tests",
        "tracks",
        "trains",
        "turns",
        "updates",
        "uses",
        "writes",
    ]
)
_NOT_YET = {
    "en": "Not yet: none of these statements describes me yet.",
    "el": "Όχι ακόμη: καμία από αυτές τις δηλώσεις δεν με περιγράφει ακόμη.",
    "de": "Noch nicht: keine dieser Aussagen beschreibt mich bisher.",
    "pt": "Ainda não: nenhuma destas afirmações me descreve ainda.",
}


def _base_form(verb: str) -> str:
    """English base form of a third-person singular verb ("identifies" → "identify")."""
    lower = verb.lower()
    if lower == "has":
        return "have"
    if lower.endswith("ies") and len(lower) > 4:
        return lower[:-3] + "y"
    if lower.endswith(("sses", "shes", "ches", "xes", "zzes", "oes")):
        return lower[:-2]
    if lower.endswith("s") and not lower.endswith("ss"):
        return lower[:-1]
    return lower


def i_can(descriptor: str, verbs: Iterable[str] = ()) -> str:
    """Turn a third-person level descriptor into an English "I can …" statement.

    "Builds a causal map and uses it to …" becomes "I can build a causal map and use it to …".

    Args:
        descriptor: The descriptor, starting with a verb in the third person.
        verbs: Further third-person verbs to convert when they follow "and".
    """
    text = descriptor.strip()
    if re.match(r"(?i)^i (can|know|am)\b", text):
        return text
    first, _, rest = text.partition(" ")
    first = first.rstrip(",")
    known = _COMMON_VERBS | {v.lower() for v in verbs}
    # "a programme that reaches … and involves them": a verb after a singular relative
    # clause belongs to that clause and keeps its -s.
    relative = re.search(r"\b(that|which|who) [a-z]+s\b", rest)
    stop = relative.start() if relative else len(rest)
    head = re.sub(
        r"\b(and|or) ([a-z]+)\b",
        lambda m: f"{m.group(1)} {_base_form(m.group(2))}" if m.group(2) in known else m.group(0),
        rest[:stop],
    )
    rest = head + rest[stop:]
    rest = re.sub(r"\btheir own\b", "my own", rest)
    sep = "," if text.partition(" ")[0].endswith(",") else ""
    if first.lower() == "knows":
        return f"I know{sep} {rest}".strip()
    return f"I can {_base_form(first)}{sep} {rest}".strip()


@dataclass(frozen=True)
class Statement:
    """One option of a self-assessment question."""

    competence: str
    level: int
    text: str


def statements(catalogue: Catalogue, competence_id: str, lang: str = "en") -> list[Statement]:
    """The options for one competence: "not yet" (level 0), then one per level 1..4.

    English descriptors become "I can …" sentences; other languages show the descriptor as
    written, since their grammar does not allow a mechanical rewrite.

    Raises:
        NotFoundError: no such competence.
    """
    competence = catalogue.competence(competence_id)
    leading = {
        str(c.levels[level].get("en")).split(" ", 1)[0].rstrip(",")
        for c in catalogue.framework.competences
        for level in c.levels
    }
    out = [Statement(competence.id, 0, _NOT_YET.get(lang, _NOT_YET["en"]))]
    for level, descriptor in competence.levels.items():
        if lang == "en" or not descriptor.has(lang):
            text = i_can(descriptor.get("en"), leading)
        else:
            text = descriptor.get(lang)
        out.append(Statement(competence.id, level, text))
    return out


class SelfAssessment(BaseModel):
    """The learner's self-ratings: competence id → level 0..4 (partial allowed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ratings: dict[str, Rating] = {}

    def rate(self, competence_id: str, level: int) -> SelfAssessment:
        """A copy with one more (or a changed) rating."""
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4:
            raise ContentError(f"{competence_id}: level {level!r} is out of range 0..4")
        return SelfAssessment(ratings={**self.ratings, competence_id: level})

    def check(self, catalogue: Catalogue) -> SelfAssessment:
        """Return ``self`` after checking every rated competence exists in ``catalogue``.

        Raises:
            ContentError: naming each unknown competence id.
        """
        known = {c.id for c in catalogue.framework.competences}
        errors = [f"{cid}: not a competence of the framework" for cid in self.ratings]
        errors = [e for e, cid in zip(errors, self.ratings, strict=True) if cid not in known]
        if errors:
            raise ContentError("; ".join(errors), errors=errors)
        return self

    def remaining(self, catalogue: Catalogue) -> list[str]:
        """Competences still to rate, in framework order (where to resume)."""
        return [c.id for c in catalogue.framework.competences if c.id not in self.ratings]

    def complete(self, catalogue: Catalogue) -> bool:
        """Whether every competence of the framework is rated."""
        return not self.remaining(catalogue)

    def as_dict(self) -> dict[str, int]:
        """Ratings as a plain dict."""
        return dict(self.ratings)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, catalogue: Catalogue | None = None, source: str = "ratings"
    ) -> SelfAssessment:
        """Build from ``{competence: level}``, naming every bad entry.

        Raises:
            ContentError: a level is not an integer 0..4 or (with ``catalogue``) a competence
                id is unknown.
        """
        known = {c.id for c in catalogue.framework.competences} if catalogue else None
        errors = []
        ratings: dict[str, int] = {}
        for cid, value in data.items():
            cid = str(cid).strip()
            if known is not None and cid not in known:
                errors.append(f"{source}: {cid!r} is not a competence of the framework")
                continue
            level = _as_level(value)
            if level is None:
                errors.append(f"{source}: {cid}: level {value!r} is not an integer 0..4")
                continue
            ratings[cid] = level
        if errors:
            raise ContentError(errors[0], errors=errors)
        return cls(ratings=ratings)


def _as_level(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 0 <= value <= 4:
        return value
    return None


def load_ratings(path: str | Path, *, catalogue: Catalogue | None = None) -> SelfAssessment:
    """Read one learner's ratings from YAML/JSON (``{C01: 2, …}``) or CSV (competence,level).

    Raises:
        FormatError: the file cannot be read or parsed.
        ContentError: a competence or level is invalid (naming the line for CSV).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read ratings file {file.name}: {exc}") from None
    if file.suffix.lower() == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        if rows and [c.strip().lower() for c in rows[0][:2]] == ["competence", "level"]:
            start, rows = 2, rows[1:]
        else:
            start = 1
        data: dict[str, Any] = {}
        errors = []
        for line, row in enumerate(rows, start=start):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < 2:
                errors.append(f"{file.name}:{line}: expected two columns: competence,level")
                continue
            try:
                SelfAssessment.from_mapping(
                    {row[0]: row[1]}, catalogue=catalogue, source=f"{file.name}:{line}"
                )
            except ContentError as exc:
                errors.extend(exc.errors)
                continue
            if row[0].strip() in data:
                errors.append(f"{file.name}:{line}: {row[0].strip()} is rated twice")
            data[row[0].strip()] = row[1]
        if errors:
            raise ContentError(errors[0], errors=errors)
        return SelfAssessment.from_mapping(data, catalogue=catalogue, source=file.name)
    loaded = parse_yaml(text, file.name).data  # JSON is YAML
    if isinstance(loaded, dict) and isinstance(loaded.get("ratings"), dict):
        loaded = loaded["ratings"]
    if not isinstance(loaded, dict):
        raise FormatError(f"{file.name}: expected a mapping of competence id to level")
    return SelfAssessment.from_mapping(loaded, catalogue=catalogue, source=file.name)
