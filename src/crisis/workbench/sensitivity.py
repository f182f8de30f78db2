"""How stable the ranking is to the impact weights: exact flip points.

A weight ``w_k`` moves to ``w_k + d`` and the other weights are rescaled to keep their
proportions and sum ``1 − w_k − d``. Every scenario's weighted impact is then linear in
``d``, so the ranking can change only where a weighted impact crosses a class boundary
(1.5, 2.5, 3.5, 4.5 — its cell changes) or where two scenarios' scores cross. Those points
are computed exactly and tried in order of distance; the nearest one that changes the
top three (or the order of two neighbours) is the flip point. Nothing is scanned.

For AHP judgements, :func:`judgement_steps` moves each judgement one step along Saaty's
scale (3 → 4, 3 → 2, …) and reports which single steps change the top three: the honest
measure of how much the ranking depends on any one opinion.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations, pairwise

import numpy as np
import numpy.typing as npt

from crisis.exceptions import ContentError
from crisis.workbench.ahp import ahp, parse_judgement
from crisis.workbench.anchors import DIMENSIONS
from crisis.workbench.matrix import ScenarioChoice
from crisis.workbench.register import SCENARIOS, Register
from crisis.workbench.risk import IMPACT_EMPHASIS, Basis, likelihood_class, normalise_weights

TOP = 3
#: Saaty's scale in order, from "first criterion extremely more important" to the reverse.
SCALE: tuple[str, ...] = (
    *(str(k) for k in range(9, 1, -1)),
    "1",
    *(f"1/{k}" for k in range(2, 10)),
)
_THRESHOLDS = (1.5, 2.5, 3.5, 4.5)


@dataclass(frozen=True)
class Cause:
    """Why the order changes at a flip point.

    ``kind`` is ``"class"`` when the weighted impact of ``hazard``'s ``scenario`` crosses
    ``boundary`` (its matrix cell changes), or ``"score"`` when the scores of ``hazard`` and
    ``other`` become equal within a cell value.
    """

    kind: str
    hazard: str
    scenario: str
    boundary: float | None = None
    other: str | None = None


@dataclass(frozen=True)
class Flip:
    """The smallest change of one weight that changes the top of the ranking."""

    delta: float
    new_weight: float
    top_before: tuple[str, ...]
    top_after: tuple[str, ...]
    cause: Cause | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            **self.__dict__,
            "top_before": list(self.top_before),
            "top_after": list(self.top_after),
            "cause": None if self.cause is None else dict(self.cause.__dict__),
        }


@dataclass(frozen=True)
class WeightSensitivity:
    """How far one weight can move, up and down, before the top three change."""

    criterion: str
    weight: float
    up: Flip | None
    down: Flip | None

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON (``None`` where no change in range alters the top)."""
        return {
            "criterion": self.criterion,
            "weight": self.weight,
            "up": None if self.up is None else self.up.as_dict(),
            "down": None if self.down is None else self.down.as_dict(),
        }


@dataclass(frozen=True)
class PairFlip:
    """The smallest single-weight change that swaps two neighbours of the ranking."""

    upper: str
    lower: str
    criterion: str | None
    delta: float | None
    new_weight: float | None
    cause: Cause | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {**self.__dict__, "cause": None if self.cause is None else dict(self.cause.__dict__)}


@dataclass(frozen=True)
class JudgementStep:
    """One AHP judgement moved one step along Saaty's scale, and what it does to the top."""

    first: str
    second: str
    before: str
    after: str
    top_after: tuple[str, ...]
    changes_top: bool

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {**self.__dict__, "top_after": list(self.top_after)}


