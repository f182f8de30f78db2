"""The workbench: hazard register, risk prioritisation, resilience scorecard."""

__all__: list[str] = []
