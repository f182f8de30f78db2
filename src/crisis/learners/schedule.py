"""A learner's path put together: ordered modules, why each is there, and a calendar.

**Scope.** A learner chooses what the path may use: one programme of the curriculum (the
80-hour open online course, or the 40 ECTS university programme) or every module
(:data:`ALL_MODULES`). Within a programme, each target is capped at the highest level the
programme teaches; what lies beyond is listed as ``beyond_scope`` instead of making the path
infeasible.

**Extends.** A module that ``extends`` others (a university module extending open-course
modules) is handled by three rules:

1. *Completion flows down*: a completed module counts as completing every module it
   extends (transitively) — a completed U01 covers M01, M02 and M06.
2. *An extending module teaches what it extends*: its outcomes include theirs, so a path
   never holds both; a prerequisite on an extended module is met by the extending one.
3. *Completed open-course modules reduce programme work*: a gap they already close is not
   studied again, so a programme module chosen only for such gaps drops out of the path; and
   a programme module that is still needed costs its hours minus the hours of the extended
   modules already completed (the open-course part is not studied twice).

**Calendar.** Modules follow one another without overlapping: each starts the day after the
previous one ends, and a module of *h* hours at *w* hours a week takes ``7·h/w`` days
(rounded to whole days, at least one).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from crisis.competences.models import Catalogue, Curriculum, Module
from crisis.exceptions import ContentError
from crisis.learners.gaps import Gap, open_targets
from crisis.learners.paths import Objective, PathPlanner, order_modules

#: The scope that takes every module of the curriculum.
ALL_MODULES = "all"


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
        credited: Hours taken off because extended modules were already completed.
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
    credited: float = 0.0

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "module": self.module,
            "credited_hours": self.credited,
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
        completed: Modules the learner had already completed (with those they extend).
        covered_by_completed: Gaps closed by completed modules' outcomes.
        scope: Module ids the path could use (``None``: every module).
        beyond_scope: ``(competence, reachable, target)`` for targets the scope teaches
            only up to ``reachable``.
    """

    steps: list[PathStep]
    gaps: list[Gap]
    objective: Objective
    hours_per_week: float
    completed: list[str] = field(default_factory=list)
    covered_by_completed: list[str] = field(default_factory=list)
    scope: list[str] | None = None
    beyond_scope: list[tuple[str, int, int]] = field(default_factory=list)

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

    @property
    def days(self) -> int:
        """Calendar days from the first module's start to the last one's end."""
        return (self.steps[-1].end - self.steps[0].start).days + 1 if self.steps else 0

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
            "scope": self.scope,
            "beyond_scope": [
                {"competence": c, "reachable": r, "target": t} for c, r, t in self.beyond_scope
            ],
            "gaps": [gap.as_dict() for gap in self.gaps],
            "steps": [step.as_dict() for step in self.steps],
        }


def scope_modules(curriculum: Curriculum, scope: str | None) -> list[str] | None:
    """The module ids a scope allows: a programme's modules, or ``None`` for every module.

    ``None`` as ``scope`` means the curriculum's first programme (every module when the
    curriculum has no programmes).

    Raises:
        ContentError: ``scope`` names no programme.
    """
    if scope == ALL_MODULES:
        return None
    if scope is None:
        return list(curriculum.programmes[0].modules) if curriculum.programmes else None
    for programme in curriculum.programmes:
        if programme.id == scope:
            return list(programme.modules)
    known = ", ".join([p.id for p in curriculum.programmes] + [ALL_MODULES])
    raise ContentError(f"scope: {scope!r} is not a programme of the curriculum ({known})")


def expand_completed(curriculum: Curriculum, completed: Collection[str]) -> set[str]:
    """``completed`` with every module they extend, transitively (rule 1 of ``extends``).

    Raises:
        ContentError: a completed module is not in the curriculum.
    """
    modules = {m.id: m for m in curriculum.modules}
    unknown = sorted(set(completed) - set(modules))
    if unknown:
        raise ContentError(
            f"completed module {unknown[0]!r} is not in the curriculum "
            f"(known: {', '.join(modules)})"
        )
    done: set[str] = set()
    stack = list(completed)
    while stack:
        mid = stack.pop()
        if mid in done:
            continue
        done.add(mid)
        stack.extend(e for e in modules[mid].extends if e in modules)
    return done


def _extended(curriculum: Curriculum, module_id: str) -> set[str]:
    """Modules ``module_id`` extends, transitively (not itself)."""
    return expand_completed(curriculum, [module_id]) - {module_id}


