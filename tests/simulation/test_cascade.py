"""The vectorised cascade agrees with a one-scenario-at-a-time reference."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.simulation.cascade import cascade, cascade_vectorised
from crisis.simulation.city import City
from crisis.simulation.generate import generate_city

from .oracle import cascade_one


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cascade_equals_reference_on_random_cities(seed: int) -> None:
    city = generate_city(400, rng=seed)
    rng = np.random.default_rng(seed)
    damaged = rng.uniform(size=(city.n_assets, 12)) < rng.uniform(0.002, 0.08, 12)
    bridged = rng.uniform(size=(city.n_groups, 12)) < 0.3
    fast = cascade(city, damaged, bridged)
    np.testing.assert_array_equal(fast, cascade_vectorised(city, damaged, bridged))
    for s in range(12):
        slow = cascade_one(city, damaged[:, s].tolist(), set(np.flatnonzero(bridged[:, s])))
        assert fast[:, s].tolist() == slow


def test_line_outage_cuts_everything_behind_it(small_city: City) -> None:
    damaged = np.zeros((small_city.n_assets, 1), dtype=bool)
    damaged[small_city.index["L1"]] = True
    working = cascade(small_city, damaged)[:, 0]
    down = {small_city.ids[i] for i in np.flatnonzero(~working)}
    # S1, L2, S2 lose their path to G; the pump has no backup bridged here and the hospital
    # loses both its power feeds and its water.
    assert down == {"L1", "S1", "L2", "S2", "P", "H"}
