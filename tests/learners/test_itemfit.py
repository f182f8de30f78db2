"""Item fit after calibration: a miskeyed item stands out, items that follow the model do not."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.learners.irt import calibrate, probability
from crisis.learners.itemfit import item_fit


def test_a_miskeyed_item_is_flagged_and_sound_items_are_not():
    rng = np.random.default_rng(3)
    n_items, persons = 40, 2000
    a = rng.uniform(0.9, 2.0, n_items)
    b = rng.uniform(-1.8, 1.8, n_items)
    c = np.full(n_items, 0.25)
    theta = rng.normal(size=persons)
    p = probability(theta[:, None], a, b, c)
    # Item 0 is miskeyed: strong learners pick the keyed option least often.
    p[:, 0] = probability(-theta, 1.5, 0.0, 0.25)
    x = (rng.random((persons, n_items)) < p).astype(float)
    x[rng.random(x.shape) < 0.7] = np.nan  # sparse, as an adaptive test leaves it
    result = calibrate(x, np.full(n_items, 1.5), np.zeros(n_items), c)
    fits = item_fit(x, result.a, result.b, c, items=[f"i{k}" for k in range(n_items)])
    assert fits[0].misfit and fits[0].p is not None and fits[0].p < 1e-6
    sound = fits[1:]
    assert sum(f.misfit for f in sound) <= 2
    assert all(0.8 < f.infit < 1.2 for f in sound if f.infit is not None)
    # Under the model, Q1 averages its degrees of freedom.
    assert np.mean([f.q1 / f.df for f in sound]) == pytest.approx(1.0, abs=0.25)


def test_items_answered_by_too_few_have_no_fit():
    x = np.full((100, 2), np.nan)
    x[:30, 0] = 1.0
    x[:, 1] = np.arange(100) % 2
    fits = item_fit(x, [1.5, 1.5], [0.0, 0.0], [0.25, 0.25], items=["few", "many"])
    assert fits[0].responses == 30 and fits[0].q1 is None and not fits[0].misfit
    assert fits[1].q1 is not None
