"""Outage sets as input: a file of assets out, run like any hazard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crisis.exceptions import SimulationError
from crisis.simulation import read_outages, run_ensemble
from crisis.simulation.city import SERVICES, City

POWER, WATER = SERVICES.index("power"), SERVICES.index("water")


def test_outage_sets_from_yaml_run_scenario_by_scenario(small_city: City, tmp_path: Path) -> None:
    file = tmp_path / "outages.yaml"
    file.write_text(
        "annual_probability: 0.2\n"
        "sets:\n"
        "  - name: line down\n"
        "    outages:\n"
        "      - {asset: L1, hours: 10}\n"
        "  - name: substation, later\n"
        "    outages:\n"
        "      - {asset: S2, hours: 5, start: 3, crew: false}\n"
    )
    model = read_outages(file, small_city)
    result = run_ensemble(small_city, model, 4, seed=1, horizon=24)
    q = result.served[POWER]
    # Set 0 (scenarios 0 and 2): everything behind L1 dark for 10 h. Set 1 (1 and 3): S2
    # (3,000 of 4,000 people) out from hour 3 to hour 8, back by itself.
    assert q[:, 0].tolist() == [0.0] * 10 + [1.0] * 14 == q[:, 2].tolist()
    assert q[:, 1].tolist() == [1.0] * 3 + [0.25] * 5 + [1.0] * 16
    assert result.probability.sum() == pytest.approx(0.2)
    # Same sets, same outcome whoever asks: scenario 3 alone equals scenario 1.
    assert np.array_equal(result.served[:, :, 3], result.served[:, :, 1])


def test_a_list_or_a_csv_is_one_set(small_city: City, tmp_path: Path) -> None:
    listed = tmp_path / "o.yaml"
    listed.write_text("- {asset: L1, hours: 10}\n")
    csv = tmp_path / "o.csv"
    csv.write_text("asset,hours,start,crew\nL1,10,0,true\n")
    a = run_ensemble(small_city, read_outages(listed, small_city), 1, horizon=24)
    b = run_ensemble(small_city, read_outages(csv, small_city), 1, horizon=24)
    assert np.array_equal(a.served, b.served) and a.metrics["eoh"][POWER, 0] == 10


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("sets:\n  - outages:\n      - {asset: Z9, hours: 3}\n", "o.yaml", "o.yaml:3: asset 'Z9'"),
        ("sets:\n  - outages:\n      - {asset: L1}\n", "o.yaml", "o.yaml:3: field 'hours'"),
        ("sets:\n  - outages:\n      - {asset: L1, hours: 2, when: 3}\n", "o.yaml", "'when'"),
        ("sets: []\n", "o.yaml", "o.yaml:1: 'sets' must be a non-empty list"),
        ("sets:\n  - name: x\n", "o.yaml", "o.yaml:2: sets[0] needs a list of 'outages'"),
        ("{asset: L1, hours: 3", "o.yaml", "o.yaml:1: invalid YAML"),
        ("asset,hours\nL1,soon\n", "o.csv", "o.csv:2: field 'hours' = 'soon'"),
        ("asset,duration\nL1,3\n", "o.csv", "o.csv:1: the header needs a column 'hours'"),
        ("asset,hours,colour\nL1,3,red\n", "o.csv", "o.csv:1: unknown column(s) colour"),
        ("asset,hours\n", "o.csv", "o.csv:2: no outages in the file"),
    ],
)
def test_bad_outage_files_name_file_line_and_field(
    small_city: City, tmp_path: Path, text: str, name: str, expected: str
) -> None:
    from crisis.exceptions import FormatError

    file = tmp_path / name
    file.write_text(text)
    with pytest.raises((SimulationError, FormatError)) as info:
        read_outages(file, small_city)
    assert expected in str(info.value)