class _Model:
    """Every scenario of the register as arrays, ordered exactly as :func:`rank` orders them."""

    def __init__(self, register: Register, scenario: ScenarioChoice, basis: Basis) -> None:
        if not register.hazards:
            raise ContentError("the register has no hazards to rank")
        names = SCENARIOS if scenario == "both" else (scenario,)
        rows, lk, prob, owner = [], [], [], []
        self.scenario_names: list[str] = []
        for k, hazard in enumerate(register.hazards):
            for name in names:
                chosen = hazard.scenario(name)
                rows.append([chosen.impacts.as_dict()[d] for d in DIMENSIONS])
                lk.append(likelihood_class(chosen.likelihood))
                prob.append(chosen.likelihood.probability)
                owner.append(k)
                self.scenario_names.append(name)
        self.ids = register.ids()
        self.x = np.array(rows, dtype=float)
        self.lk = np.array(lk, dtype=float)
        self.prob = np.array(prob)
        self.owner = np.array(owner)
        self.basis = basis
        self.per_hazard = len(names)

    def keys(
        self, w: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per hazard: the governing scenario's (risk, score, probability)."""
        weighted = self.x @ w
        if self.basis == "highest":
            iclass = self.x.max(axis=1)
        else:
            iclass = np.clip(np.floor(weighted + 0.5 + 1e-9), 1, 5)
        risk = np.round(10.0 * ((self.lk - 1) + IMPACT_EMPHASIS * (iclass - 1)))
        score = np.round(10.0 * ((self.lk - 1) + IMPACT_EMPHASIS * (weighted - 1)), 6)
        n, m = len(self.ids), self.per_hazard
        risk, score, prob = risk.reshape(n, m), score.reshape(n, m), self.prob.reshape(n, m)
        best = np.lexsort((prob.T, score.T, risk.T), axis=0)[-1]
        rows = np.arange(n)
        return risk[rows, best], score[rows, best], prob[rows, best]

    def order(self, w: npt.NDArray[np.float64]) -> list[int]:
        """Hazard indices from the highest risk down."""
        risk, score, prob = self.keys(w)
        return sorted(
            range(len(self.ids)), key=lambda k: (-risk[k], -score[k], -prob[k], self.ids[k])
        )

    def top(self, w: npt.NDArray[np.float64], top: int) -> tuple[str, ...]:
        return tuple(self.ids[k] for k in self.order(w)[:top])

    def lines(
        self, w: npt.NDArray[np.float64], k: int
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """Weighted impact of every scenario as ``a + b·d`` when weight ``k`` moves by ``d``."""
        others = np.delete(np.arange(len(w)), k)
        rest = w[others].sum()
        shares = w[others] / rest if rest > 1e-12 else np.full(len(others), 1 / len(others))
        q = self.x[:, others] @ shares
        return self.x @ w, self.x[:, k] - q, others

    def candidates(
        self, a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], scenarios: Sequence[int]
    ) -> list[tuple[float, Cause]]:
        """Every ``d`` where the order of ``scenarios`` can change, with its cause."""
        found: list[tuple[float, Cause]] = []
        for s in scenarios:
            if self.basis == "weighted" and abs(b[s]) > 1e-12:
                hazard, name = self.ids[self.owner[s]], self.scenario_names[s]
                found.extend(
                    ((t - a[s]) / b[s], Cause("class", hazard, name, boundary=t))
                    for t in _THRESHOLDS
                )
        for s, u in combinations(scenarios, 2):
            slope = IMPACT_EMPHASIS * (b[s] - b[u])
            if abs(slope) > 1e-12 and self.owner[s] != self.owner[u]:
                gap = (self.lk[s] - self.lk[u]) + IMPACT_EMPHASIS * (a[s] - a[u])
                cause = Cause(
                    "score",
                    self.ids[self.owner[s]],
                    self.scenario_names[s],
                    other=self.ids[self.owner[u]],
                )
                found.append((-gap / slope, cause))
        return found


def _weights_at(
    w: npt.NDArray[np.float64], k: int, others: npt.NDArray[np.int64], d: float
) -> npt.NDArray[np.float64]:
    out = np.empty(len(w))
    rest = w[others].sum()
    shares = w[others] / rest if rest > 1e-12 else np.full(len(others), 1 / len(others))
    out[k] = w[k] + d
    out[others] = (1.0 - w[k] - d) * shares
    return out


def _first_change(
    model: _Model,
    w: npt.NDArray[np.float64],
    k: int,
    scenarios: Sequence[int],
    changed: Callable[[npt.NDArray[np.float64]], bool],
) -> dict[int, tuple[float, Cause, float] | None]:
    """For each direction, the nearest candidate ``d`` past which ``changed(weights)`` holds,
    with its cause and the ``d`` at which the change was seen."""
    a, b, others = model.lines(w, k)
    points = model.candidates(a, b, scenarios)
    found: dict[int, tuple[float, Cause, float] | None] = {}
    for sign, limit in ((1, 1.0 - w[k]), (-1, w[k])):
        found[sign] = None
        ahead = sorted(
            (p for p in points if 1e-12 < sign * p[0] <= limit + 1e-12),
            key=lambda p: sign * p[0],
        )
        # Probe half-way to the next distinct candidate (or the end of the range): nothing
        # else can change the order in between, and the change is well clear of round-off.
        distances = sorted({round(sign * d, 12) for d, _ in ahead})
        for d, cause in ahead:
            after = bisect.bisect_right(distances, round(sign * d, 12))
            end = distances[after] if after < len(distances) else limit
            probe = sign * (sign * d + end) / 2 if end > sign * d else d
            if changed(_weights_at(w, k, others, probe)):
                found[sign] = (float(d), cause, float(probe))
                break
    return found


def sensitivity(
    register: Register,
    weights: Mapping[str, float] | None = None,
    *,
    scenario: ScenarioChoice = "both",
    basis: Basis = "weighted",
    top: int = TOP,
) -> list[WeightSensitivity]:
    """For each impact weight, the smallest change up and down that changes the top three."""
    model = _Model(register, scenario, basis)
    wmap = normalise_weights(weights)
    w = np.array([wmap[d] for d in DIMENSIONS])
    base = model.top(w, top)
    every = range(len(model.x))
    results = []
    for k, criterion in enumerate(DIMENSIONS):
        found = _first_change(model, w, k, every, lambda v: model.top(v, top) != base)
        flips: dict[int, Flip | None] = {}
        others = np.delete(np.arange(len(w)), k)
        for sign, point in found.items():
            flips[sign] = None
            if point is not None:
                d, cause, probe = point
                after = model.top(_weights_at(w, k, others, probe), top)
                flips[sign] = Flip(d, float(w[k] + d), base, after, cause)
        results.append(WeightSensitivity(criterion, float(w[k]), flips[1], flips[-1]))
    return results


def pair_flips(
    register: Register,
    weights: Mapping[str, float] | None = None,
    *,
    scenario: ScenarioChoice = "both",
    basis: Basis = "weighted",
) -> list[PairFlip]:
    """For each pair of neighbours in the ranking, the smallest weight change that swaps them."""
    model = _Model(register, scenario, basis)
    wmap = normalise_weights(weights)
    w = np.array([wmap[d] for d in DIMENSIONS])
    order = model.order(w)
    results = []
    for upper, lower in pairwise(order):
        scenarios = [s for s in range(len(model.x)) if model.owner[s] in (upper, lower)]

        def swapped(v: npt.NDArray[np.float64], upper: int = upper, lower: int = lower) -> bool:
            now = model.order(v)
            return now.index(lower) < now.index(upper)

        best: tuple[float, int, float, Cause] | None = None
        for k in range(len(DIMENSIONS)):
            for point in _first_change(model, w, k, scenarios, swapped).values():
                if point is not None and (best is None or abs(point[0]) < best[0]):
                    best = (abs(point[0]), k, point[0], point[1])
        if best is None:
            results.append(PairFlip(model.ids[upper], model.ids[lower], None, None, None))
        else:
            _, k, d, cause = best
            results.append(
                PairFlip(
                    model.ids[upper], model.ids[lower], DIMENSIONS[k], d, float(w[k] + d), cause
                )
            )
    return results


def _nearest_on_scale(value: float) -> str:
    return min(SCALE, key=lambda s: abs(float(Fraction(s)) - value))


def judgement_steps(
    register: Register,
    pairwise: Sequence[Sequence[object]],
    *,
    scenario: ScenarioChoice = "both",
    basis: Basis = "weighted",
    top: int = TOP,
) -> list[JudgementStep]:
    """Each AHP judgement moved one step either way along Saaty's scale, with its new top.

    Raises:
        ContentError: ``pairwise`` is not a valid matrix over the impact dimensions.
    """
    model = _Model(register, scenario, basis)
    base_weights = np.array(ahp(pairwise, DIMENSIONS).weights)
    base = model.top(base_weights, top)
    cells = [[parse_judgement(v) for v in row] for row in pairwise]
    steps = []
    for i, j in combinations(range(len(DIMENSIONS)), 2):
        now = _nearest_on_scale(cells[i][j])
        position = SCALE.index(now)
        for move in (-1, 1):
            if not 0 <= position + move < len(SCALE):
                continue
            value = SCALE[position + move]
            trial = [list(row) for row in cells]
            trial[i][j] = float(Fraction(value))
            trial[j][i] = 1.0 / float(Fraction(value))
            after = model.top(np.array(ahp(trial, DIMENSIONS).weights), top)
            steps.append(
                JudgementStep(DIMENSIONS[i], DIMENSIONS[j], now, value, after, after != base)
            )
    return steps
