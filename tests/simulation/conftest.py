"""Fixtures for the simulator tests: a hand-checked small city and a small generated one."""

from __future__ import annotations

from typing import Any

import pytest

from crisis.simulation.city import City
from crisis.simulation.cityfile import city_from_records


def _asset(asset_id: str, sector: str, x: float, **props: Any) -> dict[str, Any]:
    props = {"id": asset_id, "sector": sector, **props}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [x, 0.0]},
        "properties": props,
    }


def small_city_records() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Nine assets, two districts; drawn in ``test_recovery.py``'s comments.

    Power:  G (source) —L1— S1 —L2— S2.   Water: R (source) —W1— P (pump).
    P needs power from S2 (6 h backup generator); hospital H needs power from S1 or S2 and
    water from P. D1 (1,000 people) takes power from S1; D2 (3,000) from S2; both take water
    from P and health care from H.
    """
    flood = {"flood": {"median": 0.5, "beta": 0.4}}
    features = [
        _asset("G", "power", 0, network="power", source=True, elevation=10, **{"class": "plant"}),
        _asset(
            "L1",
            "power",
            1,
            network="power",
            **{"from": "G", "to": "S1"},
            repair={"median_hours": 10, "beta": 0},
            elevation=1,
            fragility=flood,
        ),
        _asset(
            "S1",
            "power",
            2,
            network="power",
            elevation=1,
            fragility=flood,
            repair={"median_hours": 20, "beta": 0},
            population=1000,
        ),
        _asset("L2", "power", 3, network="power", **{"from": "S1", "to": "S2"}, elevation=9),
        _asset(
            "S2",
            "power",
            4,
            network="power",
            elevation=2,
            fragility=flood,
            repair={"median_hours": 5, "beta": 0},
            population=3000,
        ),
        _asset("R", "water", 5, network="water", source=True, elevation=20),
        _asset("W1", "water", 6, network="water", **{"from": "R", "to": "P"}, elevation=20),
        _asset(
            "P",
            "water",
            7,
            network="water",
            backup_hours=6,
            elevation=20,
            needs=[{"type": "supply", "any_of": ["S2"]}],
            population=4000,
        ),
        _asset(
            "H",
            "health",
            8,
            elevation=20,
            population=4000,
            needs=[{"type": "supply", "any_of": ["S1", "S2"]}, {"type": "supply", "any_of": ["P"]}],
        ),
    ]
    meta = {
        "name": "Small",
        "crews": {"power": {"local": 1, "mutual_aid": 0}},
        "districts": [
            {
                "id": "D1",
                "population": 1000,
                "vulnerable_share": 0.1,
                "services": {"power": ["S1"], "water": ["P"], "health": ["H"]},
            },
            {
                "id": "D2",
                "population": 3000,
                "vulnerable_share": 0.3,
                "services": {"power": ["S2"], "water": ["P"], "health": ["H"]},
            },
        ],
    }
    return meta, features


@pytest.fixture
def small_city() -> City:
    meta, features = small_city_records()
    return city_from_records(meta, features)


def tank_city_records(storage_hours: float = 8.0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A tank that runs dry: twelve assets, one district.

    Power:  G (source) —L1— S1.
    Water:  R (reservoir) —W1— J0 =PU (pump, needs S1)=> J1 —W2— T (tank);  J1 —W3— J2.
    The tank T is a source only while the pump refills it, or for ``storage_hours`` after
    the pump stops. District D1 (2,000 people) takes water from J2.
    """
    features = [
        _asset("G", "power", 0, network="power", source=True, **{"class": "plant"}),
        _asset(
            "L1",
            "power",
            1,
            network="power",
            **{"from": "G", "to": "S1", "class": "cable"},
            repair={"median_hours": 20, "beta": 0},
        ),
        _asset("S1", "power", 2, network="power", **{"class": "substation"}),
        _asset("R", "water", 3, network="water", source=True, **{"class": "reservoir"}),
        _asset("J0", "water", 4, network="water", **{"class": "junction"}),
        _asset("W1", "water", 5, network="water", **{"from": "R", "to": "J0", "class": "pipe"}),
        _asset(
            "PU",
            "water",
            6,
            network="water",
            needs=[{"type": "supply", "any_of": ["S1"]}],
            **{"from": "J0", "to": "J1", "class": "pump"},
        ),
        _asset("J1", "water", 7, network="water", **{"class": "junction"}),
        _asset(
            "T",
            "water",
            8,
            network="water",
            source=True,
            backup_hours=storage_hours,
            needs=[{"type": "supply", "any_of": ["PU"]}, {"type": "supply", "any_of": ["R"]}],
            **{"class": "tank"},
        ),
        _asset("W2", "water", 9, network="water", **{"from": "J1", "to": "T", "class": "pipe"}),
        _asset("J2", "water", 10, network="water", population=2000, **{"class": "junction"}),
        _asset("W3", "water", 11, network="water", **{"from": "J1", "to": "J2", "class": "pipe"}),
    ]
    meta = {
        "name": "Tank",
        "crews": {"power": {"local": 1, "mutual_aid": 0}},
        "districts": [
            {"id": "D1", "population": 2000, "vulnerable_share": 0.2, "services": {"water": ["J2"]}}
        ],
    }
    return meta, features


@pytest.fixture
def tank_city() -> City:
    meta, features = tank_city_records()
    return city_from_records(meta, features)
