"""Gap analysis: a learner's level per competence against a job profile's targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crisis.competences.models import Catalogue, JobProfile
from crisis.exceptions import ContentError


@dataclass(frozen=True)
class Gap:
    """One competence of a job profile: where the learner is and where the role needs them.

    Attributes:
        competence: Competence id.
        title: Competence title in the requested language.
        area: Area id of the competence.
        current: The learner's level (0..4).
        target: The level the profile needs (1..4).
        essential: Whether the profile marks the competence essential.
        priority: Rank in the analysis (0 = most urgent).
    """

    competence: str
    title: str
    area: str
    current: int
    target: int
    essential: bool
    priority: int

    @property
    def size(self) -> int:
        """Levels missing (0 when the target is met)."""
        return max(self.target - self.current, 0)

    @property
    def open(self) -> bool:
        """Whether the target is not yet met."""
        return self.current < self.target

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record."""
        return {
            "competence": self.competence,
            "title": self.title,
            "area": self.area,
            "current": self.current,
            "target": self.target,
            "gap": self.size,
            "essential": self.essential,
            "priority": self.priority,
        }


def analyse_gaps(
    levels: Mapping[str, int],
    profile: JobProfile,
    catalogue: Catalogue,
    *,
    lang: str = "en",
) -> list[Gap]:
    """Compare levels with every target of ``profile``; most urgent first.

    Order: open gaps before met targets; within them essential before optional, then larger
    gaps first, then the framework's order of competences. Competences missing from
    ``levels`` count as level 0 ("not yet").

    Args:
        levels: Competence id → the learner's level 0..4.
        profile: The job profile to compare against.
        catalogue: The catalogue the profile belongs to (titles, areas, order).
        lang: Language of the titles.

    Raises:
        ContentError: If a level is outside 0..4 or names an unknown competence.
    """
    known = {c.id: k for k, c in enumerate(catalogue.framework.competences)}
    errors = [f"unknown competence {cid!r}" for cid in levels if cid not in known]
    errors += [
        f"{cid}: level {value!r} is out of range 0..4"
        for cid, value in levels.items()
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4
    ]
    errors += [
        f"profile {profile.id} targets unknown competence {cid!r}"
        for cid in profile.targets
        if cid not in known
    ]
    if errors:
        raise ContentError("; ".join(errors), errors=errors)
    rows = []
    for cid, goal in profile.targets.items():
        rows.append((cid, int(levels.get(cid, 0)), goal.level, goal.essential))
    rows.sort(key=lambda r: (r[1] >= r[2], not r[3], r[1] - r[2], known[r[0]]))
    gaps = []
    for rank, (cid, current, target, essential) in enumerate(rows):
        competence = catalogue.competence(cid)
        gaps.append(
            Gap(
                competence=cid,
                title=competence.title.get(lang),
                area=competence.area,
                current=current,
                target=target,
                essential=essential,
                priority=rank,
            )
        )
    return gaps


def open_targets(gaps: list[Gap]) -> dict[str, int]:
    """Competence id → target level for the gaps not yet closed."""
    return {g.competence: g.target for g in gaps if g.open}
