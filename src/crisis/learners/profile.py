"""The competence profile: one level per competence from all the evidence about a learner.

Each piece of evidence is a level on the continuous 0..4 scale with a standard deviation
saying how much it can be trusted:

* a **self-rating** counts as the chosen level with SD :data:`SELF_RATING_SD` (one level:
  people misjudge themselves by about a level in either direction);
* the **adaptive test** gives θ and its standard error per competence, turned into levels by
  :func:`crisis.learners.cat.continuous_level` (one θ unit ≈ one level); where the test is a
  competence's only evidence, the level shown is the test's most probable level
  (:func:`crisis.learners.cat.most_probable_level`), as on the test's results page;
* **other evidence** (an exercise score, an instructor's assessment, a completed module) is
  given directly as a level and SD by whoever records it.

Evidence is combined by inverse-variance weighting. The reported level is the rounded
combination; its **confidence** is the probability, under a normal approximation, that the
true level lies within half a level of the combined value.

A self-rating is marked **over-** or **under-confident** when it differs from the test's
level by more than both can be off together: the difference, divided by
``sqrt(SELF_RATING_SD² + test SD²)``, beyond ±1.645, a 90 % interval (and the rounded levels
differ). In simulation with the bundled test, learners who rate themselves without bias
(give or take a level) are marked in under 5 % of competences; ratings two levels too high
in about a third.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from crisis.competences.models import Catalogue
from crisis.exceptions import ContentError
from crisis.learners.cat import (
    COMPETENCE_SPREAD,
    CUT_SCORES,
    TestResult,
    continuous_level,
    most_probable_level,
)
from crisis.learners.irt import Estimate

#: How far a self-rating is trusted, in levels.
SELF_RATING_SD = 1.0
#: How many standard deviations of the rating–test difference mark a self-rating.
_FLAG_Z = 1.645

Calibration = Literal["over-confident", "under-confident", "consistent", "untested"]


@dataclass(frozen=True)
class Evidence:
    """One observation of a learner's level in a competence.

    Attributes:
        competence: Competence id.
        level: Level on the continuous 0..4 scale.
        sd: Standard deviation of that level (smaller = more trusted).
        source: Where it comes from: ``"self"``, ``"test"``, ``"exercise"``, ….
        note: Free text shown with the evidence (for example the exercise name).
        probable: The most probable level where the evidence has a posterior (the adaptive
            test); it can differ from ``level`` rounded when the posterior is skewed.
    """

    competence: str
    level: float
    sd: float
    source: str
    note: str = ""
    probable: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.level <= 4.0 or math.isnan(self.level):
            raise ContentError(
                f"evidence on {self.competence} from {self.source}: level {self.level} is "
                "outside 0..4"
            )
        if not self.sd > 0 or math.isinf(self.sd):
            raise ContentError(
                f"evidence on {self.competence} from {self.source}: sd must be a positive "
                f"number, got {self.sd}"
            )


@dataclass(frozen=True)
class CompetenceLevel:
    """The profile's verdict on one competence.

    Attributes:
        competence: Competence id.
        level: Combined level, rounded to 0..4.
        estimate: Combined level before rounding.
        sd: Standard deviation of the combined level.
        confidence: Probability (0..1) that the true level is within half a level.
        self_rating: The learner's own rating, if any.
        test_level: The test's level, if the test covered this competence.
        calibration: How the self-rating compares with the test.
        evidence: What it rests on.
    """

    competence: str
    level: int
    estimate: float
    sd: float
    confidence: float
    self_rating: int | None
    test_level: int | None
    calibration: Calibration
    evidence: list[Evidence] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "competence": self.competence,
            "level": self.level,
            "estimate": round(self.estimate, 2),
            "sd": round(self.sd, 2),
            "confidence": round(self.confidence, 2),
            "self_rating": self.self_rating,
            "test_level": self.test_level,
            "calibration": self.calibration,
            "evidence": [
                {
                    "source": e.source,
                    "level": round(e.level, 2),
                    "sd": round(e.sd, 2),
                    "note": e.note,
                }
                for e in self.evidence
            ],
        }


@dataclass(frozen=True)
class CompetenceProfile:
    """A level per competence of the framework, in framework order."""

    levels: list[CompetenceLevel]

    def level(self, competence_id: str) -> CompetenceLevel:
        """The entry of one competence."""
        for entry in self.levels:
            if entry.competence == competence_id:
                return entry
        raise ContentError(f"competence {competence_id!r} is not in this profile")

    def as_levels(self) -> dict[str, int]:
        """Competence id → level, for gap analysis."""
        return {entry.competence: entry.level for entry in self.levels}

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {"competences": [entry.as_dict() for entry in self.levels]}


def evidence_from_test(
    result: TestResult,
    cuts: tuple[float, ...] = CUT_SCORES,
    *,
    catalogue: Catalogue | None = None,
) -> list[Evidence]:
    """Evidence records from an adaptive test.

    One per competence that had items. With ``catalogue``, also one for each other competence
    of an area the test measured: the area's θ, its standard error widened by
    :data:`COMPETENCE_SPREAD`. The SD in levels is the θ standard error divided by the local
    width of a level band.
    """
    out = []
    for entry in result.competences:
        out.append(
            _evidence(
                entry.competence,
                entry.theta,
                entry.se,
                cuts,
                f"{entry.correct}/{entry.items} correct",
                entry.level
                if cuts == CUT_SCORES
                else most_probable_level(Estimate(entry.theta, entry.se), cuts)[0],
            )
        )
    if catalogue is not None:
        tested = {entry.competence for entry in result.competences}
        measured = {a.area: a for a in result.areas if a.items}
        for competence in catalogue.framework.competences:
            area = measured.get(competence.area)
            if area is None or competence.id in tested:
                continue
            se = float(math.hypot(area.se, COMPETENCE_SPREAD))
            probable = most_probable_level(Estimate(area.theta, se), cuts)[0]
            note = f"area {area.area} estimate"
            out.append(_evidence(competence.id, area.theta, se, cuts, note, probable))
    return out


def _evidence(
    competence: str,
    theta: float,
    se: float,
    cuts: tuple[float, ...],
    note: str,
    probable: int | None,
) -> Evidence:
    width = _band_width(theta, cuts)
    return Evidence(
        competence=competence,
        level=continuous_level(theta, cuts),
        sd=max(se / width, 1e-3),
        source="test",
        note=note,
        probable=probable,
    )


def _band_width(theta: float, cuts: tuple[float, ...]) -> float:
    widths = [b - a for a, b in itertools.pairwise(cuts)]
    for k, cut in enumerate(cuts[1:]):
        if theta < cut:
            return widths[k]
    return widths[-1]


def build_profile(
    catalogue: Catalogue,
    *,
    self_ratings: Mapping[str, int] | None = None,
    test: TestResult | None = None,
    evidence: Iterable[Evidence] = (),
    cuts: tuple[float, ...] = CUT_SCORES,
) -> CompetenceProfile:
    """Combine self-ratings, test results and other evidence into a competence profile.

    A competence with no evidence at all gets level 0 with confidence 0.

    Raises:
        ContentError: Evidence or a rating names a competence outside the framework, or a
            rating is out of range.
    """
    competences = [c.id for c in catalogue.framework.competences]
    known = set(competences)
    self_ratings = dict(self_ratings or {})
    records: list[Evidence] = []
    errors = []
    for cid, rating in self_ratings.items():
        if cid not in known:
            errors.append(f"self-rating names unknown competence {cid!r}")
        elif isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= 4:
            errors.append(f"self-rating of {cid} is {rating!r}; expected 0..4")
        else:
            records.append(Evidence(cid, float(rating), SELF_RATING_SD, "self"))
    tested = evidence_from_test(test, cuts, catalogue=catalogue) if test is not None else []
    for record in [*tested, *evidence]:
        if record.competence not in known:
            errors.append(
                f"{record.source} evidence names unknown competence {record.competence!r}"
            )
        else:
            records.append(record)
    if errors:
        raise ContentError(errors[0], errors=errors)
    levels = []
    for cid in competences:
        mine = [r for r in records if r.competence == cid]
        levels.append(
            _combine(cid, mine, self_ratings.get(cid), [r for r in mine if r.source == "test"])
        )
    return CompetenceProfile(levels)


def _combine(
    competence: str,
    records: Sequence[Evidence],
    self_rating: int | None,
    tests: Sequence[Evidence],
) -> CompetenceLevel:
    if not records:
        return CompetenceLevel(competence, 0, 0.0, math.inf, 0.0, None, None, "untested", [])
    weights = [1.0 / r.sd**2 for r in records]
    estimate = sum(w * r.level for w, r in zip(weights, records, strict=True)) / sum(weights)
    sd = 1.0 / math.sqrt(sum(weights))
    confidence = math.erf(0.5 / (sd * math.sqrt(2.0)))
    test_level: int | None = None
    calibration: Calibration = "untested"
    if tests:
        t_weights = [1.0 / r.sd**2 for r in tests]
        t_level = sum(w * r.level for w, r in zip(t_weights, tests, strict=True)) / sum(t_weights)
        t_sd = 1.0 / math.sqrt(sum(t_weights))
        test_level = _round_level(t_level)
        if len(tests) == 1 and tests[0].probable is not None:
            # One test: its most probable level, as the test's results page shows it.
            test_level = tests[0].probable
        if self_rating is not None:
            calibration = "consistent"
            margin = _FLAG_Z * math.hypot(SELF_RATING_SD, t_sd)
            if self_rating - t_level > margin and self_rating > test_level:
                calibration = "over-confident"
            elif t_level - self_rating > margin and self_rating < test_level:
                calibration = "under-confident"
    level = _round_level(estimate)
    if len(records) == 1 and records[0].probable is not None:
        level = records[0].probable  # the test is all there is: its most probable level
    return CompetenceLevel(
        competence=competence,
        level=level,
        estimate=estimate,
        sd=sd,
        confidence=confidence,
        self_rating=self_rating,
        test_level=test_level,
        calibration=calibration,
        evidence=list(records),
    )


def _round_level(value: float) -> int:
    # Round half up, so 2.5 is level 3 (the band's lower edge belongs to the higher level).
    return int(min(max(math.floor(value + 0.5), 0), 4))
