"""Importers: pandapower grids, EPANET water networks and GeoJSON asset maps as cities."""

from crisis.simulation.importers._common import CLASS_DEFAULTS, Records, build_city
from crisis.simulation.importers.power import from_pandapower, pandapower_records

__all__ = [
    "CLASS_DEFAULTS",
    "Records",
    "build_city",
    "from_pandapower",
    "pandapower_records",
]
