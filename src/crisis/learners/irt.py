"""Two-parameter logistic item response theory: probability, information, EAP, calibration.

The 2PL model: a person of ability θ answers item *i* correctly with probability
``P_i(θ) = 1 / (1 + exp(-a_i (θ - b_i)))``, where ``a_i > 0`` is the item's discrimination and
``b_i`` its difficulty. Abilities are estimated by expected a posteriori (EAP) over a fixed
quadrature grid with a standard-normal prior; item parameters are recalibrated from stored
responses by marginal maximum likelihood with the Bock–Aitkin EM algorithm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crisis.exceptions import ContentError

FloatArray = npt.NDArray[np.float64]

#: Quadrature grid for EAP and calibration: 61 points on [-4, 4].
QUADRATURE: FloatArray = np.linspace(-4.0, 4.0, 61)

#: Bounds that keep recalibrated parameters in a range a test can use.
A_BOUNDS = (0.2, 4.0)
B_BOUNDS = (-4.0, 4.0)


def probability(theta: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike) -> FloatArray:
    """Probability of a correct answer; broadcasts ``theta`` against ``a`` and ``b``."""
    z = np.asarray(a, dtype=float) * (np.asarray(theta, dtype=float) - np.asarray(b, dtype=float))
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0))), dtype=float)


def information(theta: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike) -> FloatArray:
    """Fisher information ``a² P (1 - P)`` of items at ``theta`` (broadcast like probability)."""
    p = probability(theta, a, b)
    return np.asarray(np.asarray(a, dtype=float) ** 2 * p * (1.0 - p), dtype=float)


@dataclass(frozen=True)
class Estimate:
    """An ability estimate: posterior mean ``theta`` and posterior SD ``se``."""

    theta: float
    se: float


def eap(
    correct: Sequence[bool] | npt.ArrayLike,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
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
    points = grid * prior_sd + prior_mean
    log_post = -0.5 * ((points - prior_mean) / prior_sd) ** 2
    if u.size:
        p = probability(points[:, None], a_arr[None, :], b_arr[None, :])
        p = np.clip(p, 1e-12, 1 - 1e-12)
        log_post = log_post + (u * np.log(p) + (1 - u) * np.log1p(-p)).sum(axis=1)
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    mean = float(w @ points)
    sd = float(np.sqrt(max(w @ (points - mean) ** 2, 0.0)))
    return Estimate(theta=mean, se=sd)


@dataclass(frozen=True)
class Calibration:
    """Result of marginal maximum likelihood calibration.

    Attributes:
        items: Item ids in the order of ``a`` and ``b``.
        a: Recalibrated discrimination (the prior value where ``calibrated`` is false).
        b: Recalibrated difficulty (the prior value where ``calibrated`` is false).
        responses: Number of responses per item.
        calibrated: Whether the item had enough responses to be re-estimated.
        iterations: EM cycles run.
        converged: Whether the largest parameter change fell below the tolerance.
    """

    items: list[str]
    a: FloatArray
    b: FloatArray
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
                "responses": int(self.responses[k]),
                "calibrated": bool(self.calibrated[k]),
            }
            for k, item in enumerate(self.items)
        }


def calibrate(
    responses: npt.ArrayLike,
    a_prior: npt.ArrayLike,
    b_prior: npt.ArrayLike,
    *,
    items: Sequence[str] | None = None,
    min_responses: int = 200,
    max_iter: int = 200,
    tol: float = 1e-4,
) -> Calibration:
    """Recalibrate 2PL parameters by marginal maximum likelihood (Bock–Aitkin EM).

    Args:
        responses: Persons × items matrix of 1 (correct), 0 (wrong) or NaN (not answered).
        a_prior: Current discrimination per item; the starting point, and kept for items with
            fewer than ``min_responses`` responses.
        b_prior: Current difficulty per item, likewise.
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
    names = [str(k) for k in range(n_items)] if items is None else list(items)
    if len(names) != n_items:
        raise ContentError(f"got {n_items} response columns but {len(names)} item ids")
    observed = ~np.isnan(x)
    bad = observed & (x != 0) & (x != 1)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ContentError(
            f"response of person {row} to item {names[col]} is {x[row, col]}; expected 0 or 1"
        )
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
        p = np.clip(probability(grid[:, None], a[None, :], b[None, :]), 1e-12, 1 - 1e-12)
        log_p, log_q = np.log(p), np.log1p(-p)  # (Q, I)
        loglik = u @ log_p.T + (obs - u) @ log_q.T  # (N, Q)
        loglik += log_prior[None, :]
        loglik -= loglik.max(axis=1, keepdims=True)
        post = np.exp(loglik)
        post /= post.sum(axis=1, keepdims=True)
        n_q = post.T @ obs  # expected persons answering item i at point q, (Q, I)
        r_q = post.T @ u  # expected correct answers, (Q, I)
        # M-step: a few Newton steps per item on the expected complete-data log-likelihood.
        a_new, b_new = _m_step(grid, n_q, r_q, a, b)
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
        responses=counts,
        calibrated=free,
        iterations=iteration,
        converged=converged,
    )


def _m_step(
    grid: FloatArray, n_q: FloatArray, r_q: FloatArray, a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Maximise Σ_q r log P + (n - r) log(1 - P) over (a, b) for every item at once.

    Works in the slope–intercept form ``z = a θ + c`` (``c = -a b``), whose log-likelihood is
    concave, with a weak normal prior on ``log a`` and ``c`` for numerical stability.
    """
    c = -a * b
    theta = grid[:, None]
    for _ in range(8):
        p = probability(theta, a[None, :], -c[None, :] / a[None, :])
        resid = r_q - n_q * p  # (Q, I)
        w = n_q * p * (1 - p)
        g_a = (resid * theta).sum(axis=0) - (a - 1.0) / 4.0
        g_c = resid.sum(axis=0) - c / 16.0
        h_aa = -(w * theta**2).sum(axis=0) - 1 / 4.0
        h_ac = -(w * theta).sum(axis=0)
        h_cc = -w.sum(axis=0) - 1 / 16.0
        det = h_aa * h_cc - h_ac**2
        det = np.where(np.abs(det) < 1e-12, -1e-12, det)
        step_a = (h_cc * g_a - h_ac * g_c) / det
        step_c = (h_aa * g_c - h_ac * g_a) / det
        a = np.clip(a - np.clip(step_a, -0.5, 0.5), *A_BOUNDS)
        c = c - np.clip(step_c, -1.0, 1.0)
    b_new = np.clip(-c / a, *B_BOUNDS)
    return a, b_new
