"""2PL model, EAP and Bock–Aitkin calibration."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.exceptions import ContentError
from crisis.learners.irt import calibrate, eap, information, probability


def test_probability_is_half_at_the_difficulty_and_rises_with_ability():
    assert probability(0.7, 1.3, 0.7) == pytest.approx(0.5)
    p = probability(np.array([-1.0, 0.0, 1.0]), 1.5, 0.0)
    assert np.all(np.diff(p) > 0)


def test_information_peaks_at_the_difficulty():
    grid = np.linspace(-3, 3, 601)
    info = information(grid, 2.0, 0.5)
    assert grid[np.argmax(info)] == pytest.approx(0.5, abs=0.01)
    assert info.max() == pytest.approx(2.0**2 / 4)


def test_eap_stays_finite_for_all_correct_and_all_wrong():
    a, b = [1.5] * 5, [0.0] * 5
    high = eap([1] * 5, a, b)
    low = eap([0] * 5, a, b)
    assert 1.0 < high.theta < 3.0 and -3.0 < low.theta < -1.0
    assert high.theta == pytest.approx(-low.theta)
    assert eap([], [], []).theta == pytest.approx(0.0, abs=1e-9)
    assert eap([], [], []).se == pytest.approx(1.0, abs=0.01)


def test_eap_error_shrinks_with_more_items():
    rng = np.random.default_rng(3)
    b = rng.uniform(-2, 2, 40)
    u = (rng.random(40) < probability(0.5, 1.5, b)).astype(int)
    assert eap(u[:40], [1.5] * 40, b).se < eap(u[:10], [1.5] * 10, b[:10]).se


def test_calibration_recovers_known_parameters():
    rng = np.random.default_rng(11)
    n_items, n_persons = 24, 1500
    a = rng.uniform(0.8, 2.0, n_items)
    b = rng.uniform(-1.8, 1.8, n_items)
    theta = rng.normal(size=n_persons)
    x = (rng.random((n_persons, n_items)) < probability(theta[:, None], a, b)).astype(float)
    x[rng.random(x.shape) < 0.25] = np.nan  # not everyone sees every item
    result = calibrate(x, np.full(n_items, 1.5), np.zeros(n_items), min_responses=200)
    assert result.converged
    assert np.corrcoef(result.b, b)[0, 1] > 0.97
    assert np.corrcoef(result.a, a)[0, 1] > 0.8
    assert np.max(np.abs(result.b - b)) < 0.5


def test_items_with_few_responses_keep_their_prior_values():
    rng = np.random.default_rng(5)
    x = (rng.random((300, 3)) < 0.6).astype(float)
    x[30:, 2] = np.nan  # only 30 responses to the third item
    result = calibrate(x, [1.5, 1.5, 1.1], [0.0, 0.0, 0.7], items=["i1", "i2", "i3"])
    assert list(result.calibrated) == [True, True, False]
    assert (result.a[2], result.b[2]) == (1.1, 0.7)
    assert result.as_dict()["i3"]["responses"] == 30


def test_calibration_rejects_bad_responses():
    with pytest.raises(ContentError, match=r"item i2 is 2\.0"):
        calibrate([[1, 2]], [1, 1], [0, 0], items=["i1", "i2"])
