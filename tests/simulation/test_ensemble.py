"""Ensembles: same seed, same result on every executor; result files; Ctrl-C safety."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crisis.exceptions import FormatError, SimulationError
from crisis.simulation.city import City
from crisis.simulation.ensemble import run_ensemble
from crisis.simulation.generate import generate_city
from crisis.simulation.results import EnsembleResult

FLOOD = {"kind": "flood", "return_period": 100}


@pytest.fixture(scope="module")
def city() -> City:
    return generate_city(600, rng=4)


def _same(a: EnsembleResult, b: EnsembleResult) -> None:
    np.testing.assert_array_equal(a.served, b.served)
    np.testing.assert_array_equal(a.damaged, b.damaged)
    for name in a.metrics:
        np.testing.assert_array_equal(a.metrics[name], b.metrics[name])


def test_seed_fixes_the_result_and_progress_reaches_the_total(city: City) -> None:
    seen: list[tuple[int, int]] = []
    a = run_ensemble(
        city, FLOOD, 30, seed=3, chunk_size=8, horizon=72, progress=lambda d, t: seen.append((d, t))
    )
    b = run_ensemble(city, FLOOD, 30, seed=3, chunk_size=8, horizon=72)
    _same(a, b)
    assert seen[-1] == (30, 30) and len(seen) == 4
    c = run_ensemble(city, FLOOD, 30, seed=4, chunk_size=8, horizon=72)
    assert not np.array_equal(a.damaged, c.damaged)
    assert a.served.shape == (6, 72, 30)
    # A 1-in-100-year flood: the scenarios share 1/100 of annual probability equally.
    assert a.probability.sum() == pytest.approx(0.01) and np.ptp(a.probability) < 1e-15
    assert a.damaged.sum() > 0 and a.summary()["power"]["eoh"]["mean"] > 0
    # District outage hours weighted by population give the city's people-hours.
    assert a.district_eoh is not None and a.district_eoh.shape == (6, city.n_districts, 30)
    people = a.district_eoh[0].T @ city.district_population
    np.testing.assert_allclose(people, a.metrics["people_hours"][0], rtol=1e-4)


@pytest.mark.slow
def test_serial_processes_and_dask_agree(city: City) -> None:
    from dask.distributed import Client, LocalCluster

    serial = run_ensemble(city, FLOOD, 24, seed=9, chunk_size=6, horizon=48)
    pooled = run_ensemble(
        city, FLOOD, 24, seed=9, chunk_size=6, horizon=48, scheduler="processes", workers=2
    )
    _same(serial, pooled)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        on_dask = run_ensemble(city, FLOOD, 24, seed=9, chunk_size=6, horizon=48, scheduler=client)
        by_address = run_ensemble(
            city,
            FLOOD,
            24,
            seed=9,
            chunk_size=6,
            horizon=48,
            scheduler=cluster.scheduler_address,
        )
    _same(serial, on_dask)
    _same(serial, by_address)


def test_result_files_round_trip(city: City, tmp_path: Path) -> None:
    result = run_ensemble(city, [FLOOD, {"kind": "blackout"}], 12, seed=1, chunk_size=5, horizon=48)
    npz, js = result.save(tmp_path / "out" / "flood")
    assert npz.name == "flood.npz" and js.name == "flood.json"
    again = EnsembleResult.load(js)
    _same(result, again)
    assert again.hazards[1]["kind"] == "blackout" and again.summary() == result.summary()
    assert again.districts == list(city.district_ids)
    np.testing.assert_array_equal(again.district_eoh, result.district_eoh)
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_interrupted_save_leaves_no_file(city: City, tmp_path: Path, monkeypatch) -> None:
    result = run_ensemble(city, FLOOD, 5, seed=1, horizon=24)
    result.save(tmp_path / "r")
    before = (tmp_path / "r.npz").read_bytes()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(KeyboardInterrupt):
        result.save(tmp_path / "r")
    assert (tmp_path / "r.npz").read_bytes() == before  # the old result is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.npz"]


def test_bad_requests_name_the_field(city: City, tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="field 'scenarios'"):
        run_ensemble(city, FLOOD, 0)
    with pytest.raises(SimulationError, match="field 'policy'"):
        run_ensemble(city, FLOOD, 3, policy="random")
    with pytest.raises(SimulationError, match="return_period"):
        run_ensemble(city, {"kind": "flood", "return_period": 0.5}, 3)
    with pytest.raises(FormatError):
        EnsembleResult.load(tmp_path / "missing")
