"""Analytic hierarchy process: criteria weights from pairwise comparisons.

A pairwise matrix ``A`` holds ``a_ij`` = how much more important criterion *i* is than *j*
on Saaty's 1–9 scale, with ``a_ji = 1 / a_ij`` and ones on the diagonal. The weights are the
principal eigenvector of ``A`` normalised to sum 1 (or, as a check, the normalised geometric
means of the rows). Consistency: ``CI = (λmax − n) / (n − 1)`` and ``CR = CI / RI(n)`` with
Saaty's random indices; ``CR > 0.10`` is flagged as too inconsistent to trust.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from crisis.exceptions import ContentError

#: Saaty's random consistency indices RI(n) for n = 1 … 10.
RANDOM_INDEX: dict[int, float] = {
    1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49,
}  # fmt: skip
CR_THRESHOLD = 0.10
#: Relative tolerance for reciprocity and for matching the 1–9 scale (1/3 written 0.333).
TOLERANCE = 0.01
_SCALE = tuple(float(k) for k in range(1, 10)) + tuple(1.0 / k for k in range(2, 10))


@dataclass(frozen=True)
class AHPResult:
    """Weights and consistency of one pairwise matrix."""

    criteria: tuple[str, ...]
    weights: tuple[float, ...]
    geometric_weights: tuple[float, ...]
    lambda_max: float
    ci: float
    cr: float
    consistent: bool

    def weight_map(self) -> dict[str, float]:
        """Eigenvector weights keyed by criterion."""
        return dict(zip(self.criteria, self.weights, strict=True))

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "criteria": list(self.criteria),
            "weights": self.weight_map(),
            "geometric_weights": dict(zip(self.criteria, self.geometric_weights, strict=True)),
            "lambda_max": self.lambda_max,
            "ci": self.ci,
            "cr": self.cr,
            "consistent": self.consistent,
            "flag": None if self.consistent else f"CR {self.cr:.3f} exceeds {CR_THRESHOLD}",
        }


def parse_judgement(value: object, where: str = "value") -> float:
    """Read a judgement written as a number or a fraction such as ``"1/3"``.

    Raises:
        ContentError: The value is not a number.
    """
    if isinstance(value, bool):
        raise ContentError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            pass
    raise ContentError(f"{where}: expected a number or a fraction like 1/3, got {value!r}")


def _name(criteria: Sequence[str], i: int) -> str:
    return criteria[i] if i < len(criteria) else str(i + 1)


def validate_pairwise(
    matrix: Sequence[Sequence[object]] | npt.NDArray[Any], criteria: Sequence[str] | None = None
) -> npt.NDArray[np.float64]:
    """Check a pairwise matrix and return it as floats.

    Rows and columns are 1-based in messages, with the criteria's names where given.

    Raises:
        ContentError: Naming the first offending cell (not square, not positive, not on the
            1–9 scale, diagonal not 1, or not reciprocal).
    """
    rows = [list(r) for r in (matrix.tolist() if isinstance(matrix, np.ndarray) else matrix)]
    n = len(rows)
    if n == 0:
        raise ContentError("pairwise matrix is empty")
    if n > max(RANDOM_INDEX):
        raise ContentError(f"pairwise matrix has {n} criteria; at most {max(RANDOM_INDEX)}")
    names = list(criteria) if criteria is not None else [str(k + 1) for k in range(n)]
    if len(names) != n:
        raise ContentError(f"{len(names)} criteria named but the matrix has {n} rows")
    a = np.empty((n, n))
    for i, row in enumerate(rows):
        if len(row) != n:
            raise ContentError(f"row {i + 1} ({names[i]}) has {len(row)} cells; expected {n}")
        for j, value in enumerate(row):
            where = f"cell ({i + 1}, {j + 1}) [{names[i]} vs {names[j]}]"
            number = parse_judgement(value, where)
            if not math.isfinite(number) or number <= 0.0:
                raise ContentError(f"{where}: judgements must be positive, got {value!r}")
            if not any(math.isclose(number, s, rel_tol=TOLERANCE) for s in _SCALE):
                raise ContentError(
                    f"{where}: {value!r} is not on Saaty's scale (1 … 9 or 1/2 … 1/9)"
                )
            a[i, j] = number
    for i in range(n):
        if not math.isclose(a[i, i], 1.0, rel_tol=TOLERANCE):
            raise ContentError(f"cell ({i + 1}, {i + 1}) [{names[i]}]: diagonal must be 1")
    for i in range(n):
        for j in range(i + 1, n):
            if not math.isclose(a[i, j] * a[j, i], 1.0, rel_tol=TOLERANCE):
                raise ContentError(
                    f"cell ({j + 1}, {i + 1}) [{names[j]} vs {names[i]}]: must be the reciprocal"
                    f" of cell ({i + 1}, {j + 1}) = {a[i, j]:g}, got {a[j, i]:g}"
                )
    return a


def pairwise_from_judgements(
    criteria: Sequence[str], judgements: Mapping[tuple[str, str], object]
) -> list[list[float]]:
    """Build the full matrix from one judgement per pair (the form an analyst fills in).

    ``judgements[(a, b)] = 3`` means *a* is moderately more important than *b*. A missing
    pair is taken as equal importance.

    Raises:
        ContentError: An unknown criterion or a pair given both ways.
    """
    index = {c: k for k, c in enumerate(criteria)}
    n = len(criteria)
    a = [[1.0] * n for _ in range(n)]
    given: set[frozenset[str]] = set()
    for (first, second), value in judgements.items():
        for name in (first, second):
            if name not in index:
                raise ContentError(f"judgement ({first}, {second}): unknown criterion {name!r}")
        pair = frozenset((first, second))
        if pair in given:
            raise ContentError(f"judgement ({first}, {second}) is given twice")
        given.add(pair)
        number = parse_judgement(value, f"judgement ({first}, {second})")
        i, j = index[first], index[second]
        a[i][j], a[j][i] = number, 1.0 / number
    validate_pairwise(a, criteria)
    return a


def eigenvector_weights(a: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], float]:
    """Principal eigenvector (normalised to sum 1) and principal eigenvalue of ``a``."""
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    vector = np.abs(vectors[:, k].real)
    return vector / vector.sum(), float(values[k].real)


def geometric_weights(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Normalised geometric means of the rows of ``a``."""
    means = np.exp(np.log(a).mean(axis=1))
    return means / means.sum()


