"""Importers: pandapower grids, EPANET water networks and GeoJSON asset maps as cities."""

from crisis.simulation.importers._common import CLASS_DEFAULTS, Records, build_city
from crisis.simulation.importers.geojson import from_geojson
from crisis.simulation.importers.power import from_pandapower, pandapower_records
from crisis.simulation.importers.water import epanet_records, from_epanet, read_inp

__all__ = [
    "CLASS_DEFAULTS",
    "Records",
    "build_city",
    "epanet_records",
    "from_epanet",
    "from_geojson",
    "from_pandapower",
    "pandapower_records",
    "read_inp",
]
