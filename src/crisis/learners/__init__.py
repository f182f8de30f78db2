"""The WHO: self-assessment, adaptive tests, competence profiles, gaps, learning paths, cohorts."""

__all__: list[str] = []
