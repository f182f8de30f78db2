"""Item response theory for multiple choice: probability, information, EAP, calibration.

The model has a lower asymptote for guessing (three-parameter logistic with the guessing
parameter fixed): a person of ability θ answers item *i* correctly with probability
``P_i(θ) = c_i + (1 - c_i) / (1 + exp(-a_i (θ - b_i)))``, where ``a_i > 0`` is the item's
discrimination, ``b_i`` its difficulty and ``c_i`` the chance of guessing right (one over the
number of options unless an item says otherwise). With ``c = 0`` it is the 2PL model.
Abilities are estimated by expected a posteriori (EAP) over a fixed quadrature grid with a
normal prior; ``a`` and ``b`` are recalibrated from stored responses by marginal maximum
likelihood with the Bock–Aitkin EM algorithm, ``c`` staying fixed (a free lower asymptote
needs thousands of responses per item to be estimated stably).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from crisis.exceptions import ContentError

FloatArray = npt.NDArray[np.float64]

#: Quadrature grid for EAP and calibration: 61 points on [-4, 4].
QUADRATURE: FloatArray = np.linspace(-4.0, 4.0, 61)

#: Bounds that keep recalibrated parameters in a range a test can use.
A_BOUNDS = (0.2, 4.0)
B_BOUNDS = (-4.0, 4.0)


def _logistic(z: npt.ArrayLike) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0))), dtype=float)


def probability(
    theta: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike = 0.0
) -> FloatArray:
    """Probability of a correct answer; broadcasts ``theta`` against ``a``, ``b`` and ``c``."""
    z = np.asarray(a, dtype=float) * (np.asarray(theta, dtype=float) - np.asarray(b, dtype=float))
    c_arr = np.asarray(c, dtype=float)
    return np.asarray(c_arr + (1.0 - c_arr) * _logistic(z), dtype=float)


def information(
    theta: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike = 0.0
) -> FloatArray:
    """Fisher information of items at ``theta`` (broadcast like :func:`probability`).

    ``a² (P - c)² (1 - P) / ((1 - c)² P)``, which is ``a² P (1 - P)`` when ``c = 0``. Guessing
    lowers an item's information, most of all below its difficulty, where a right answer is
    as likely to be a guess as knowledge.
    """
    a_arr = np.asarray(a, dtype=float)
    c_arr = np.asarray(c, dtype=float)
    p = np.clip(probability(theta, a, b, c), 1e-12, 1.0)
    return np.asarray(
        a_arr**2 * (p - c_arr) ** 2 * (1.0 - p) / ((1.0 - c_arr) ** 2 * p), dtype=float
    )


@dataclass(frozen=True)
class Estimate:
    """An ability estimate: posterior mean ``theta`` and posterior SD ``se``.

    Where the estimate comes from quadrature, ``points`` and ``weights`` hold the posterior
    itself (equally spaced points, weights summing to 1), so that the probability of any
    range of θ can be read off it (:meth:`interval_probabilities`).
    """

    theta: float
    se: float
    points: FloatArray | None = field(default=None, repr=False, compare=False)
    weights: FloatArray | None = field(default=None, repr=False, compare=False)

    def interval_probabilities(self, cuts: Sequence[float]) -> FloatArray:
        """Posterior probability that θ lies below ``cuts[0]``, between each pair, above the last.

        Each quadrature point stands for the cell of width ``h`` around it, its weight spread
        evenly over the cell, so a cut between two points splits their cells' mass by length.
        Without the posterior, a normal with mean ``theta`` and SD ``se``.
        """
        edges = np.concatenate([[-np.inf], np.asarray(cuts, dtype=float), [np.inf]])
        if self.points is None or self.weights is None or len(self.points) < 2:
            z = (edges - self.theta) / max(self.se, 1e-12)
            cdf = 0.5 * (1.0 + np.array([math.erf(v / math.sqrt(2.0)) for v in z]))
            return np.asarray(np.diff(cdf), dtype=float)
        return np.asarray(self.weights @ interval_shares(self.points, cuts), dtype=float)


def interval_shares(points: FloatArray, cuts: Sequence[float]) -> FloatArray:
    """Share of each point's cell (width ``h``, the spacing) in each interval between ``cuts``.

    Rows are points, columns the intervals below ``cuts[0]``, between each pair and above
    the last; each row sums to 1.
    """
    edges = np.concatenate([[-np.inf], np.asarray(cuts, dtype=float), [np.inf]])
    h = float(points[1] - points[0])
    overlap = np.minimum(points[:, None] + h / 2, edges[None, 1:]) - np.maximum(
        points[:, None] - h / 2, edges[None, :-1]
    )
    return np.asarray(np.clip(overlap, 0.0, None) / h, dtype=float)


def eap(
    correct: Sequence[bool] | npt.ArrayLike,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    c: npt.ArrayLike = 0.0,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    grid: FloatArray = QUADRATURE,
) -> Estimate:
    """Expected a posteriori ability from a response pattern.

    Args:
        correct: 1/0 per answered item.
        a: Discrimination per answered item.
        b: Difficulty per answered item.
        c: Lower asymptote per answered item (or one for all).
        prior_mean: Mean of the normal prior on θ.
        prior_sd: Standard deviation of the normal prior on θ.
        grid: Quadrature points; the grid is shifted to the prior mean so a shifted prior
            keeps its full resolution.

    Returns:
        The posterior mean and SD; with no responses, the prior itself.
    """
    u = np.asarray(correct, dtype=float).reshape(-1)
    a_arr = np.asarray(a, dtype=float).reshape(-1)
    b_arr = np.asarray(b, dtype=float).reshape(-1)
    c_arr = np.broadcast_to(np.asarray(c, dtype=float), b_arr.shape)
    points = grid * prior_sd + prior_mean
    log_post = -0.5 * ((points - prior_mean) / prior_sd) ** 2
    if u.size:
        p = probability(points[:, None], a_arr[None, :], b_arr[None, :], c_arr[None, :])
        p = np.clip(p, 1e-12, 1 - 1e-12)
        log_post = log_post + (u * np.log(p) + (1 - u) * np.log1p(-p)).sum(axis=1)
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    mean = float(w @ points)
    sd = float(np.sqrt(max(w @ (points - mean) ** 2, 0.0)))
    return Estimate(theta=mean, se=sd, points=points, weights=w)


@dataclass(frozen=True)
class Calibration:
    """Result of marginal maximum likelihood calibration.

    Attributes:
        items: Item ids in the order of ``a`` and ``b``.
        a: Recalibrated discrimination (the prior value where ``calibrated`` is false).
        b: Recalibrated difficulty (the prior value where ``calibrated`` is false).
        c: The fixed lower asymptote of each item.
        responses: Number of responses per item.
        calibrated: Whether the item had enough responses to be re-estimated.
        iterations: EM cycles run.
        converged: Whether the largest parameter change fell below the tolerance.
    """

    items: list[str]
    a: FloatArray
    b: FloatArray
    c: FloatArray
    responses: npt.NDArray[np.int64]
    calibrated: npt.NDArray[np.bool_]
    iterations: int
    converged: bool

    def as_dict(self) -> dict[str, dict[str, float | int | bool]]:
        """Parameters per item id, ready to write as YAML or JSON."""
        return {
            item: {
                "a": round(float(self.a[k]), 4),
                "b": round(float(self.b[k]), 4),
                "c": round(float(self.c[k]), 4),
                "responses": int(self.responses[k]),
                "calibrated": bool(self.calibrated[k]),
            }
            for k, item in enumerate(self.items)
        }


def check_responses(x: FloatArray, names: Sequence[str]) -> None:
    """Refuse a response matrix with a value other than 0, 1 or NaN.

    Raises:
        ContentError: naming the first bad cell.
    """
    observed = ~np.isnan(x)
    bad = observed & (x != 0) & (x != 1)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ContentError(
            f"response of person {row} to item {names[col]} is {x[row, col]}; expected 0 or 1"
        )


def log_likelihoods(
    x: FloatArray, a: FloatArray, b: FloatArray, c: FloatArray, grid: FloatArray = QUADRATURE
) -> FloatArray:
    """Log-likelihood of each person's responses at each quadrature point, ``(persons, Q)``.

    ``x`` is persons × items with NaN where not answered.
    """
    observed = ~np.isnan(x)
    u = np.where(observed, x, 0.0)
    p = np.clip(probability(grid[:, None], a[None, :], b[None, :], c[None, :]), 1e-12, 1 - 1e-12)
    return np.asarray(u @ np.log(p).T + (observed - u) @ np.log1p(-p).T, dtype=float)


def calibrate(
    responses: npt.ArrayLike,
    a_prior: npt.ArrayLike,
    b_prior: npt.ArrayLike,
    c: npt.ArrayLike = 0.0,
    *,
    items: Sequence[str] | None = None,
    min_responses: int = 200,
    max_iter: int = 200,
    tol: float = 1e-4,
) -> Calibration:
    """Recalibrate ``a`` and ``b`` by marginal maximum likelihood (Bock–Aitkin EM), ``c`` fixed.

    The persons' abilities are taken as standard normal: calibrate the items of one
    ability (one competence area) together.

    Args:
        responses: Persons × items matrix of 1 (correct), 0 (wrong) or NaN (not answered).
        a_prior: Current discrimination per item; the starting point, and kept for items with
            fewer than ``min_responses`` responses.
        b_prior: Current difficulty per item, likewise.
        c: Lower asymptote per item (or one for all), kept fixed.
        items: Item ids (default ``"0"``, ``"1"``, …).
        min_responses: Responses an item needs before its parameters are re-estimated.
        max_iter: Most EM cycles.
        tol: Convergence threshold on the largest parameter change between cycles.

    Raises:
        ContentError: If shapes disagree or a response is not 0, 1 or missing.
    """
    x = np.asarray(responses, dtype=float)
    if x.ndim != 2:
        raise ContentError("responses must be a persons × items matrix")
    n_persons, n_items = x.shape
    a = np.asarray(a_prior, dtype=float).copy()
    b = np.asarray(b_prior, dtype=float).copy()
    if a.shape != (n_items,) or b.shape != (n_items,):
        raise ContentError(
            f"got {n_items} response columns but {a.size} discriminations and {b.size} difficulties"
        )
    guess = np.broadcast_to(np.asarray(c, dtype=float), (n_items,)).copy()
    if np.any((guess < 0) | (guess >= 1)):
        raise ContentError("a lower asymptote c must be at least 0 and below 1")
    names = [str(k) for k in range(n_items)] if items is None else list(items)
    if len(names) != n_items:
        raise ContentError(f"got {n_items} response columns but {len(names)} item ids")
    check_responses(x, names)
    observed = ~np.isnan(x)
    u = np.where(observed, x, 0.0)
    obs = observed.astype(float)
    counts = observed.sum(axis=0).astype(np.int64)
    free = counts >= min_responses

    grid = QUADRATURE
    log_prior = -0.5 * grid**2
    converged = False
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        # E-step: posterior weight of each quadrature point for each person.
        loglik = log_likelihoods(x, a, b, guess, grid) + log_prior[None, :]
        loglik -= loglik.max(axis=1, keepdims=True)
        post = np.exp(loglik)
        post /= post.sum(axis=1, keepdims=True)
        n_q = post.T @ obs  # expected persons answering item i at point q, (Q, I)
        r_q = post.T @ u  # expected correct answers, (Q, I)
        # M-step: a few Fisher-scoring steps per item on the expected complete-data likelihood.
        a_new, b_new = _m_step(grid, n_q, r_q, a, b, guess)
        a_new = np.where(free, a_new, a)
        b_new = np.where(free, b_new, b)
        change = float(np.max(np.abs(np.concatenate([a_new - a, b_new - b])), initial=0.0))
        a, b = a_new, b_new
        if change < tol:
            converged = True
            break
    if n_persons == 0:
        converged = True
    return Calibration(
        items=names,
        a=a,
        b=b,
        c=guess,
        responses=counts,
        calibrated=free,
        iterations=iteration,
        converged=converged,
    )


def _m_step(
    grid: FloatArray,
    n_q: FloatArray,
    r_q: FloatArray,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Maximise Σ_q r log P + (n - r) log(1 - P) over (a, b) for every item at once, c fixed.

    Works in the slope–intercept form ``z = a θ + d`` (``d = -a b``) by Fisher scoring (the
    expected information is negative definite, so every step goes uphill), with a weak normal
    prior on ``a`` and ``d`` for numerical stability. With ``c = 0`` this is Newton's method
    on the concave 2PL likelihood.
    """
    d = -a * b
    theta = grid[:, None]
    for _ in range(8):
        star = _logistic(a[None, :] * theta + d[None, :])  # the logistic part, P*
        p = np.clip(c + (1 - c) * star, 1e-12, 1 - 1e-12)
        slope = (1 - c) * star * (1 - star)  # dP/dz
        resid = (r_q - n_q * p) * slope / (p * (1 - p))  # dℓ/dz, (Q, I)
        w = n_q * slope**2 / (p * (1 - p))  # expected information about z
        g_a = (resid * theta).sum(axis=0) - (a - 1.0) / 4.0
        g_d = resid.sum(axis=0) - d / 16.0
        h_aa = -(w * theta**2).sum(axis=0) - 1 / 4.0
        h_ad = -(w * theta).sum(axis=0)
        h_dd = -w.sum(axis=0) - 1 / 16.0
        det = h_aa * h_dd - h_ad**2
        det = np.where(np.abs(det) < 1e-12, 1e-12, det)
        step_a = (h_dd * g_a - h_ad * g_d) / det
        step_d = (h_aa * g_d - h_ad * g_a) / det
        a = np.clip(a - np.clip(step_a, -0.5, 0.5), *A_BOUNDS)
        d = d - np.clip(step_d, -1.0, 1.0)
    b_new = np.clip(-d / a, *B_BOUNDS)
    return a, b_new