def scoped_curriculum(
    curriculum: Curriculum, scope: Collection[str] | None, completed: Collection[str] = ()
) -> Curriculum:
    """The curriculum a path may use: modules in ``scope``, ``extends`` applied (rules 2, 3).

    Each module's outcomes include those of the modules it extends, its prerequisites keep
    only modules in scope, and its hours are reduced by the hours of completed modules it
    extends.
    """
    by_id = {m.id: m for m in curriculum.modules}
    allowed = set(by_id) if scope is None else set(scope)
    done = set(completed)
    modules = []
    for module in curriculum.modules:
        if module.id not in allowed:
            continue
        extended = _extended(curriculum, module.id)
        outcomes = list(module.outcomes)
        for other in sorted(extended):
            outcomes += by_id[other].outcomes
        credit = sum(float(by_id[e].hours) for e in extended & done)
        modules.append(
            module.model_copy(
                update={
                    "outcomes": outcomes,
                    "prerequisites": [p for p in module.prerequisites if p in allowed],
                    "hours": max(float(module.hours) - credit, 1.0) if credit else module.hours,
                }
            )
        )
    return curriculum.model_copy(update={"modules": modules})


def _teaches(module: Module, competence: str) -> int:
    return max((int(o.level) for o in module.outcomes if o.competence == competence), default=0)


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
    scope: Collection[str] | None = None,
) -> LearningPath:
    """Choose, order and schedule the modules that close ``gaps`` with the least effort.

    Args:
        gaps: A gap analysis (from :func:`crisis.learners.gaps.analyse_gaps`).
        catalogue: Catalogue whose curriculum supplies the modules.
        completed: Module ids the learner has completed.
        hours_per_week: Study hours per week for the calendar.
        start: First day of week 1 (default: today).
        objective: Minimise ``"hours"`` or ``"ects"``.
        planner: A planner to reuse (and its cache) across learners; it must have been
            built on :func:`scoped_curriculum` of the same scope and completed modules.
        lang: Language of titles and explanations.
        scope: Module ids the path may use (see :func:`scope_modules`); ``None``: all.
            With a scope, targets beyond what it teaches are capped and reported.

    Raises:
        InfeasiblePathError: If some gap cannot be closed by any open module; names the gap.
        ContentError: If ``hours_per_week`` is not positive or a completed module is unknown.
    """
    _check_hours(hours_per_week)
    return plan_paths(
        [(gaps, completed)],
        catalogue,
        hours_per_week=hours_per_week,
        start=start,
        planner=planner,
        lang=lang,
        scope=scope,
        objective=objective,
    )[0]


def plan_paths(
    learners: Sequence[tuple[Sequence[Gap], Collection[str]]],
    catalogue: Catalogue,
    *,
    hours_per_week: float = 4.0,
    start: dt.date | None = None,
    planner: PathPlanner | None = None,
    lang: str = "en",
    scope: Collection[str] | None = None,
    objective: Objective = "hours",
) -> list[LearningPath]:
    """:func:`plan_path` for many learners (``(gaps, completed)`` each), solved in batches.

    Raises:
        InfeasiblePathError: For the first learner whose gaps cannot be closed.
    """
    _check_hours(hours_per_week)
    curriculum = catalogue.curriculum
    planners: dict[frozenset[str], PathPlanner] = {}
    full = _full_view(curriculum)
    plans = []
    for gaps, completed in learners:
        done = frozenset(expand_completed(curriculum, completed))
        mine = planner
        if mine is None:
            # Completed modules change the credited hours, so planners are per set of them.
            key = done if any(m.extends for m in curriculum.modules) else frozenset()
            if key not in planners:
                view = scoped_curriculum(curriculum, scope, done)
                planners[key] = PathPlanner(view, objective=objective)
            mine = planners[key]
        by_id = {m.id: m for m in mine.curriculum.modules}
        gap_list = list(gaps)
        targets = open_targets(gap_list)
        beyond: list[tuple[str, int, int]] = []
        if scope is not None:
            for cid, target in list(targets.items()):
                reachable = max((_teaches(m, cid) for m in by_id.values()), default=0)
                anywhere = max((_teaches(m, cid) for m in full.values()), default=0)
                # A target no module of the curriculum reaches stays: the path is infeasible.
                if reachable < target <= anywhere:
                    beyond.append((cid, reachable, target))
                    if reachable:
                        targets[cid] = reachable
                    else:
                        del targets[cid]
        covered = {
            cid
            for cid, target in targets.items()
            if any(_teaches(full[m], cid) >= target for m in done if m in full)
        }
        remaining = {c: t for c, t in targets.items() if c not in covered}
        plans.append((gap_list, done, mine, by_id, targets, covered, beyond, remaining))
    # Learners who share a planner are solved together.
    chosen_of: dict[int, list[str]] = {}
    for shared in {id(p[2]): p[2] for p in plans}.values():
        members = [k for k, p in enumerate(plans) if p[2] is shared]
        solved = shared.choose_many(
            [(plans[k][7], [m for m in plans[k][1] if m in plans[k][3]]) for k in members]
        )
        chosen_of.update(zip(members, solved, strict=True))
    out = []
    for k, (gap_list, done, mine, by_id, targets, covered, beyond, _) in enumerate(plans):
        out.append(
            _assemble(
                gap_list,
                _drop_extended(curriculum, chosen_of[k]),
                catalogue,
                mine,
                by_id,
                done,
                hours_per_week,
                start,
                lang,
                targets=targets,
                covered=covered,
                scope=None if scope is None else sorted(scope),
                beyond=beyond,
            )
        )
    return out


