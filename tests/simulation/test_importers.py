"""Importers: pandapower nets, EPANET files and GeoJSON maps become validated cities."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crisis.exceptions import ContentError, FormatError
from crisis.simulation.cascade import cascade
from crisis.simulation.city import SECTORS
from crisis.simulation.importers import from_epanet, from_geojson, from_pandapower


def _wntr_file(*parts: str) -> Path:
    import wntr

    return Path(wntr.__file__).parent.joinpath(*parts)


# -- pandapower ---------------------------------------------------------------------------------
def _small_net():
    """ext grid at 110 kV → trafo → bus 1 –line0– bus 2 –line1 (open switch)– bus 3;
    bus 2 =closed bus-bus switch= bus 4; line 2 to bus 5 is out of service."""
    import pandapower as pp

    net = pp.create_empty_network()
    hv = pp.create_bus(net, 110, geodata=(7.80, 48.40))
    buses = [pp.create_bus(net, 20, geodata=(7.80 + 0.01 * k, 48.41)) for k in range(1, 6)]
    pp.create_ext_grid(net, hv)
    pp.create_transformer(net, hv, buses[0], "25 MVA 110/20 kV")
    lines = [
        pp.create_line(net, buses[0], buses[1], 1.0, "NA2XS2Y 1x185 RM/25 12/20 kV"),
        pp.create_line(net, buses[1], buses[2], 1.0, "NA2XS2Y 1x185 RM/25 12/20 kV"),
        pp.create_line(net, buses[1], buses[4], 1.0, "NA2XS2Y 1x185 RM/25 12/20 kV"),
    ]
    net.line.loc[lines[2], "in_service"] = False
    pp.create_switch(net, buses[2], lines[1], et="l", closed=False)
    pp.create_switch(net, buses[1], buses[3], et="b", closed=True)
    pp.create_load(net, buses[1], p_mw=0.5)
    return net


def test_pandapower_import_follows_switches_and_service_flags():
    net = _small_net()
    city = from_pandapower(net, isolated="drop", people_per_mw=1000)
    ids = set(city.ids)
    assert {"trafo-0", "line-0", "switch-1"} <= ids
    assert "line-1" not in ids  # cut by its open switch
    assert "line-2" not in ids  # out of service
    assert {"bus-3", "bus-5"}.isdisjoint(ids)  # no path to the external grid: dropped
    assert [city.ids[i] for i in np.flatnonzero(city.source)] == ["bus-0"]
    bus2 = city.asset_index("bus-2")
    assert city.asset_class[bus2] == "substation"
    assert city.population[bus2] == pytest.approx(500.0)
    assert city.asset_class[city.asset_index("bus-0")] == "hv substation"
    # 0.01° of longitude at 48.41° N is about 740 m east of the origin.
    assert city.x[city.asset_index("bus-2")] == pytest.approx(1480.0, rel=0.01)
    # The transformer is a link: losing it cuts every 20 kV bus.
    damaged = np.zeros((city.n_assets, 1), dtype=bool)
    damaged[city.asset_index("trafo-0")] = True
    working = cascade(city, damaged)[:, 0]
    assert not working[[city.asset_index(b) for b in ("bus-1", "bus-2", "bus-4")]].any()
    assert working[city.asset_index("bus-0")]


def test_pandapower_import_refuses_stranded_buses_by_default():
    with pytest.raises(ContentError) as info:
        from_pandapower(_small_net())
    assert "bus 3" in str(info.value) and "bus 5" in str(info.value)
    assert "isolated='drop'" in str(info.value)


def test_mv_oberrhein_becomes_a_city_with_its_geography():
    import pandapower.networks as pn

    net = pn.mv_oberrhein()
    city = from_pandapower(net)
    power = city.sector == SECTORS.index("power")
    assert power.all()
    assert sum(c == "transformer" for c in city.asset_class) == 2
    assert sum(c in ("cable", "overhead line") for c in city.asset_class) == 181 - 6
    assert sum(c == "substation" for c in city.asset_class) == net.load.bus.nunique()
    width, height = np.ptp(city.x), np.ptp(city.y)
    assert 10_000 < width < 20_000 and 10_000 < height < 20_000  # metres, not degrees
    # Class defaults give every substation a flood fragility and repair time.
    sub = city.asset_index(f"bus-{net.load.bus.iloc[0]}")
    assert city.fragility_median[sub, 1] == pytest.approx(0.5)
    assert city.repair_median[sub] == 24.0


@pytest.mark.parametrize("side", ["lv_bus", "mv_bus"])
def test_three_winding_transformer_keeps_the_windings_in_service(side: str):
    # pandapower's example_multivoltage: trafo3w 0 joins bus 33 (110 kV) to bus 36 (20 kV)
    # and bus 37 (10 kV). With one of the low-voltage buses out of service, pandapower still
    # supplies the other through the remaining windings, and so must the imported city.
    import pandapower.networks as pn
    import pandapower.topology as top

    net = pn.example_multivoltage()
    off = int(net.trafo3w[side].iloc[0])
    net.bus.loc[off, "in_service"] = False
    expected = {int(b) for b in top.unsupplied_buses(net)}
    city = from_pandapower(net, isolated="drop")
    kept = {"trafo3w-0-hv", "trafo3w-0-mv", "trafo3w-0-lv"} & set(city.ids)
    assert len(kept) == 2 and f"bus-{off}" not in city.ids
    working = cascade(city, np.zeros((city.n_assets, 1), dtype=bool))[:, 0]
    in_service = [int(b) for b in net.bus.index[net.bus.in_service]]
    unsupplied = {
        b for b in in_service if f"bus-{b}" not in city.index or not working[city.index[f"bus-{b}"]]
    }
    assert unsupplied == expected
    other = int(net.trafo3w["mv_bus" if side == "lv_bus" else "lv_bus"].iloc[0])
    assert other not in unsupplied


# -- EPANET -------------------------------------------------------------------------------------
def test_net3_import_keeps_controlled_links_and_marks_sources():
    city = from_epanet(_wntr_file("library", "networks", "Net3.inp"))
    classes = list(city.asset_class)
    assert classes.count("junction") == 92
    assert classes.count("pipe") == 117  # pipe 330 starts closed but a control opens it
    assert classes.count("pump") == 2
    sources = {city.ids[i] for i in np.flatnonzero(city.source)}
    assert sources == {"reservoir-River", "reservoir-Lake", "tank-1", "tank-2", "tank-3"}
    j = city.asset_index("junction-15")
    assert city.elevation[j] == pytest.approx(9.7536)
    # A pump failure is a link failure: the Lake is then cut off from junction 10.
    pump = city.asset_index("pump-10")
    assert city.link_from[pump] == city.asset_index("reservoir-Lake")


_TINY_INP = """[TITLE]
tiny
[JUNCTIONS]
 J1  10  5
 J2  10  5
 J3  10  5
