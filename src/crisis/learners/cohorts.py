"""Training-needs analysis for a cohort: who needs what, and which modules serve most of them.

Privacy rules, applied here so that every front end obeys them:

* a person's own levels appear (in the competence × person matrix) only if they consented;
* aggregates (distributions per competence, the recommended module set, the anonymised export)
  are shown only for groups of at least :data:`MIN_GROUP` people, so that no individual can be
  singled out from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from crisis.competences.models import Catalogue, JobProfile
from crisis.exceptions import ContentError, PermissionDeniedError
from crisis.seeding import RandomLike, as_generator

#: Smallest group for which aggregates are shown.
MIN_GROUP = 5
#: Letters and digits of join codes, without look-alikes (0/O, 1/I/L).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_join_code(length: int = 8) -> str:
    """A random code learners type to join a cohort (cryptographically random, unambiguous)."""
    import secrets

    if length < 6:
        raise ContentError(f"a join code needs at least 6 characters, got {length}")
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class Member:
    """One person in a cohort.

    Attributes:
        person: An identifier shown to the instructor only if ``consented``.
        levels: Competence id → level 0..4 (unrated competences count as 0, "not yet").
        consented: Whether the person lets the instructor see their individual results.
    """

    person: str
    levels: dict[str, int]
    consented: bool = False


@dataclass(frozen=True)
class Distribution:
    """How a cohort is spread over the levels of one competence."""

    competence: str
    title: str
    target: int
    essential: bool
    counts: list[int]
    mean: float
    below_target: int

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "competence": self.competence,
            "title": self.title,
            "target": self.target,
            "essential": self.essential,
            "counts": self.counts,
            "mean": round(self.mean, 2),
            "below_target": self.below_target,
        }


@dataclass(frozen=True)
class Coverage:
    """The module set that closes the most people's gaps within an hours budget."""

    modules: list[str]
    hours: float
    budget: float
    gaps_served: int
    gaps_total: int
    by_competence: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "modules": self.modules,
            "hours": self.hours,
            "budget": self.budget,
            "gaps_served": self.gaps_served,
            "gaps_total": self.gaps_total,
            "by_competence": self.by_competence,
        }


@dataclass(frozen=True)
class TrainingNeeds:
    """A cohort's training needs against one job profile.

    Attributes:
        size: Number of people in the cohort.
        profile: Job profile id.
        competences: Competence ids of the profile, in framework order.
        matrix: Consented person → competence → level (the heatmap); others are left out.
        hidden: People whose individual results are not shown.
        distributions: Per competence; ``None`` when the group is below :data:`MIN_GROUP`.
        coverage: Recommended modules; ``None`` below :data:`MIN_GROUP` or without a budget.
        note: Why aggregates are hidden, if they are.
    """

    size: int
    profile: str
    competences: list[str]
    targets: dict[str, int]
    matrix: dict[str, dict[str, int]]
    hidden: int
    distributions: list[Distribution] | None
    coverage: Coverage | None
    note: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def aggregates_visible(self) -> bool:
        """Whether the group is large enough for aggregates."""
        return self.distributions is not None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "size": self.size,
            "profile": self.profile,
            "competences": self.competences,
            "targets": self.targets,
            "matrix": self.matrix,
            "hidden": self.hidden,
            "aggregates_visible": self.aggregates_visible,
            "distributions": [d.as_dict() for d in self.distributions]
            if self.distributions is not None
            else None,
            "coverage": self.coverage.as_dict() if self.coverage else None,
            "note": self.note,
        }


def _check_members(members: Sequence[Member], catalogue: Catalogue) -> None:
    known = {c.id for c in catalogue.framework.competences}
    errors = []
    seen: set[str] = set()
    for member in members:
        if member.person in seen:
            errors.append(f"person {member.person!r} appears twice in the cohort")
        seen.add(member.person)
        for cid, level in member.levels.items():
            if cid not in known:
                errors.append(f"person {member.person!r}: unknown competence {cid!r}")
            elif isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4:
                errors.append(f"person {member.person!r}: {cid} level {level!r} is not 0..4")
    if errors:
        raise ContentError(errors[0], errors=errors)


def training_needs(
    members: Sequence[Member],
    profile: JobProfile,
    catalogue: Catalogue,
    *,
    budget_hours: float | None = None,
    min_group: int = MIN_GROUP,
    lang: str = "en",
) -> TrainingNeeds:
    """Analyse a cohort against ``profile``: matrix, distributions and recommended modules.

    Args:
        members: The cohort.
        profile: The job profile whose targets define the gaps.
        catalogue: Framework and curriculum.
        budget_hours: Hours budget for the recommended module set (``None``: no recommendation).
        min_group: Smallest group that sees aggregates (never below :data:`MIN_GROUP`).
        lang: Language of titles.

    Raises:
        ContentError: A member's levels are invalid, or two members share an identifier.
    """
    _check_members(members, catalogue)
    min_group = max(min_group, MIN_GROUP)
    competences = [c.id for c in catalogue.framework.competences if c.id in profile.targets]
    targets = {cid: profile.targets[cid].level for cid in competences}
    matrix = {
        m.person: {cid: int(m.levels.get(cid, 0)) for cid in competences}
        for m in members
        if m.consented
    }
    hidden = sum(1 for m in members if not m.consented)
    if len(members) < min_group:
        return TrainingNeeds(
            size=len(members),
            profile=profile.id,
            competences=competences,
            targets=targets,
            matrix=matrix,
            hidden=hidden,
            distributions=None,
            coverage=None,
            note=f"aggregates are shown for groups of at least {min_group} people; "
            f"this cohort has {len(members)}",
        )
    distributions = []
    for cid in competences:
        levels = np.array([int(m.levels.get(cid, 0)) for m in members])
        distributions.append(
            Distribution(
                competence=cid,
                title=catalogue.competence(cid).title.get(lang),
                target=targets[cid],
                essential=profile.targets[cid].essential,
                counts=[int((levels == v).sum()) for v in range(5)],
                mean=float(levels.mean()),
                below_target=int((levels < targets[cid]).sum()),
            )
        )
    coverage = (
        recommend_modules(members, profile, catalogue, budget_hours)
        if budget_hours is not None
        else None
    )
    return TrainingNeeds(
        size=len(members),
        profile=profile.id,
        competences=competences,
        targets=targets,
        matrix=matrix,
        hidden=hidden,
        distributions=distributions,
        coverage=coverage,
    )


