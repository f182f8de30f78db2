"""The synthetic city generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crisis.exceptions import SimulationError
from crisis.simulation.city import SECTORS
from crisis.simulation.cityfile import read_city, write_city
from crisis.simulation.generate import generate_city


def test_same_seed_same_city_and_every_sector_present() -> None:
    a, b = generate_city(3000, rng=7), generate_city(3000, rng=7)
    assert a.ids == b.ids
    np.testing.assert_array_equal(a.group_members, b.group_members)
    np.testing.assert_array_equal(a.x, b.x)
    present = {SECTORS[s] for s in np.unique(a.sector)}
    assert present == set(SECTORS) - {"other"}
    assert abs(a.n_assets - 3000) < 300
    a.check()  # valid: every asset can start


def test_generated_city_survives_a_file_round_trip(tmp_path: Path) -> None:
    city = generate_city(500, rng=2)
    again = read_city(write_city(city, tmp_path / "g"))
    assert again.ids == city.ids
    np.testing.assert_allclose(again.elevation, city.elevation)
    np.testing.assert_array_equal(again.group_members, city.group_members)


def test_too_small_a_city_is_refused() -> None:
    with pytest.raises(SimulationError, match="assets"):
        generate_city(50)