[RESERVOIRS]
 R1  50
[PIPES]
 P1  R1  J1  100  200  100  0  Open
 P2  J1  J2  100  200  100  0  Open
 P3  J2  J3  100  200  100  0  Closed
[OPTIONS]
 Units LPS
[COORDINATES]
 R1 0 0
 J1 10 0
 J2 20 0
 J3 30 0
[END]
"""


def test_permanently_closed_pipe_strands_a_junction(tmp_path):
    inp = tmp_path / "tiny.inp"
    inp.write_text(_TINY_INP)
    with pytest.raises(ContentError, match=r"tiny.inp: junction 'J3' cannot reach any source"):
        from_epanet(inp)
    city = from_epanet(inp, isolated="drop")
    assert "pipe-P3" not in city.ids and "junction-J3" not in city.ids
    # 5 L/s at 150 L per person per day is 2,880 people.
    assert city.population[city.asset_index("junction-J1")] == pytest.approx(2880.0)


_TANK_INP = """[TITLE]
tank
[JUNCTIONS]
 J1  10  5
 J2  10  5
[RESERVOIRS]
 R1  50
[TANKS]
 T1  20  2  0  4  10  0
[PIPES]
 P1  R1  J1  100  200  100  0  Open
 P2  J1  J2  100  200  100  0  Open
 P3  J2  T1  100  200  100  0  Open
[OPTIONS]
 Units LPS
[COORDINATES]
 R1 0 0
 J1 10 0
 J2 20 0
 T1 30 0