def _full_view(curriculum: Curriculum) -> dict[str, Module]:
    """Every module with the outcomes of those it extends."""
    return {m.id: m for m in scoped_curriculum(curriculum, None).modules}


def _drop_extended(curriculum: Curriculum, chosen: list[str]) -> list[str]:
    """Leave out chosen modules that another chosen module extends (rule 2)."""
    extended = set()
    for mid in chosen:
        extended |= _extended(curriculum, mid)
    return [m for m in chosen if m not in extended]


def _check_hours(hours_per_week: float) -> None:
    if not hours_per_week > 0 or not math.isfinite(hours_per_week):
        raise ContentError(f"hours per week must be a positive number, got {hours_per_week!r}")


def _assemble(
    gaps: list[Gap],
    chosen: list[str],
    catalogue: Catalogue,
    planner: PathPlanner,
    modules: Mapping[str, Module],
    completed: Collection[str],
    hours_per_week: float,
    start: dt.date | None,
    lang: str,
    *,
    targets: Mapping[str, int],
    covered: Collection[str],
    scope: list[str] | None,
    beyond: list[tuple[str, int, int]],
) -> LearningPath:
    curriculum = catalogue.curriculum
    # A prerequisite on a module that a chosen module extends is met by the extending one.
    substitute = {e: mid for mid in chosen for e in _extended(curriculum, mid)}
    view = []
    for mid in chosen:
        module = modules[mid]
        needs = [substitute.get(p, p) for p in module.prerequisites]
        view.append(module.model_copy(update={"prerequisites": [p for p in needs if p != mid]}))
    ordering = PathPlanner(curriculum.model_copy(update={"modules": view}))
    priority = {g.competence: g.priority for g in gaps if g.open}
    order = order_modules(ordering, chosen, priority)
    start = start or dt.date.today()
    current = {g.competence: g.current for g in gaps}
    done = set(completed)
    open_gaps = [g for g in gaps if g.open and g.competence in targets]
    covered_by_completed = sorted(covered)
    for cid in covered_by_completed:
        current[cid] = max(current[cid], targets[cid])
    steps: list[PathStep] = []
    elapsed = 0.0
    day = 0  # days from ``start`` to the first free day
    for position, mid in enumerate(order):
        module = modules[mid]
        original = catalogue.module(mid)
        k = planner.index[mid]
        closes: list[tuple[str, int, int]] = []
        raises: list[tuple[str, int, int]] = []
        for gap in open_gaps:
            row = planner.teaches.get(gap.competence)
            taught = 0 if row is None else int(row[k])
            goal = targets[gap.competence]
            before = current[gap.competence]
            if before >= goal or taught <= before:
                continue
            after = min(taught, goal)
            (closes if after >= goal else raises).append((gap.competence, before, after))
            current[gap.competence] = after
        needs = [m for m in original.prerequisites if m in order[:position]]
        needs += [substitute[p] for p in original.prerequisites if p in substitute]
        builds_on = [m for m in original.prerequisites if m in done]
        unlocks = [
            m
            for m in order[position + 1 :]
            if mid in [substitute.get(p, p) for p in catalogue.module(m).prerequisites]
        ]
        # Modules follow one another day by day: each starts the day after the previous one
        # ends (no two share a day) and takes at least one day.
        first_day = day
        elapsed += float(module.hours)
        day = max(first_day + 1, math.ceil(elapsed / hours_per_week * 7 - 1e-9))
        first_week, last_week = first_day // 7 + 1, (day - 1) // 7 + 1
        steps.append(
            PathStep(
                module=mid,
                title=original.title.get(lang),
                hours=float(module.hours),
                ects=float(original.ects),
                closes=closes,
                raises=raises,
                needs=list(dict.fromkeys(needs)),
                builds_on=builds_on,
                unlocks=unlocks,
                explanation=_explain(catalogue, closes, raises, needs, builds_on, unlocks, lang),
                start=start + dt.timedelta(days=first_day),
                end=start + dt.timedelta(days=day - 1),
                weeks=(first_week, last_week),
                credited=float(original.hours) - float(module.hours),
            )
        )
    return LearningPath(
        steps=steps,
        gaps=list(gaps),
        objective=planner.objective,
        hours_per_week=float(hours_per_week),
        completed=sorted(done),
        covered_by_completed=covered_by_completed,
        scope=scope,
        beyond_scope=beyond,
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