def ahp(
    matrix: Sequence[Sequence[object]] | npt.NDArray[Any], criteria: Sequence[str] | None = None
) -> AHPResult:
    """Validate a pairwise matrix and compute weights, λmax, CI and CR.

    Raises:
        ContentError: The matrix is not a valid pairwise comparison matrix.
    """
    a = validate_pairwise(matrix, criteria)
    n = a.shape[0]
    names = tuple(criteria) if criteria is not None else tuple(str(k + 1) for k in range(n))
    weights, lambda_max = eigenvector_weights(a)
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    cr = ci / RANDOM_INDEX[n] if RANDOM_INDEX[n] > 0 else 0.0
    ci, cr = max(ci, 0.0), max(cr, 0.0)  # round-off can make a consistent matrix go negative
    return AHPResult(
        criteria=names,
        weights=tuple(float(w) for w in weights),
        geometric_weights=tuple(float(w) for w in geometric_weights(a)),
        lambda_max=lambda_max,
        ci=ci,
        cr=cr,
        consistent=cr <= CR_THRESHOLD,
    )


@dataclass(frozen=True)
class Revision:
    """A judgement that conflicts with the others, and the value that would fit them.

    ``implied`` is what the other judgements say about the pair: the geometric mean of the
    indirect comparisons ``a_ik · a_kj`` over every third criterion ``k``. ``suggested`` is
    the value on Saaty's scale that, put in this one cell (and its reciprocal), gives the
    lowest consistency ratio, ``cr_after``.
    """

    first: str
    second: str
    current: float
    implied: float
    suggested: float
    cr_after: float

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            **self.__dict__,
            "current_text": _text(self.current),
            "suggested_text": _text(self.suggested),
        }


def _text(value: float) -> str:
    """A scale value as an analyst writes it: ``3`` or ``1/3``."""
    if value >= 1.0 - 1e-9:
        return f"{round(value):d}"
    return f"1/{round(1.0 / value):d}"


def ratio_text(value: float) -> str:
    """Any positive ratio as an analyst reads it: ``2.5`` or ``1/2.5`` (one decimal)."""
    shown = value if value >= 1.0 else 1.0 / value
    text = f"{shown:.1f}".removesuffix(".0")
    return text if value >= 1.0 else f"1/{text}"


def scale_text(value: float) -> str:
    """A judgement as written on Saaty's scale (``3``, ``1/3``), nearest scale value."""
    return _text(min(_SCALE, key=lambda s: abs(math.log(s) - math.log(value))))


def _cr(a: npt.NDArray[np.float64]) -> float:
    n = a.shape[0]
    _, lambda_max = eigenvector_weights(a)
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    return max(ci / RANDOM_INDEX[n], 0.0) if RANDOM_INDEX[n] > 0 else 0.0


def revisions(
    matrix: Sequence[Sequence[object]] | npt.NDArray[Any],
    criteria: Sequence[str] | None = None,
    *,
    top: int = 3,
) -> list[Revision]:
    """The judgements whose revision lowers the consistency ratio most, best first.

    Each pair's judgement is tried at every value of Saaty's scale with the rest of the matrix
    unchanged; pairs are ordered by the lowest CR they can reach. Only revisions that lower
    CR are returned (none for a consistent matrix of three or fewer criteria).

    Raises:
        ContentError: The matrix is not a valid pairwise comparison matrix.
    """
    a = validate_pairwise(matrix, criteria)
    n = a.shape[0]
    names = tuple(criteria) if criteria is not None else tuple(str(k + 1) for k in range(n))
    current_cr = _cr(a)
    found = []
    for i in range(n):
        for j in range(i + 1, n):
            others = [k for k in range(n) if k not in (i, j)]
            implied = (
                float(np.exp(np.mean([np.log(a[i, k] * a[k, j]) for k in others])))
                if others
                else a[i, j]
            )
            best: tuple[float, float] | None = None
            for value in _SCALE:
                trial = a.copy()
                trial[i, j], trial[j, i] = value, 1.0 / value
                cr = _cr(trial)
                if best is None or cr < best[0] - 1e-12:
                    best = (cr, value)
            assert best is not None
            if best[0] < current_cr - 1e-9:
                found.append(
                    Revision(names[i], names[j], float(a[i, j]), implied, best[1], best[0])
                )
    found.sort(key=lambda r: (r.cr_after, r.first, r.second))
    return found[:top]
