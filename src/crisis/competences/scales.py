"""Other systems' proficiency scales on CRISIS's five levels, both ways.

CRISIS measures every competence on the levels 0 Not yet, 1 Basic, 2 Intermediate,
3 Advanced, 4 Expert (the learner profile, the adaptive test and the gap analysis all work on
them). A scale of five values is taken value for value. A scale of another size is placed on
the five levels around its lowest proficient value, which becomes Intermediate (2): the values
below it share Not yet-Basic, the values from it upwards share Intermediate-Expert, spread
evenly. A CRISIS level that no value lands on keeps its CRISIS name. The original scale is kept
(:class:`~crisis.competences.models.ScaleSource`) so that an export writes it back unchanged.
"""

from __future__ import annotations

from typing import Any

from crisis.competences.models import Competence, Scale, ScaleSource

#: CRISIS's names of the levels 0-4, used where an imported scale has no value for a level.
STANDARD_NAMES: tuple[dict[str, str], ...] = (
    {"en": "Not yet", "el": "Όχι ακόμη", "de": "Noch nicht", "pt": "Ainda não"},
    {"en": "Basic", "el": "Βασικό", "de": "Grundlegend", "pt": "Básico"},
    {"en": "Intermediate", "el": "Μέσο", "de": "Mittel", "pt": "Intermédio"},
    {"en": "Advanced", "el": "Προχωρημένο", "de": "Fortgeschritten", "pt": "Avançado"},
    {"en": "Expert", "el": "Εμπειρογνώμονας", "de": "Experte", "pt": "Especialista"},
)
#: The CRISIS level an imported scale's lowest proficient value stands for.
PROFICIENT = 2


def _spread(count: int, low: int, high: int) -> list[int]:
    if count == 1:
        return [low]
    return [low + round(i * (high - low) / (count - 1)) for i in range(count)]


def place(count: int, lowest_proficient: int) -> list[int]:
    """The CRISIS level of each of ``count`` values whose lowest proficient one is given (1-based).

    >>> place(2, 2)
    [0, 2]
    >>> place(5, 3)
    [0, 1, 2, 3, 4]
    """
    if count == 5:
        return [0, 1, 2, 3, 4]
    below = lowest_proficient - 1
    levels = _spread(below, 0, PROFICIENT - 1) if below else []
    return levels + _spread(count - below, PROFICIENT, 4 if count - below > 1 else PROFICIENT)


def scale_from(values: list[str], default: int, proficient: list[int]) -> dict[str, Any]:
    """CRISIS scale data (``levels``, ``proficient``, ``source``) for a scale of ``values``.

    Args:
        values: The scale's values, lowest first.
        default: The default value (1-based).
        proficient: The values counted as proficient (1-based); the lowest counts.
    """
    lowest = min(proficient, default=len(values))
    levels = place(len(values), lowest)
    names: list[Any] = []
    for level in range(5):
        own = [value for value, at in zip(values, levels, strict=True) if at == level]
        names.append(" / ".join(own) if own else STANDARD_NAMES[level])
    crisis_proficient = max(1, levels[lowest - 1])
    data: dict[str, Any] = {
        "proficient": crisis_proficient,
        "levels": [{"value": i, "name": name} for i, name in enumerate(names)],
    }
    plain = len(values) == 5 and default == lowest and proficient == list(range(lowest, 6))
    if not plain:
        data["source"] = {
            "values": values,
            "levels": levels,
            "default": default,
            "proficient": sorted(set(proficient)),
        }
    return data


def source_of(scale: Scale) -> ScaleSource:
    """The scale as another system would store it: the source if kept, else CRISIS's five."""
    if scale.source is not None:
        return scale.source
    return ScaleSource(
        values=[level.name.get("en") for level in scale.levels],
        levels=[0, 1, 2, 3, 4],
        default=scale.proficient + 1,
        proficient=list(range(scale.proficient + 1, 6)),
    )


def derived_levels(scale: Scale, lang: str = "en") -> dict[int, str]:
    """Level descriptors taken from the scale, for a competence described without any.

    Level ``L`` reads as the highest value of the scale at or below ``L`` (so with the scale
    "Not yet competent, Competent", Basic reads "Not yet competent" and Intermediate to Expert
    read "Competent").
    """
    if scale.source is None:
        return {level: scale.name(level, lang) for level in (1, 2, 3, 4)}
    source = scale.source
    out = {}
    for level in (1, 2, 3, 4):
        at = [i for i, placed in enumerate(source.levels) if placed <= level]
        out[level] = source.values[at[-1]] if at else source.values[0]
    return out


def has_derived_levels(comp: Competence, scale: Scale) -> bool:
    """Whether ``comp``'s level descriptors are only the scale's names (nothing of its own)."""
    derived = derived_levels(scale)
    return all(comp.levels[level].get("en") == derived[level] for level in (1, 2, 3, 4))
