"""The WHAT: the competence framework, job profiles and curriculum, as validated data."""

from crisis.competences.loader import bundled_path, load_bundled, load_catalogue, load_files
from crisis.competences.models import (
    LEVELS,
    Area,
    Catalogue,
    Competence,
    Curriculum,
    Framework,
    JobProfile,
    Mappings,
    Method,
    Methods,
    Module,
    Outcome,
    Programme,
    Scale,
    ScaleLevel,
    Target,
)
from crisis.competences.text import LANGUAGES, LocalText

__all__ = [
    "LANGUAGES",
    "LEVELS",
    "Area",
    "Catalogue",
    "Competence",
    "Curriculum",
    "Framework",
    "JobProfile",
    "LocalText",
    "Mappings",
    "Method",
    "Methods",
    "Module",
    "Outcome",
    "Programme",
    "Scale",
    "ScaleLevel",
    "Target",
    "bundled_path",
    "load_bundled",
    "load_catalogue",
    "load_files",
]
