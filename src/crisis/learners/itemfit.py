"""How well each item follows the model: residual fit statistics after calibration.

Adaptive tests leave the response matrix sparse (each person answers a few items of an
area), so a person's ability is uncertain and summed scores mean little. Each answer is
therefore compared with what the model predicts from the person's *other* answers in the
area: ``π = ∫ P_i(θ) p(θ | other answers) dθ``, the posterior predictive probability of a
right answer. If the item follows the model, the answer is a Bernoulli draw with that
probability, exactly, however few the other answers are.

Three statistics per item:

* **Q1** (after Yen): persons who answered the item are split into up to ten equal groups
  by their ability estimated without the item; ``Σ_g (O_g - E_g)² / Σ π(1 - π)`` with
  observed and predicted right answers per group, compared with χ² on ``groups - 2``
  degrees of freedom (``a`` and ``b`` were estimated);
* **infit**: ``Σ (x - π)² / Σ π (1 - π)``, near 1 for a fitting item; above 1.3 the answers
  are noisier than the model says (a flawed key, an ambiguous stem), below 0.7 they
  are more predictable (often an item that leans on another);
* **outfit**: the mean of the squared standardised residuals, sensitive to surprising
  answers far from the item's difficulty (lucky guesses, careless slips).

An item is marked when Q1's p-value is below 0.01 or its infit leaves 0.7–1.3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crisis.learners.irt import QUADRATURE, log_likelihoods, probability

#: Infit outside this range marks an item.
INFIT_RANGE = (0.7, 1.3)
#: Q1 p-values below this mark an item.
ALPHA = 0.01
#: Most ability groups for Q1, and the fewest persons per group.
GROUPS, MIN_PER_GROUP = 10, 20


@dataclass(frozen=True)
class ItemFit:
    """Fit statistics of one item; ``None`` where too few persons answered it."""

    item: str
    responses: int
    q1: float | None
    df: int | None
    p: float | None
    infit: float | None
    outfit: float | None

    @property
    def misfit(self) -> bool:
        """Whether the item departs from the model (see the module docstring)."""
        if self.infit is None:
            return False
        low, high = INFIT_RANGE
        return bool((self.p is not None and self.p < ALPHA) or not low <= self.infit <= high)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""

        def rounded(value: float | None, digits: int) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "responses": self.responses,
            "q1": rounded(self.q1, 2),
            "df": self.df,
            "p": rounded(self.p, 4),
            "infit": rounded(self.infit, 3),
            "outfit": rounded(self.outfit, 3),
            "misfit": self.misfit,
        }


def item_fit(
    responses: npt.ArrayLike,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    c: npt.ArrayLike,
    *,
    items: Sequence[str],
) -> list[ItemFit]:
    """Fit statistics for every item of one ability (one area), in column order.

    Args:
        responses: Persons × items matrix of 1, 0 or NaN (not answered).
        a: Discrimination per item.
        b: Difficulty per item.
        c: Lower asymptote per item.
        items: Item ids.
    """
    from scipy.stats import chi2

    x = np.asarray(responses, dtype=float)
    a_arr = np.asarray(a, dtype=float)
    b_arr = np.asarray(b, dtype=float)
    c_arr = np.broadcast_to(np.asarray(c, dtype=float), b_arr.shape)
    grid = QUADRATURE
    total = log_likelihoods(x, a_arr, b_arr, c_arr, grid) - 0.5 * grid[None, :] ** 2
    p_grid = np.clip(probability(grid[:, None], a_arr, b_arr, c_arr), 1e-12, 1 - 1e-12)
    out = []
    for i, name in enumerate(items):
        rows = np.flatnonzero(~np.isnan(x[:, i]))
        n = rows.size
        if n < 2 * MIN_PER_GROUP:
            out.append(ItemFit(name, n, None, None, None, None, None))
            continue
        u = x[rows, i]
        # The person's posterior without this item's answer.
        own = np.where(u[:, None] == 1, np.log(p_grid[:, i])[None, :], np.log1p(-p_grid[:, i]))
        rest = total[rows] - own
        rest -= rest.max(axis=1, keepdims=True)
        post = np.exp(rest)
        post /= post.sum(axis=1, keepdims=True)
        pi = post @ p_grid[:, i]
        theta = post @ grid
        var = pi * (1 - pi)
        infit = float(((u - pi) ** 2).sum() / var.sum())
        outfit = float(((u - pi) ** 2 / var).mean())
        groups = min(GROUPS, n // MIN_PER_GROUP)
        order = np.argsort(theta, kind="stable")
        q1 = 0.0
        for part in np.array_split(order, groups):
            q1 += float((u[part].sum() - pi[part].sum()) ** 2 / var[part].sum())
        df = max(groups - 2, 1)
        out.append(ItemFit(name, n, q1, df, float(chi2.sf(q1, df)), infit, outfit))
    return out
