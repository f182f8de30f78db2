"""The data model: framework → areas → competences, job profiles, curriculum, catalogue.

Every model is immutable and rejects unknown fields, so a typo in a YAML key is an error
rather than a silently ignored value.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crisis.competences.standards import (
    CRI_DIMENSIONS,
    DIGCOMP_COMPETENCES,
    ECF_COMPETENCES,
    ESCO_SKILL_URI,
)
from crisis.competences.text import LocalText
from crisis.exceptions import NotFoundError

#: Proficiency levels: 0 "Not yet", 1 Basic, 2 Intermediate, 3 Advanced, 4 Expert.
LEVELS: tuple[int, ...] = (0, 1, 2, 3, 4)

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
CompetenceId = Annotated[str, Field(pattern=r"^C[0-9]{2,}$")]
AreaId = Annotated[str, Field(pattern=r"^A-[A-Z]{2,8}$")]
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


class Scale(_Model):
    """The proficiency scale: exactly the levels 0..4, in order."""

    levels: list[ScaleLevel]
    #: The lowest level counted as "proficient" (Moodle's scale configuration needs it).
    proficient: Level = 2

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


class Competence(_Model):
    """A competence: statements of knowledge, skills and attitudes and a descriptor per level."""

    id: CompetenceId
    area: AreaId
    title: LocalText
    description: LocalText
    knowledge: list[LocalText] = []
    skills: list[LocalText] = []
    attitudes: list[LocalText] = []
    #: An observable descriptor for each level 1..4.
    levels: dict[Level, LocalText]
    mappings: Mappings = Mappings()
    #: Closely related competences (Moodle's cross-references).
    related: list[CompetenceId] = []

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

    id: Id
    version: str = "1.0"
    title: LocalText
    description: LocalText | None = None
    publisher: str | None = None
    licence: str | None = None
    uri: str | None = None
    scale: Scale
    areas: list[Area]

    @cached_property
    def competences(self) -> list[Competence]:
        """Every competence, area by area, in file order."""
        return [competence for area in self.areas for competence in area.competences]


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
