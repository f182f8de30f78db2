"""Training-needs analysis for a cohort: who needs what, and which modules serve most of them.

Privacy rules, applied here so that every front end obeys them. A cohort holds two kinds of
people: learners with an account, and rows the instructor imported from a staff file.

* **A learner who has not consented contributes nothing** but the fact of membership: their
  levels are in no matrix row, no distribution, no recommended module set and no export.
  Everything an instructor can see is computed from (a) learners who consented, whose rows
  are in the matrix anyway, and (b) imported rows, which are the instructor's own data. So no
  comparison of two views (before and after someone joins, leaves or changes consent), no
  subtraction of visible rows and no padding with imported rows can reveal anything about a
  learner who did not consent: their results are not an input to any of it.
* Learners' aggregates count only consenting learners and are shown once at least
  :data:`MIN_GROUP` of them share; imported rows are reported apart, as their own group,
  under the same minimum.

Adding noise (differential privacy) would let non-consenting learners count in the figures,
but a cohort has 5–50 people and each person touches up to 20 competences: the noise that
protects one person at a useful privacy level (ε ≈ 1) has a scale of about 20 people per
count, which would hide the very figures the page exists for.
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
        imported: Whether the row came from a staff file the instructor imported (rather than
            a learner's own account).
    """

    person: str
    levels: dict[str, int]
    consented: bool = False
    imported: bool = False

    @property
    def counted(self) -> bool:
        """Whether the person's levels may enter anything the instructor sees."""
        return self.consented or self.imported


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
        targets: Target level per competence.
        matrix: Consented person → competence → level (the heatmap); others are left out.
        hidden: People whose individual results are not shown.
        distributions: Per competence, over the learners who consented; ``None`` when fewer
            than the minimum group share.
        coverage: Recommended modules for the people whose aggregates are shown; ``None``
            when none are, or without a budget.
        note: Why aggregates are hidden, if they are.
        learners: Learners (accounts) who consented: the people ``distributions`` counts.
        withheld: Learners who did not consent: counted here, used nowhere.
        imported: Imported rows.
        imported_distributions: Per competence, over the imported rows; ``None`` when there
            are fewer than the minimum group.
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
    learners: int = 0
    withheld: int = 0
    imported: int = 0
    imported_distributions: list[Distribution] | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def aggregates_visible(self) -> bool:
        """Whether any group is large enough for aggregates."""
        return self.distributions is not None or self.imported_distributions is not None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""

        def listed(rows: list[Distribution] | None) -> list[dict[str, object]] | None:
            return [d.as_dict() for d in rows] if rows is not None else None

        return {
            "size": self.size,
            "profile": self.profile,
            "competences": self.competences,
            "targets": self.targets,
            "matrix": self.matrix,
            "hidden": self.hidden,
            "learners": self.learners,
            "withheld": self.withheld,
            "imported": self.imported,
            "aggregates_visible": self.aggregates_visible,
            "distributions": listed(self.distributions),
            "imported_distributions": listed(self.imported_distributions),
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

    Only consenting learners and imported rows enter any figure (see the module docstring).

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
    learners = [m for m in members if m.consented and not m.imported]
    imported = [m for m in members if m.imported]
    shown_learners = len(learners) >= min_group
    shown_imported = len(imported) >= min_group

    def distributions(group: Sequence[Member]) -> list[Distribution]:
        out = []
        for cid in competences:
            levels = np.array([int(m.levels.get(cid, 0)) for m in group])
            out.append(
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
        return out

    pooled = [*(learners if shown_learners else []), *(imported if shown_imported else [])]
    coverage = (
        recommend_modules(pooled, profile, catalogue, budget_hours)
        if budget_hours is not None and pooled
        else None
    )
    note = None
    if not pooled:
        note = (
            f"aggregates are shown for at least {min_group} learners who share their results "
            f"(this cohort has {len(learners)}) or {min_group} imported people "
            f"(it has {len(imported)})"
        )
    return TrainingNeeds(
        size=len(members),
        profile=profile.id,
        competences=competences,
        targets=targets,
        matrix=matrix,
        hidden=sum(1 for m in members if not m.consented),
        distributions=distributions(learners) if shown_learners else None,
        coverage=coverage,
        note=note,
        learners=len(learners),
        withheld=sum(1 for m in members if not m.counted),
        imported=len(imported),
        imported_distributions=distributions(imported) if shown_imported else None,
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

    Each row has a participant number, its source (``learner`` or ``imported``), the level per
    competence of the profile and the number of open gaps. Learners who did not consent are
    never in it; each group is included only when it has at least ``min_group`` people. Rows
    are shuffled so their order reveals nothing.

    Raises:
        PermissionDeniedError: Neither group is large enough.
    """
    _check_members(members, catalogue)
    min_group = max(min_group, MIN_GROUP)
    learners = [m for m in members if m.consented and not m.imported]
    imported = [m for m in members if m.imported]
    rows_of = [
        *((m, "learner") for m in (learners if len(learners) >= min_group else [])),
        *((m, "imported") for m in (imported if len(imported) >= min_group else [])),
    ]
    if not rows_of:
        raise PermissionDeniedError(
            f"an anonymised export needs at least {min_group} learners who share their results "
            f"or {min_group} imported people; this cohort has {len(learners)} and "
            f"{len(imported)}"
        )
    competences = [c.id for c in catalogue.framework.competences if c.id in profile.targets]
    order = as_generator(rng).permutation(len(rows_of))
    rows: list[dict[str, object]] = []
    width = len(str(len(rows_of)))
    for number, k in enumerate(order, start=1):
        member, source = rows_of[int(k)]
        row: dict[str, object] = {"participant": f"P{number:0{width}d}", "source": source}
        gaps = 0
        for cid in competences:
            level = int(member.levels.get(cid, 0))
            row[cid] = level
            gaps += level < profile.targets[cid].level
        row["open_gaps"] = gaps
        rows.append(row)
    return rows
