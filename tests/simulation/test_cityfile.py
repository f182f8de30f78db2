"""Reading, writing and validating the city file format."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from crisis.exceptions import ContentError, FormatError
from crisis.simulation.city import City
from crisis.simulation.cityfile import city_from_records, read_city, write_city

from .conftest import small_city_records


def _equal(a: City, b: City) -> None:
    assert a.ids == b.ids and a.asset_class == b.asset_class and a.name == b.name
    for name in (
        "sector",
        "x",
        "y",
        "elevation",
        "population",
        "backup_hours",
        "repair_median",
        "repair_beta",
        "fragility_median",
        "fragility_beta",
        "district",
        "network",
        "source",
        "link_from",
        "link_to",
        "group_owner",
        "group_type",
        "group_indptr",
        "group_members",
        "district_population",
        "district_vulnerable",
        "link_service",
        "link_district",
        "link_asset",
        "link_weight",
        "segmented",
        "flood_protection",
    ):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.crews == b.crews and a.district_ids == b.district_ids


def test_round_trip_keeps_every_field(small_city: City, tmp_path: Path) -> None:
    write_city(small_city, tmp_path / "city")
    _equal(small_city, read_city(tmp_path / "city"))


def _broken(change) -> tuple[dict, list]:
    meta, features = small_city_records()
    meta, features = copy.deepcopy(meta), copy.deepcopy(features)
    change(meta, {f["properties"]["id"]: f["properties"] for f in features})
    return meta, features


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda m, a: a["H"]["needs"][0]["any_of"].append("S9"),
            "feature 8 (id 'H'): field 'needs[0].any_of' names asset 'S9', which does not exist",
        ),
        (
            lambda m, a: a["S1"].update(repair={"median_hours": -3}),
            "feature 2 (id 'S1'): field 'repair.median_hours' is -3.0, must be a positive number",
        ),
        (lambda m, a: a["L1"].update(to="X"), "field 'to' names asset 'X'"),
        (lambda m, a: a["S2"].update(sector="nuclear"), "field 'sector' is 'nuclear'"),
        (
            lambda m, a: a["S2"].update(fragility={"flood": {"median": 0.5, "beta": -1}}),
            "field 'fragility.flood.beta' is -1.0, must be > 0",
        ),
        (
            lambda m, a: m["districts"][0]["services"].update(water=["Q"]),
            "district 'D1': field 'services.water' names asset 'Q'",
        ),
        (lambda m, a: a["P"].update(district="D7"), "field 'district' names district 'D7'"),
    ],
)
def test_bad_records_name_feature_and_field(change, expected: str) -> None:
    with pytest.raises(ContentError) as info:
        city_from_records(*_broken(change))
    assert any(expected in e for e in info.value.errors), info.value.errors


def test_dependency_cycle_without_source_is_rejected() -> None:
    def cycle(meta: dict, assets: dict) -> None:
        # The pump loses its backup and the plant comes to need water from the pump: power
        # cannot start without water and water cannot start without power.
        assets["P"]["backup_hours"] = 0
        assets["G"]["needs"] = [{"type": "supply", "any_of": ["P"]}]

    with pytest.raises(ContentError, match="dependency cycle that can never start") as info:
        city_from_records(*_broken(cycle))
    assert "feature 0 (id 'G')" in str(info.value)
    assert "G, L1, S1, L2, S2, P, H" in str(info.value)


def test_backup_lets_a_cycle_start() -> None:
    # Same loop, but the pump's generator can black-start it.
    city = city_from_records(
        *_broken(lambda m, a: a["G"].update(needs=[{"type": "supply", "any_of": ["P"]}]))
    )
    assert city.bootstrap().all()


def test_file_errors_name_file_and_line(tmp_path: Path) -> None:
    meta, features = small_city_records()
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "city.yaml").write_text("name: x\ndistricts: [\n  - id: D1\n")
    (folder / "assets.geojson").write_text(json.dumps({"features": features}))
    with pytest.raises(FormatError, match=r"city.yaml:\d+: invalid YAML"):
        read_city(folder)
    meta["districts"][1]["vulnerable_share"] = 1.5
    (folder / "city.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    with pytest.raises(ContentError, match=r"district .D2. vulnerable_share is 1\.5"):
        read_city(folder)
    (folder / "assets.geojson").write_text('{"features": [\n  {oops}\n]}')
    with pytest.raises(FormatError, match=r"assets.geojson:2: not valid JSON"):
        read_city(folder)
    with pytest.raises(FormatError, match=r"no city\.yaml"):
        read_city(tmp_path)


def test_yaml_line_is_named_for_a_bad_crew(tmp_path: Path) -> None:
    meta, features = small_city_records()
    folder = tmp_path / "c"
    folder.mkdir()
    text = yaml.safe_dump(meta, sort_keys=False).replace("mutual_aid: 0", "mutual_aid: -2")
    (folder / "city.yaml").write_text(text)
    (folder / "assets.geojson").write_text(json.dumps({"features": features}))
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "local: 1" in t)
    with pytest.raises(ContentError, match=rf"city.yaml:{line}: crews.power"):
        read_city(folder)
