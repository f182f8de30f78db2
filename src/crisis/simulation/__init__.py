"""The resilience simulator: city model, hazards, cascades, recovery, interventions, metrics.

Entry points for the web layer and the exercises (no CLI needed)::

    from crisis.simulation import generate_city, run_ensemble

    city = generate_city(5_000, rng=1)                     # or read_city("my-city/")
    result = run_ensemble(city, {"kind": "flood", "return_period": 100}, 200, seed=1)
    result.summary()["water"]["eoh"]                       # {"mean": …, "p5": …, …}
    print(result.explain(city, result.representative("water"), "D4").text())
"""

from __future__ import annotations

from crisis.simulation.city import SECTORS, SERVICES, City, Crews
from crisis.simulation.cityfile import city_from_records, read_city, write_city
from crisis.simulation.comparison import Comparison, compare
from crisis.simulation.ensemble import run_ensemble
from crisis.simulation.explain import Explanation, explain_scenario
from crisis.simulation.generate import generate_city
from crisis.simulation.hazards import HAZARD_MODELS, parse_hazard
from crisis.simulation.interventions import apply_plan, plan_cost, read_plan
from crisis.simulation.optimise import Proposal, optimise
from crisis.simulation.outages import read_outages
from crisis.simulation.results import EnsembleResult

__all__ = [
    "HAZARD_MODELS",
    "SECTORS",
    "SERVICES",
    "City",
    "Comparison",
    "Crews",
    "EnsembleResult",
    "Explanation",
    "Proposal",
    "apply_plan",
    "city_from_records",
    "compare",
    "explain_scenario",
    "generate_city",
    "optimise",
    "parse_hazard",
    "plan_cost",
    "read_city",
    "read_outages",
    "read_plan",
    "run_ensemble",
    "write_city",
]
