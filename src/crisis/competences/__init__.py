"""The WHAT: the competence framework, job profiles and curriculum."""

__all__: list[str] = []
