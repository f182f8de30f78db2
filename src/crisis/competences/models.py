"""The data model: framework → areas → competences, job profiles, curriculum, catalogue.

Every model is immutable and rejects unknown fields, so a typo in a YAML key is an error
rather than a silently ignored value.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crisis.competences.standards import (
    CRI_DIMENSIONS,
    DIGCOMP_COMPETENCES,
    ECF_COMPETENCES,
    ESCO_SKILL_URI,
    MOODLE_TAXONOMIES,
)
from crisis.competences.text import LocalText
from crisis.exceptions import NotFoundError

#: Proficiency levels: 0 "Not yet", 1 Basic, 2 Intermediate, 3 Advanced, 4 Expert.
LEVELS: tuple[int, ...] = (0, 1, 2, 3, 4)

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
#: An area or competence id as other systems write them (Moodle id numbers such as ``1.2.3``,
#: CASE codes): 1-100 printable characters without leading or trailing space. The bundled
#: framework uses ``A-XXX`` for areas and ``C01`` for competences.
NodeId = Annotated[
    str,
    Field(pattern=r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,98}[^\s\x00-\x1f\x7f])?$"),
]
CompetenceId = NodeId
AreaId = NodeId
ModuleId = Annotated[str, Field(pattern=r"^[A-Z][0-9]{2,}$")]
Level = Annotated[int, Field(ge=1, le=4)]
CriDimension = Literal[
    "health-wellbeing", "economy-society", "infrastructure-environment", "leadership-strategy"
]
assert set(CriDimension.__args__) == set(CRI_DIMENSIONS)  # type: ignore[attr-defined]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleLevel(_Model):
    """One step of the proficiency scale."""

    value: Annotated[int, Field(ge=0, le=4)]
    name: LocalText
    description: LocalText | None = None


class ScaleSource(_Model):
    """A scale as another system defines it (a Moodle scale and its configuration).

    CRISIS measures every competence on its own levels 0-4; a framework imported with a scale
    of another size keeps that scale here, with the CRISIS level each value stands for, so that
    exporting writes the scale back unchanged.
    """

    #: The scale's values, lowest first (Moodle's "Scale values").
    values: Annotated[list[str], Field(min_length=1)]
    #: The CRISIS level (0-4) of each value, never decreasing.
    levels: list[Annotated[int, Field(ge=0, le=4)]]
    #: The default value (1-based position).
    default: Annotated[int, Field(ge=1)] = 1
    #: The values counted as proficient (1-based positions).
    proficient: list[Annotated[int, Field(ge=1)]] = []

    @model_validator(mode="after")
    def _consistent(self) -> ScaleSource:
        if len(self.levels) != len(self.values):
            raise ValueError(
                f"levels gives {len(self.levels)} CRISIS levels for {len(self.values)} values"
            )
        if any(b < a for a, b in zip(self.levels, self.levels[1:], strict=False)):
            raise ValueError(f"levels must never decrease, found {self.levels}")
        outside = [i for i in (self.default, *self.proficient) if i > len(self.values)]
        if outside:
            raise ValueError(f"value {outside[0]} is outside the {len(self.values)} values")
        return self


class Scale(_Model):
    """The proficiency scale: exactly the levels 0..4, in order."""

    levels: list[ScaleLevel]
    #: The lowest level counted as "proficient" (Moodle's scale configuration needs it).
    proficient: Level = 2
    #: The scale of the system the framework came from, when it is not CRISIS's five levels.
    source: ScaleSource | None = None

    @field_validator("levels")
    @classmethod
    def _all_levels(cls, levels: list[ScaleLevel]) -> list[ScaleLevel]:
        values = [level.value for level in levels]
        if values != list(LEVELS):
            raise ValueError(f"levels must be 0, 1, 2, 3, 4 in order, found {values}")
        return levels

    def name(self, value: int, lang: str = "en") -> str:
        """The name of level ``value`` in ``lang``."""
        return self.levels[value].name.get(lang)


class Mappings(_Model):
    """Where a competence sits in published frameworks; each code is checked."""

    eqf: Annotated[int, Field(ge=1, le=8)] | None = None
    ecf: list[str] = []
    digcomp: list[str] = []
    esco: list[str] = []
    undrr_essentials: list[Annotated[int, Field(ge=1, le=10)]] = []
    cri_dimensions: list[CriDimension] = []

    @field_validator("ecf")
    @classmethod
    def _ecf(cls, codes: list[str]) -> list[str]:
        unknown = [code for code in codes if code not in ECF_COMPETENCES]
        if unknown:
            raise ValueError(f"not an e-CF 4.0 competence code: {', '.join(unknown)}")
        return codes

    @field_validator("digcomp")
    @classmethod
    def _digcomp(cls, codes: list[str]) -> list[str]:
        unknown = [code for code in codes if code not in DIGCOMP_COMPETENCES]
        if unknown:
            raise ValueError(f"not a DigComp 2.2 competence code: {', '.join(unknown)}")
        return codes

    @field_validator("esco")
    @classmethod
    def _esco(cls, uris: list[str]) -> list[str]:
        bad = [uri for uri in uris if not ESCO_SKILL_URI.match(uri)]
        if bad:
            raise ValueError(f"not an ESCO skill URI: {', '.join(bad)}")
        return uris


Taxonomy = Literal[
    "behaviour",
    "competency",
    "concept",
    "domain",
    "indicator",
    "level",
    "outcome",
    "practice",
    "proficiency",
    "skill",
    "value",
]
assert set(Taxonomy.__args__) == set(MOODLE_TAXONOMIES)  # type: ignore[attr-defined]


class RuleChild(_Model):
    """What one child competence contributes to a points rule."""

    points: Annotated[int, Field(ge=0)] = 1
    required: bool = False


class Rule(_Model):
    """When a competence counts as reached from its children (Moodle's competency rules).

    ``all``: every child is reached. ``points``: the reached children's points add up to
    ``points`` and every ``required`` child is reached. ``outcome`` says what then happens.
    CRISIS keeps rules for interchange; the learner profile does not apply them.
    """

    kind: Literal["all", "points"]
    outcome: Literal["none", "evidence", "complete", "recommend"] = "none"
    points: Annotated[int, Field(ge=1)] | None = None
    children: dict[NodeId, RuleChild] = {}

    @model_validator(mode="after")
    def _points(self) -> Rule:
        if self.kind == "points":
            if self.points is None or not self.children:
                raise ValueError("a points rule needs points and the children that give them")
            total = sum(child.points for child in self.children.values())
            if total < self.points:
                raise ValueError(
                    f"the children give {total} points, fewer than the {self.points} required"
                )
        elif self.points is not None or self.children:
            raise ValueError("an 'all' rule takes no points or children")
        return self


class Competence(_Model):
    """A competence: statements of knowledge, skills and attitudes and a descriptor per level."""

    id: CompetenceId
    area: AreaId
    title: LocalText
    description: LocalText | None = None
    knowledge: list[LocalText] = []
    skills: list[LocalText] = []
    attitudes: list[LocalText] = []
    #: An observable descriptor for each level 1..4.
    levels: dict[Level, LocalText]
    mappings: Mappings = Mappings()
    #: Closely related competences or areas (Moodle's cross-references).
    related: list[NodeId] = []
    #: The competence this one refines, in the same area (frameworks deeper than two levels).
    parent: CompetenceId | None = None
    rule: Rule | None = None
    #: A scale of its own, kept for interchange (Moodle lets a competency override the scale).
    scale: ScaleSource | None = None

    @field_validator("levels")
    @classmethod
    def _every_level(cls, levels: dict[int, LocalText]) -> dict[int, LocalText]:
        missing = [level for level in (1, 2, 3, 4) if level not in levels]
        if missing:
            raise ValueError(f"a descriptor is needed for every level 1-4; missing {missing}")
        return dict(sorted(levels.items()))


class Area(_Model):
    """A group of competences."""

    id: AreaId
    title: LocalText
    description: LocalText | None = None
    competences: list[Competence]
    #: Cross-references, a rule and a scale of its own, kept for interchange (an area is a
    #: competency in Moodle).
    related: list[NodeId] = []
    rule: Rule | None = None
    scale: ScaleSource | None = None

    @model_validator(mode="before")
    @classmethod
    def _own_competences(cls, data: Any) -> Any:
        # Competences are written inside their area; the area id is filled in for them.
        if isinstance(data, dict) and isinstance(data.get("competences"), list):
            area = data.get("id")
            data = {
                **data,
                "competences": [
                    {"area": area, **item} if isinstance(item, dict) else item
                    for item in data["competences"]
                ],
            }
        return data

    @model_validator(mode="after")
    def _same_area(self) -> Area:
        for competence in self.competences:
            if competence.area != self.id:
                raise ValueError(
                    f"competence {competence.id} says area {competence.area!r} "
                    f"but is listed under {self.id!r}"
                )
        return self


class Framework(_Model):
    """A competence framework: areas of competences and the proficiency scale."""

    id: NodeId
    version: str = "1.0"
    title: LocalText
    description: LocalText | None = None
    publisher: str | None = None
    licence: str | None = None
    uri: str | None = None
    #: When the content last changed; exports (CASE ``lastChangeDateTime``) state it.
    updated: date | None = None
    scale: Scale
    areas: list[Area]
    #: Moodle's taxonomy term for each depth (area, competence, sub-competence, ...).
    taxonomies: list[Taxonomy] = []

    @cached_property
    def competences(self) -> list[Competence]:
        """Every competence, area by area, in file order."""
        return [competence for area in self.areas for competence in area.competences]

    @cached_property
    def depths(self) -> dict[str, int]:
        """Depth of every area (1) and competence (2 under its area, 3 under a competence...)."""
        parents = {c.id: c.parent for c in self.competences}
        depth: dict[str, int] = {area.id: 1 for area in self.areas}
        for comp in self.competences:
            steps, node, seen = 2, parents.get(comp.id), {comp.id}
            while node is not None and node not in seen:
                seen.add(node)
                steps, node = steps + 1, parents.get(node)
            depth[comp.id] = steps
        return depth


class Target(_Model):
    """The level a job profile needs in one competence."""

    level: Level
    essential: bool = True


class JobProfile(_Model):
    """A job role expressed as target levels per competence."""

    id: Id
    title: LocalText
    description: LocalText | None = None
    targets: dict[CompetenceId, Target]


class Method(_Model):
    """A teaching or assessment method named in the curriculum's vocabulary."""

    title: LocalText
    description: LocalText | None = None


class Methods(_Model):
    """The curriculum's vocabularies of teaching and assessment methods."""

    teaching: dict[Id, Method] = {}
    assessment: dict[Id, Method] = {}


class Outcome(_Model):
    """A learning outcome of a module: a competence reached at a level."""

    id: Id
    competence: CompetenceId
    level: Level
    text: LocalText
    #: Assessment methods (of the module) that check this outcome.
    assessment: list[Id] = []


class Module(_Model):
    """A unit of the curriculum."""

    id: ModuleId
    title: LocalText
    description: LocalText | None = None
    group: AreaId
    hours: Annotated[float, Field(gt=0)]
    ects: Annotated[float, Field(ge=0)] = 0
    eqf: Annotated[int, Field(ge=1, le=8)]
    prerequisites: list[ModuleId] = []
    #: MOOC modules that this (longer) university module extends.
    extends: list[ModuleId] = []
    outcomes: list[Outcome]
    teaching_methods: list[Id]
    assessment_methods: list[Id]


class Programme(_Model):
    """An ordered set of modules leading to a qualification."""

    id: Id
    title: LocalText
    description: LocalText | None = None
    ects: Annotated[float, Field(gt=0)]
    eqf: Annotated[int, Field(ge=1, le=8)]
    modules: list[ModuleId]


class Curriculum(_Model):
    """Modules and programmes, with their method vocabularies."""

    id: Id
    title: LocalText
    description: LocalText | None = None
    methods: Methods = Methods()
    modules: list[Module]
    programmes: list[Programme] = []


class Catalogue(_Model):
    """A framework with its job profiles and curriculum, checked to refer to each other."""

    framework: Framework
    profiles: dict[str, JobProfile] = {}
    curriculum: Curriculum

    @cached_property
    def _competences(self) -> dict[str, Competence]:
        return {competence.id: competence for competence in self.framework.competences}

    @cached_property
    def _modules(self) -> dict[str, Module]:
        return {module.id: module for module in self.curriculum.modules}

    def competence(self, competence_id: str) -> Competence:
        """The competence with this id.

        Raises:
            NotFoundError: no such competence.
        """
        try:
            return self._competences[competence_id]
        except KeyError:
            raise NotFoundError(f"no competence {competence_id!r} in the framework") from None

    def module(self, module_id: str) -> Module:
        """The module with this id.

        Raises:
            NotFoundError: no such module.
        """
        try:
            return self._modules[module_id]
        except KeyError:
            raise NotFoundError(f"no module {module_id!r} in the curriculum") from None

    def profile(self, profile_id: str) -> JobProfile:
        """The job profile with this id.

        Raises:
            NotFoundError: no such profile.
        """
        try:
            return self.profiles[profile_id]
        except KeyError:
            raise NotFoundError(f"no job profile {profile_id!r}") from None

    def area(self, area_id: str) -> Area:
        """The area with this id.

        Raises:
            NotFoundError: no such area.
        """
        for area in self.framework.areas:
            if area.id == area_id:
                return area
        raise NotFoundError(f"no competence area {area_id!r} in the framework")