[END]
"""


def test_tank_is_a_store_with_hours_from_its_volume(tmp_path):
    inp = tmp_path / "tank.inp"
    inp.write_text(_TANK_INP)
    city = from_epanet(inp)
    tank = city.asset_index("tank-T1")
    # 10 m across, 0–4 m: 314.2 m³; two junctions of 5 L/s draw 36 m³/h: 8.7 h of storage.
    assert city.backup_hours[tank] == pytest.approx(8.7)
    (group,) = city.groups_of(tank)
    assert [city.ids[m] for m in city.members_of(group)] == ["reservoir-R1"]
    assert city.group_storage[group]
    # With the reservoir lost, the tank still feeds the junctions: it is bridged at first…
    damaged = np.zeros((city.n_assets, 1), dtype=bool)
    damaged[city.asset_index("reservoir-R1")] = True
    bridged = city.group_storage[:, None]
    assert cascade(city, damaged, bridged)[city.asset_index("junction-J1"), 0]
    # …and once the store is empty nothing is left.
    assert not cascade(city, damaged)[city.asset_index("junction-J1"), 0]
    assert from_epanet(inp, tank_storage=6.0).backup_hours[tank] == 6.0
    forever = from_epanet(inp, tank_storage=False)
    assert forever.n_groups == 0 and forever.backup_hours[tank] == 0
    with pytest.raises(ContentError, match="tank_storage is -1"):
        from_epanet(inp, tank_storage=-1)


def test_net3_tanks_need_a_pump_and_a_reservoir_and_share_their_storage():
    city = from_epanet(_wntr_file("library", "networks", "Net3.inp"))
    for name in ("tank-1", "tank-2", "tank-3"):
        tank = city.asset_index(name)
        refill = [{city.ids[m] for m in city.members_of(g)} for g in city.groups_of(tank)]
        assert refill == [{"pump-10", "pump-335"}, {"reservoir-River", "reservoir-Lake"}]
        # Usable volume of the three tanks over Net3's average expected demand.
        assert city.backup_hours[tank] == pytest.approx(10.4)


def test_unreadable_epanet_file_names_file_and_line():
    with pytest.raises(FormatError, match=r"bad_syntax.inp: .*line 330"):
        from_epanet(_wntr_file("tests", "networks_for_testing", "bad_syntax.inp"))


# -- GeoJSON ------------------------------------------------------------------------------------
def _point(fid, lon, lat, **props):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": fid, **props},
    }


def _line(fid, coords, **props):
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": {"id": fid, **props},
    }


def _map(tmp_path, features, name="assets.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1))
    return path


def _town():
    square = [[[7.79, 48.39], [7.83, 48.39], [7.83, 48.42], [7.79, 48.42], [7.79, 48.39]]]
    return [
        _point("G", 7.80, 48.40, sector="power", network="power", source=True),
        _point("S1", 7.81, 48.40, sector="power", network="power", **{"class": "substation"}),
        _line(
            "L1",
            [[7.8000001, 48.40], [7.805, 48.401], [7.81, 48.40]],
            sector="power",
            network="power",
        ),
        _point(
            "H",
            7.811,
            48.401,
            sector="health",
            **{"class": "hospital"},
            needs=[{"type": "supply", "any_of": ["S1"]}],
        ),
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": square},
            "properties": {
                "id": "Old town",
                "population": 5000,
                "vulnerable_share": 0.2,
                "services": {"power": ["S1"], "health": ["H"]},
            },
        },
    ]


def test_geojson_lines_snap_to_nodes_and_polygons_make_districts(tmp_path):
    city = from_geojson(_map(tmp_path, _town()))
    line = city.asset_index("L1")
    assert city.ids[city.link_from[line]] == "G" and city.ids[city.link_to[line]] == "S1"
    assert city.district_ids == ("Old town",)
    assert (city.district[[city.asset_index(a) for a in ("G", "S1", "H")]] == 0).all()
    assert city.district_population[0] == 5000
    # Hospital defaults fill what the map leaves out.
    assert city.repair_median[city.asset_index("H")] == 240.0
    # Losing the line cuts the substation, then the hospital.
    damaged = np.zeros((city.n_assets, 1), dtype=bool)
    damaged[line] = True
    working = cascade(city, damaged)[:, 0]
    assert not working[city.asset_index("H")] and working[city.asset_index("G")]


def test_geojson_line_far_from_any_node_names_feature_and_distance(tmp_path):
    features = _town()
    features[2]["geometry"]["coordinates"][-1] = [7.812, 48.40]  # ~150 m short of S1
    with pytest.raises(ContentError) as info:
        from_geojson(_map(tmp_path, features, "grid.geojson"))
    message = str(info.value)
    assert message.startswith("grid.geojson: feature 2 (id 'L1'): the 'to' end")
    assert "'S1'" in message and "snap_m=1.0" in message


def test_geojson_dangling_reference_names_file_and_feature(tmp_path):
    features = _town()
    features[3]["properties"]["needs"] = [{"type": "supply", "any_of": ["S9"]}]
    with pytest.raises(ContentError, match=r"town.geojson: feature 3 \(id 'H'\): .*'S9'"):
        from_geojson(_map(tmp_path, features, "town.geojson"))


def test_geojson_that_is_not_json_names_the_line(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [,]}')
    with pytest.raises(FormatError, match=r"broken.geojson:2: not valid JSON"):
        from_geojson(path)