def _gap_weights(members: Sequence[Member], profile: JobProfile) -> dict[str, int]:
    weights: dict[str, int] = {}
    for cid, target in profile.targets.items():
        count = sum(1 for m in members if int(m.levels.get(cid, 0)) < target.level)
        if count:
            weights[cid] = count
    return weights


def recommend_modules(
    members: Sequence[Member], profile: JobProfile, catalogue: Catalogue, budget_hours: float
) -> Coverage:
    """Budgeted maximum coverage: modules (with their prerequisites) within ``budget_hours``
    that close the most person-gaps; ties go to the fewer hours.

    A MILP: binary ``x_m`` per module, ``z_c`` per competence with gaps; maximise
    ``Σ people_c z_c`` subject to ``z_c ≤ Σ x_m`` over modules teaching *c* to its target,
    ``Σ hours_m x_m ≤ budget`` and ``x_m ≤ x_p`` for prerequisites.

    Raises:
        ContentError: The budget is negative or not a number.
    """
    if not budget_hours >= 0 or not np.isfinite(budget_hours):
        raise ContentError(f"hours budget must be a non-negative number, got {budget_hours!r}")
    from scipy.optimize import Bounds, LinearConstraint, milp

    weights = _gap_weights(members, profile)
    total = sum(weights.values())
    modules = list(catalogue.curriculum.modules)
    index = {m.id: k for k, m in enumerate(modules)}
    n = len(modules)
    gaps = [
        cid
        for cid in weights
        if any(
            o.competence == cid and o.level >= profile.targets[cid].level
            for m in modules
            for o in m.outcomes
        )
    ]
    if not gaps:
        return Coverage([], 0.0, float(budget_hours), 0, total, {})
    hours = np.array([float(m.hours) for m in modules])
    big = float(hours.sum()) + 1.0
    # Variables: x (modules) then z (gaps). milp minimises, so negate the coverage.
    cost = np.concatenate([hours, -big * np.array([weights[c] for c in gaps], dtype=float)])
    rows: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []
    for j, cid in enumerate(gaps):
        row = np.zeros(n + len(gaps))
        row[n + j] = 1.0
        for k, m in enumerate(modules):
            if any(
                o.competence == cid and o.level >= profile.targets[cid].level for o in m.outcomes
            ):
                row[k] = -1.0
        rows.append(row)
        lower.append(-np.inf)
        upper.append(0.0)
    budget_row = np.concatenate([hours, np.zeros(len(gaps))])
    rows.append(budget_row)
    lower.append(-np.inf)
    upper.append(float(budget_hours))
    for k, m in enumerate(modules):
        for p in m.prerequisites:
            if p in index:
                row = np.zeros(n + len(gaps))
                row[k], row[index[p]] = 1.0, -1.0
                rows.append(row)
                lower.append(-np.inf)
                upper.append(0.0)
    result = milp(
        c=cost,
        constraints=LinearConstraint(np.array(rows), np.array(lower), np.array(upper)),
        integrality=np.ones(n + len(gaps)),
        bounds=Bounds(0, 1),
    )
    if result.x is None:  # pragma: no cover - choosing nothing is always feasible
        raise ContentError(f"the coverage solver failed: {result.message}")
    chosen = [modules[k].id for k in range(n) if result.x[k] > 0.5]
    served = {c: weights[c] for j, c in enumerate(gaps) if result.x[n + j] > 0.5}
    return Coverage(
        modules=chosen,
        hours=float(sum(catalogue.module(m).hours for m in chosen)),
        budget=float(budget_hours),
        gaps_served=sum(served.values()),
        gaps_total=total,
        by_competence=served,
    )


def anonymised_rows(
    members: Sequence[Member],
    profile: JobProfile,
    catalogue: Catalogue,
    *,
    rng: RandomLike = None,
    min_group: int = MIN_GROUP,
) -> list[dict[str, object]]:
    """Rows for a CSV export of a cohort's results without identities.

    Each row has a participant number, the level per competence of the profile and the
    number of open gaps. Rows are shuffled so their order reveals nothing.

    Raises:
        PermissionDeniedError: The cohort is smaller than the minimum group.
    """
    _check_members(members, catalogue)
    min_group = max(min_group, MIN_GROUP)
    if len(members) < min_group:
        raise PermissionDeniedError(
            f"an anonymised export needs at least {min_group} people; this cohort has "
            f"{len(members)}"
        )
    competences = [c.id for c in catalogue.framework.competences if c.id in profile.targets]
    order = as_generator(rng).permutation(len(members))
    rows: list[dict[str, object]] = []
    width = len(str(len(members)))
    for number, k in enumerate(order, start=1):
        member = members[int(k)]
        row: dict[str, object] = {"participant": f"P{number:0{width}d}"}
        gaps = 0
        for cid in competences:
            level = int(member.levels.get(cid, 0))
            row[cid] = level
            gaps += level < profile.targets[cid].level
        row["open_gaps"] = gaps
        rows.append(row)
    return rows
