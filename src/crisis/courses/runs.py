"""Course runs: a module (or several) opened for a cohort, with a start date and deadlines.

A run names its modules, its start date, the units it requires (all units of its modules
unless the instructor chose fewer) and deadlines, each for a unit or a whole module. What a
learner sees: each deadline, met (the evidence came on or before the day), missed, or open.

What the instructor sees follows the cohort rules of :mod:`crisis.learners.cohorts`:
joining a cohort is not consent. Consenting learners appear by name with their units; the
others only in counts, and counts only for groups of at least
:data:`~crisis.learners.cohorts.MIN_GROUP` people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from crisis.competences.models import Catalogue
from crisis.courses.loader import Course
from crisis.courses.progress import ModuleProgress
from crisis.exceptions import ContentError
from crisis.learners.cohorts import MIN_GROUP

#: Longest a run may last, in days.
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class RunPlan:
    """What an instructor opens: modules, start, required units, deadlines."""

    title: str
    modules: tuple[str, ...]
    start: dt.date
    required: tuple[str, ...]
    deadlines: dict[str, dt.date]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "title": self.title,
            "modules": list(self.modules),
            "start": self.start.isoformat(),
            "required": list(self.required),
            "deadlines": {k: v.isoformat() for k, v in self.deadlines.items()},
        }


def check_run(
    catalogue: Catalogue,
    course: Course,
    *,
    title: str,
    modules: Sequence[str],
    start: dt.date,
    required: Sequence[str] | None = None,
    deadlines: Mapping[str, dt.date] | None = None,
) -> RunPlan:
    """Check a run before it is opened; every problem names its field and value.

    Args:
        required: Unit ids the run requires; ``None`` = every unit of its modules.
        deadlines: Unit or module id → last day.

    Raises:
        ContentError: listing every problem.
    """
    errors: list[str] = []
    title = title.strip()
    if not title:
        errors.append("title: give the run a title")
    known = {m.id for m in catalogue.curriculum.modules}
    chosen = list(dict.fromkeys(modules))
    if not chosen:
        errors.append("modules: choose a module or the whole course")
    for mid in chosen:
        if mid not in known:
            errors.append(f"modules: {mid!r} is not a module of the curriculum")
    units = [u.id for mid in chosen if mid in known for u in course.of_module(mid)]
    needed = list(dict.fromkeys(required)) if required is not None else units
    for uid in needed:
        if uid not in units:
            errors.append(f"required units: {uid!r} is not a unit of this run's modules")
    for key, day in (deadlines or {}).items():
        if key not in units and key not in chosen:
            errors.append(f"deadline for {key!r}: not a module or unit of this run")
        elif day < start:
            errors.append(
                f"deadline for {key}: {day.isoformat()} is before the start {start.isoformat()}"
            )
        elif (day - start).days > MAX_DAYS:
            errors.append(
                f"deadline for {key}: {day.isoformat()} is more than three years after the start"
            )
    if errors:
        raise ContentError(errors[0], errors=errors)
    return RunPlan(title[:200], tuple(chosen), start, tuple(needed), dict(deadlines or {}))


@dataclass(frozen=True)
class DeadlineStatus:
    """One deadline as a learner stands with it."""

    target: str
    due: dt.date
    status: str  # "met", "missed", "open" or "overdue"
    completed_at: dt.datetime | None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "target": self.target,
            "due": self.due.isoformat(),
            "status": self.status,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
        }


def deadline_status(
    plan: RunPlan, progress: Mapping[str, ModuleProgress], today: dt.date
) -> list[DeadlineStatus]:
    """Each deadline of ``plan`` for one learner, soonest first.

    A module deadline counts the run's required units of that module only.
    """
    units = {u.unit: u for p in progress.values() for u in p.units}
    out = []
    for target, due in sorted(plan.deadlines.items(), key=lambda kv: (kv[1], kv[0])):
        if target in progress:
            wanted = [units[u] for u in plan.required if u in units and u.startswith(f"{target}-")]
            module = progress[target]
            if wanted:
                done = all(u.complete for u in wanted)
                at = max((u.completed_at for u in wanted if u.completed_at), default=None)
            else:
                done, at = module.complete, module.completed_at
        else:
            unit = units.get(target)
            done = unit is not None and unit.complete
            at = unit.completed_at if unit is not None else None
        if done and at is not None:
            status = "met" if at.date() <= due else "missed"
        else:
            status = "overdue" if today > due else "open"
        out.append(DeadlineStatus(target, due, status, at if done else None))
    return out


@dataclass(frozen=True)
class LearnerRow:
    """One consenting learner's progress in a run."""

    member: str
    user_id: int
    units: dict[str, bool]
    deadlines: list[DeadlineStatus]

    @property
    def done(self) -> int:
        """Required units complete."""
        return sum(self.units.values())


@dataclass(frozen=True)
class RunProgress:
    """What the instructor of a run may see."""

    size: int
    rows: list[LearnerRow]
    hidden: int
    #: Unit id → how many learners completed it; ``None`` below the minimum group.
    counts: dict[str, int] | None
    note: str | None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "size": self.size,
            "hidden": self.hidden,
            "learners": [
                {
                    "member": r.member,
                    "user_id": r.user_id,
                    "units": r.units,
                    "deadlines": [d.as_dict() for d in r.deadlines],
                }
                for r in self.rows
            ],
            "counts": self.counts,
            "note": self.note,
        }


def run_progress(
    plan: RunPlan,
    members: Sequence[tuple[str, int, bool, Mapping[str, ModuleProgress]]],
    today: dt.date,
    *,
    min_group: int = MIN_GROUP,
) -> RunProgress:
    """The run's progress under the cohort rules.

    Args:
        members: ``(label, user id, consented, progress)`` of each learner account.
    """
    min_group = max(min_group, MIN_GROUP)
    rows = []
    complete: dict[str, int] = dict.fromkeys(plan.required, 0)
    for label, uid, consented, progress in members:
        units = {u.unit: u.complete for p in progress.values() for u in p.units}
        mine = {u: bool(units.get(u)) for u in plan.required}
        for u, done in mine.items():
            complete[u] += done
        if consented:
            rows.append(LearnerRow(label, uid, mine, deadline_status(plan, progress, today)))
    hidden = len(members) - len(rows)
    if len(members) < min_group:
        return RunProgress(
            len(members),
            rows,
            hidden,
            None,
            f"counts are shown for groups of at least {min_group} people; this run has "
            f"{len(members)}",
        )
    return RunProgress(len(members), rows, hidden, complete, None)
