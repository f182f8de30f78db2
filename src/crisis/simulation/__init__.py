"""The resilience simulator: city model, hazards, cascades, recovery, interventions, metrics."""

__all__: list[str] = []
