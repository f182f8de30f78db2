"""A learner's path put together: ordered modules, why each is there, and a calendar."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from crisis.competences.models import Catalogue
from crisis.exceptions import ContentError
from crisis.learners.gaps import Gap, open_targets
from crisis.learners.paths import Objective, PathPlanner, order_modules


@dataclass(frozen=True)
class PathStep:
    """One module on a learning path.

    Attributes:
        module: Module id.
        title: Module title in the requested language.
        hours: Study hours.
        ects: ECTS credits.
        closes: ``(competence, from, to)`` for each gap this module closes.
        raises: ``(competence, from, to)`` where it moves a gap part of the way.
        needs: Prerequisites taken earlier on this path.
        builds_on: Prerequisites the learner has already completed.
        unlocks: Later modules on the path that need this one.
        explanation: One sentence saying why the module is on the path.
        start: The day the module starts: the day after the previous module ends.
        end: The day its hours are done, at the path's hours per week spread evenly over the
            week; the next module starts the day after.
        weeks: ``(first, last)`` week numbers of those days, counted from 1.
    """

    module: str
    title: str
    hours: float
    ects: float
    closes: list[tuple[str, int, int]]
    raises: list[tuple[str, int, int]]
    needs: list[str]
    builds_on: list[str]
    unlocks: list[str]
    explanation: str
    start: dt.date
    end: dt.date
    weeks: tuple[int, int]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "module": self.module,
            "title": self.title,
            "hours": self.hours,
            "ects": self.ects,
            "closes": [{"competence": c, "from": a, "to": b} for c, a, b in self.closes],
            "raises": [{"competence": c, "from": a, "to": b} for c, a, b in self.raises],
            "needs": self.needs,
            "builds_on": self.builds_on,
            "unlocks": self.unlocks,
            "explanation": self.explanation,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "weeks": list(self.weeks),
        }


@dataclass(frozen=True)
class LearningPath:
    """The optimal set of modules in study order, with a calendar.

    Attributes:
        steps: Modules in the order to study them.
        gaps: The gap analysis the path answers (all targets, open or met).
        objective: What was minimised: ``"hours"`` or ``"ects"``.
        hours_per_week: Study time the calendar assumes.
        completed: Modules the learner had already completed.
        covered_by_completed: Gaps closed by completed modules' outcomes.
    """

    steps: list[PathStep]
    gaps: list[Gap]
    objective: Objective
    hours_per_week: float
    completed: list[str] = field(default_factory=list)
    covered_by_completed: list[str] = field(default_factory=list)

    @property
    def hours(self) -> float:
        """Total study hours."""
        return float(sum(step.hours for step in self.steps))

    @property
    def ects(self) -> float:
        """Total ECTS credits."""
        return float(sum(step.ects for step in self.steps))

    @property
    def weeks(self) -> int:
        """Calendar weeks until the last module ends."""
        return self.steps[-1].weeks[1] if self.steps else 0

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "objective": self.objective,
            "hours": self.hours,
            "ects": self.ects,
            "weeks": self.weeks,
            "hours_per_week": self.hours_per_week,
            "completed": self.completed,
            "covered_by_completed": self.covered_by_completed,
            "gaps": [gap.as_dict() for gap in self.gaps],
            "steps": [step.as_dict() for step in self.steps],
        }


def plan_path(
    gaps: Sequence[Gap],
    catalogue: Catalogue,
    *,
    completed: Collection[str] = (),
    hours_per_week: float = 4.0,
    start: dt.date | None = None,
    objective: Objective = "hours",
    planner: PathPlanner | None = None,
    lang: str = "en",
) -> LearningPath:
    """Choose, order and schedule the modules that close ``gaps`` with the least effort.

    Args:
        gaps: A gap analysis (from :func:`crisis.learners.gaps.analyse_gaps`).
        catalogue: Catalogue whose curriculum supplies the modules.
        completed: Module ids the learner has completed.
        hours_per_week: Study hours per week for the calendar.
        start: First day of week 1 (default: today).
        objective: Minimise ``"hours"`` or ``"ects"``.
        planner: A planner to reuse (and its cache) across learners.
        lang: Language of titles and explanations.

    Raises:
        InfeasiblePathError: If some gap cannot be closed by any open module; names the gap.
        ContentError: If ``hours_per_week`` is not positive or a completed module is unknown.
    """
    _check_hours(hours_per_week)
    planner = planner or PathPlanner(catalogue.curriculum, objective=objective)
    chosen = planner.choose(open_targets(list(gaps)), completed)
    return _assemble(list(gaps), chosen, catalogue, planner, completed, hours_per_week, start, lang)


def plan_paths(
    learners: Sequence[tuple[Sequence[Gap], Collection[str]]],
    catalogue: Catalogue,
    *,
    hours_per_week: float = 4.0,
    start: dt.date | None = None,
    planner: PathPlanner | None = None,
    lang: str = "en",
) -> list[LearningPath]:
    """:func:`plan_path` for many learners (``(gaps, completed)`` each), solved in batches.

    Raises:
        InfeasiblePathError: For the first learner whose gaps cannot be closed.
    """
    _check_hours(hours_per_week)
    planner = planner or PathPlanner(catalogue.curriculum)
    chosen = planner.choose_many(
        [(open_targets(list(gaps)), completed) for gaps, completed in learners]
    )
    return [
        _assemble(list(gaps), modules, catalogue, planner, completed, hours_per_week, start, lang)
        for (gaps, completed), modules in zip(learners, chosen, strict=True)
    ]


def _check_hours(hours_per_week: float) -> None:
    if not hours_per_week > 0 or not math.isfinite(hours_per_week):
        raise ContentError(f"hours per week must be a positive number, got {hours_per_week!r}")


def _assemble(
    gaps: list[Gap],
    chosen: list[str],
    catalogue: Catalogue,
    planner: PathPlanner,
    completed: Collection[str],
    hours_per_week: float,
    start: dt.date | None,
    lang: str,
) -> LearningPath:
    targets = open_targets(gaps)
    priority = {g.competence: g.priority for g in gaps if g.open}
    order = order_modules(planner, chosen, priority)
    start = start or dt.date.today()
    current = {g.competence: g.current for g in gaps}
    done = set(completed)
    open_gaps = [g for g in gaps if g.open]
    done_idx = {planner.index[m] for m in done if m in planner.index}
    covered_by_completed = sorted(
        g.competence for g in open_gaps if planner.covering(g.competence, g.target) & done_idx
    )
    for cid in covered_by_completed:
        current[cid] = max(current[cid], targets[cid])
    steps: list[PathStep] = []
    elapsed = 0.0
    day = 0  # days from ``start`` to the first free day
    for position, mid in enumerate(order):
        module = catalogue.module(mid)
        k = planner.index[mid]
        closes: list[tuple[str, int, int]] = []
        raises: list[tuple[str, int, int]] = []
        for gap in open_gaps:
            row = planner.teaches.get(gap.competence)
            taught = 0 if row is None else int(row[k])
            before = current[gap.competence]
            if before >= gap.target or taught <= before:
                continue
            after = min(taught, gap.target)
            (closes if after >= gap.target else raises).append((gap.competence, before, after))
            current[gap.competence] = after
        needs = [m for m in module.prerequisites if m in order[:position]]
        builds_on = [m for m in module.prerequisites if m in done]
        unlocks = [m for m in order[position + 1 :] if k in planner.prerequisites[planner.index[m]]]
        # Modules follow one another day by day: each starts the day after the previous one
        # ends (no two share a day) and takes at least one day.
        first_day = day
        elapsed += float(module.hours)
        day = max(first_day + 1, math.ceil(elapsed / hours_per_week * 7 - 1e-9))
        first_week, last_week = first_day // 7 + 1, (day - 1) // 7 + 1
        steps.append(
            PathStep(
                module=mid,
                title=module.title.get(lang),
                hours=float(module.hours),
                ects=float(module.ects),
                closes=closes,
                raises=raises,
                needs=needs,
                builds_on=builds_on,
                unlocks=unlocks,
                explanation=_explain(catalogue, closes, raises, needs, builds_on, unlocks, lang),
                start=start + dt.timedelta(days=first_day),
                end=start + dt.timedelta(days=day - 1),
                weeks=(first_week, last_week),
            )
        )
    return LearningPath(
        steps=steps,
        gaps=list(gaps),
        objective=planner.objective,
        hours_per_week=float(hours_per_week),
        completed=sorted(done),
        covered_by_completed=covered_by_completed,
    )


def _explain(
    catalogue: Catalogue,
    closes: list[tuple[str, int, int]],
    raises: list[tuple[str, int, int]],
    needs: list[str],
    builds_on: list[str],
    unlocks: list[str],
    lang: str,
) -> str:
    from crisis.i18n.texts import texts_in

    phrase = texts_in("crisis.learners", "paths", lang)

    def moves(changes: list[tuple[str, int, int]]) -> str:
        return ", ".join(
            f"{catalogue.competence(c).title.get(lang)} {a}→{b}" for c, a, b in changes
        )

    parts = []
    if closes:
        parts.append(phrase["closes"].format(moves(closes)))
    if raises:
        parts.append(phrase["raises"].format(moves(raises)))
    if unlocks:
        key = "prepares" if closes or raises else "prerequisite"
        parts.append(phrase[key].format(", ".join(unlocks)))
    if needs:
        parts.append(phrase["needs"].format(", ".join(needs)))
    if builds_on:
        parts.append(phrase["builds_on"].format(", ".join(builds_on)))
    text = "; ".join(parts) or phrase["default"]
    return text[0].upper() + text[1:]
