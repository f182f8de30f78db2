"""Optimal learning paths: the fewest hours (or ECTS) of modules that close a learner's gaps.

The choice of modules is a mixed-integer programme solved exactly with HiGHS
(:func:`scipy.optimize.milp`). Binary ``x_m`` is 1 when module *m* is taken; minimise
``Σ cost_m x_m`` subject to

* **cover**: for each gap (competence *c*, target level *t*), ``Σ x_m ≥ 1`` over the modules
  with an outcome on *c* at level ≥ *t* (a gap already covered by a completed module needs
  nothing more);
* **prerequisites**: ``x_m ≤ x_p`` for each prerequisite *p* of *m* not yet completed;
* **completed**: completed modules are not offered again.

Before HiGHS sees a problem, two exact reductions shrink it: a gap that only one module can
close forces that module and its prerequisites, and a gap whose covering modules include all
of another gap's is implied by it. The residual problem is cached by its shape; many learners'
residual problems are solved together as one block-diagonal MILP (:meth:`PathPlanner.choose_many`).

The chosen set is then ordered (prerequisites first, ties by the priority of the gaps the
module closes) and laid on a calendar by :mod:`crisis.learners.schedule`.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from crisis.exceptions import ContentError, InfeasiblePathError

if TYPE_CHECKING:
    from crisis.competences.models import Curriculum

Objective = Literal["hours", "ects"]


@dataclass(frozen=True)
class _Requirement:
    competence: str
    target: int


class PathPlanner:
    """Solves learning-path MILPs against one curriculum; reusable across many learners.

    Solutions are cached by the *shape* of the problem (which module sets can close which
    gap, and what is completed), so learners with equivalent gaps cost one solve.

    Args:
        curriculum: The curriculum whose modules may be chosen.
        objective: Minimise total ``"hours"`` or total ``"ects"``.
    """

    def __init__(self, curriculum: Curriculum, *, objective: Objective = "hours") -> None:
        if objective not in ("hours", "ects"):
            raise ContentError(f"objective must be 'hours' or 'ects', not {objective!r}")
        self.curriculum = curriculum
        self.objective: Objective = objective
        modules = list(curriculum.modules)
        self.ids: list[str] = [m.id for m in modules]
        self.index: dict[str, int] = {mid: k for k, mid in enumerate(self.ids)}
        self.cost = np.array(
            [float(m.hours if objective == "hours" else m.ects) for m in modules], dtype=float
        )
        self.prerequisites: list[tuple[int, ...]] = [
            tuple(self.index[p] for p in m.prerequisites if p in self.index) for m in modules
        ]
        # teaches[c][m] = highest level module m teaches competence c to (0 if it does not).
        self.teaches: dict[str, npt.NDArray[np.int64]] = {}
        for k, module in enumerate(modules):
            for outcome in module.outcomes:
                row = self.teaches.setdefault(outcome.competence, np.zeros(len(modules), int))
                row[k] = max(row[k], int(outcome.level))
        self._cache: dict[tuple[frozenset[frozenset[int]], frozenset[int]], tuple[int, ...]] = {}
        self._covering: dict[tuple[str, int], frozenset[int]] = {}
        self.solves = 0

    def covering(self, competence: str, target: int) -> frozenset[int]:
        """Indices of modules that teach ``competence`` to at least ``target``."""
        key = (competence, target)
        if key not in self._covering:
            row = self.teaches.get(competence)
            found = () if row is None else np.flatnonzero(row >= target)
            self._covering[key] = frozenset(int(k) for k in found)
        return self._covering[key]

    def choose(self, targets: Mapping[str, int], completed: Collection[str] = ()) -> list[str]:
        """Return the cheapest set of module ids that brings every competence to its target.

        Args:
            targets: Competence id → level that must be reached (only the open gaps).
            completed: Module ids already completed; never chosen again, and their outcomes
                count as covered.

        Raises:
            InfeasiblePathError: If no module that is still open teaches a gap to its target.
            ContentError: If a completed module id is not in the curriculum.
        """
        return self.choose_many([(targets, completed)])[0]

    def choose_many(
        self,
        requests: Sequence[tuple[Mapping[str, int], Collection[str]]],
        *,
        batch: int = 400,
    ) -> list[list[str]]:
        """:meth:`choose` for many learners at once.

        Problems not yet in the cache are solved together, ``batch`` at a time, as one
        block-diagonal MILP: the blocks share no variable or constraint, so its optimum is
        every block's optimum, and HiGHS's fixed cost per call is paid once per batch.

        Raises:
            InfeasiblePathError: For the first request that cannot be satisfied (with its
                position when there are several requests).
        """
        reduced = []
        for position, (targets, completed) in enumerate(requests):
            try:
                reduced.append(self._reduce(targets, completed))
            except InfeasiblePathError as exc:
                if len(requests) == 1:
                    raise
                raise InfeasiblePathError(f"learner {position + 1}: {exc}") from None
        missing = list(dict.fromkeys(key for key, _ in reduced if key not in self._cache))
        for start in range(0, len(missing), batch):
            keys = missing[start : start + batch]
            for key, chosen in zip(keys, self._solve_blocks(keys), strict=True):
                self._cache[key] = chosen
        return [
            [self.ids[k] for k in sorted(forced | set(self._cache[key]))] for key, forced in reduced
        ]

    def _reduce(
        self, targets: Mapping[str, int], completed: Collection[str]
    ) -> tuple[tuple[frozenset[frozenset[int]], frozenset[int]], frozenset[int]]:
        """The residual problem (its cache key) and the modules forced before any solve."""
        done = self._completed_indices(completed)
        rows: set[frozenset[int]] = set()
        for competence, target in _validate_targets(targets).items():
            cover = self.covering(competence, target)
            if cover & done:
                continue
            if not cover:
                raise InfeasiblePathError(self._why_uncoverable(competence, target, done))
            rows.add(cover)
        # A gap that only one module can close forces that module and its prerequisites;
        # every gap they close is settled, and what remains is solved with them as done.
        forced: set[int] = set()
        while True:
            singles = [next(iter(r)) for r in rows if len(r) == 1]
            if not singles:
                break
            forced |= self._ancestors(singles, done | forced)
            rows = {r for r in rows if not r & forced}
        # A gap whose covering set contains another gap's covering set is implied by it.
        minimal = frozenset(r for r in rows if not any(o < r for o in rows))
        return (minimal, frozenset(done | forced)), frozenset(forced)

    def _completed_indices(self, completed: Collection[str]) -> frozenset[int]:
        unknown = sorted(set(completed) - set(self.index))
        if unknown:
            raise ContentError(
                f"completed module {unknown[0]!r} is not in the curriculum "
                f"(known: {', '.join(self.ids)})"
            )
        return frozenset(self.index[m] for m in completed)

    def _why_uncoverable(self, competence: str, target: int, done: frozenset[int]) -> str:
        row = self.teaches.get(competence)
        if row is None or not row.any():
            return f"gap {competence} → level {target}: no module of the curriculum teaches it"
        best = int(row.max())
        where = ", ".join(self.ids[k] for k in np.flatnonzero(row == best))
        if best < target:
            return (
                f"gap {competence} → level {target}: the curriculum teaches it only up to "
                f"level {best} ({where})"
            )
        return (
            f"gap {competence} → level {target}: every module that teaches it to that level "
            "is already completed"
        )

    def _ancestors(self, start: Iterable[int], done: frozenset[int]) -> set[int]:
        seen: set[int] = set()
        stack = [k for k in start if k not in done]
        while stack:
            k = stack.pop()
            if k in seen:
                continue
            seen.add(k)
            stack.extend(p for p in self.prerequisites[k] if p not in done and p not in seen)
        return seen

    def _solve_blocks(
        self, keys: Sequence[tuple[frozenset[frozenset[int]], frozenset[int]]]
    ) -> list[tuple[int, ...]]:
        """Solve residual problems in one MILP, one independent block of variables each."""
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import coo_array

        r_idx: list[int] = []
        c_idx: list[int] = []
        vals: list[float] = []
        lower: list[float] = []
        upper: list[float] = []
        costs: list[float] = []
        blocks: list[list[int]] = []
        row_no = 0
        for rows, done in keys:
            # Only modules that cover a gap, and what they need first, can be in an optimum.
            relevant = sorted(self._ancestors(set().union(*rows), done)) if rows else []
            col = {k: len(costs) + j for j, k in enumerate(relevant)}
            blocks.append(relevant)
            costs.extend(self.cost[relevant])
            for cover in sorted(rows, key=sorted):
                for k in cover:
                    r_idx.append(row_no)
                    c_idx.append(col[k])
                    vals.append(1.0)
                lower.append(1.0)
                upper.append(np.inf)
                row_no += 1
            for k in relevant:
                for p in self.prerequisites[k]:
                    if p in done:
                        continue
                    r_idx += [row_no, row_no]
                    c_idx += [col[k], col[p]]
                    vals += [1.0, -1.0]
                    lower.append(-np.inf)
                    upper.append(0.0)
                    row_no += 1
        n = len(costs)
        if n == 0:
            return [() for _ in keys]
        matrix = coo_array((vals, (r_idx, c_idx)), shape=(row_no, n)).tocsr()
        self.solves += 1
        result = milp(
            c=np.array(costs),
            constraints=LinearConstraint(matrix, np.array(lower), np.array(upper)),
            integrality=np.ones(n),
            bounds=Bounds(0, 1),
            # A zero gap: a batch's objective is a sum, and a relative gap on the sum would
            # let single learners' paths be suboptimal.
            options={"mip_rel_gap": 0.0},
        )
        if result.status != 0 or result.x is None:  # pragma: no cover - rows are coverable
            raise InfeasiblePathError(f"the path solver found no solution: {result.message}")
        out = []
        offset = 0
        for relevant in blocks:
            x = result.x[offset : offset + len(relevant)]
            out.append(tuple(sorted(relevant[j] for j in np.flatnonzero(x > 0.5))))
            offset += len(relevant)
        return out


def exhaustive_optimum(
    planner: PathPlanner, targets: Mapping[str, int], completed: Collection[str] = ()
) -> tuple[float, list[str]] | None:
    """Cheapest feasible module set by trying every subset: the reference for small curricula.

    Independent of the MILP: it enumerates all subsets of open modules, keeps those that
    honour prerequisites and reach every target, and returns the lowest cost (or ``None`` when
    no subset does). Exponential; meant for tests and spot checks with ≤ ~20 modules.
    """
    done = planner._completed_indices(completed)
    open_modules = [k for k in range(len(planner.ids)) if k not in done]
    n = len(open_modules)
    if n > 22:
        raise ContentError(f"{n} open modules are too many to enumerate")
    masks = np.arange(1 << n, dtype=np.int64)
    chosen = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)  # (subsets, modules)
    ok = np.ones(len(masks), dtype=bool)
    for j, k in enumerate(open_modules):
        for p in planner.prerequisites[k]:
            if p in done:
                continue
            ok &= ~chosen[:, j] | chosen[:, open_modules.index(p)]
    for competence, target in targets.items():
        row = planner.teaches.get(competence, np.zeros(len(planner.ids), int))
        if any(row[k] >= target for k in done):
            continue
        ok &= (chosen & (row[open_modules] >= target)[None, :]).any(axis=1)
    if not ok.any():
        return None
    cost = chosen.astype(float) @ planner.cost[open_modules]
    cost = np.where(ok, cost, np.inf)
    best = int(np.argmin(cost))
    return float(cost[best]), [planner.ids[open_modules[j]] for j in np.flatnonzero(chosen[best])]


def order_modules(
    planner: PathPlanner, chosen: Sequence[str], priority: Mapping[str, int]
) -> list[str]:
    """Order chosen modules so that prerequisites come first, ties by gap priority.

    Args:
        planner: The planner that chose them (for prerequisites and outcomes).
        chosen: Module ids to order.
        priority: Competence id → rank of its gap (0 = most urgent).
    """
    import heapq

    chosen_idx = [planner.index[m] for m in chosen]
    chosen_set = set(chosen_idx)
    worst = len(priority) + 1
    rank: dict[int, int] = {}
    for k in chosen_idx:
        closes = [priority[c] for c, row in planner.teaches.items() if c in priority and row[k] > 0]
        rank[k] = min(closes, default=worst)
    # A module taken only as a prerequisite inherits the urgency of what it unlocks.
    for _ in itertools.repeat(None, len(chosen_idx)):
        changed = False
        for k in chosen_idx:
            for p in planner.prerequisites[k]:
                if p in chosen_set and rank[k] < rank[p]:
                    rank[p] = rank[k]
                    changed = True
        if not changed:
            break
    indegree = {k: sum(1 for p in planner.prerequisites[k] if p in chosen_set) for k in chosen_idx}
    heap = [(rank[k], planner.ids[k], k) for k in chosen_idx if indegree[k] == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _, mid, k = heapq.heappop(heap)
        order.append(mid)
        for d in chosen_idx:
            if k in planner.prerequisites[d]:
                indegree[d] -= 1
                if indegree[d] == 0:
                    heapq.heappush(heap, (rank[d], planner.ids[d], d))
    if len(order) != len(chosen_idx):  # pragma: no cover - the curriculum loader rejects cycles
        raise ContentError("the chosen modules' prerequisites form a cycle")
    return order


def _validate_targets(targets: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for competence, level in targets.items():
        if isinstance(level, bool) or not isinstance(level, int | np.integer):
            raise ContentError(f"target level of {competence} must be an integer, got {level!r}")
        if not 0 <= int(level) <= 4:
            raise ContentError(f"target level of {competence} is {level}; expected 0..4")
        out[competence] = int(level)
    return out
