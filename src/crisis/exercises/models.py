"""An exercise as data: city, hazards, budget, the measures on offer, objectives and injects.

Every field is validated by pydantic; :mod:`crisis.exercises.library` turns validation errors
into messages that name the file and line. Texts shown to learners are mappings from a
language code (``en``, ``el``, ``de``, ``pt``) to text; English is required, the other
languages fall back to it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crisis.competences.text import Shown
from crisis.exceptions import SimulationError
from crisis.simulation import parse_hazard

FORMAT = "crisis-exercise/1"
#: The one level of an exercise that defines none.
STANDARD = "standard"
#: Hazards (first of an exercise) that are forecast early enough to evacuate before them.
EVACUATION_HAZARDS: tuple[str, ...] = ("flood", "heatwave")
LANGUAGES: tuple[str, ...] = ("en", "el", "de", "pt")
#: Measures placed on one asset at a time, on one district, and bought for the whole city.
PER_ASSET: tuple[str, ...] = ("backup", "flood_protect", "harden", "raise", "segmentation")
PER_DISTRICT: tuple[str, ...] = ("evacuate",)
CITY_WIDE: tuple[str, ...] = ("crews", "early_warning", "public_information")
#: Measures the simulator itself models (its interventions); the others act on its outcomes
#: (see :mod:`crisis.exercises.effects`).
SIMULATED: tuple[str, ...] = (*PER_ASSET, "crews", "early_warning")
#: What a difficulty level can show the learner on the play page.
SHOWN: tuple[str, ...] = ("hazard", "exposure", "hints", "optimiser")


class Text(BaseModel):
    """A text in several languages; ``en`` is required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str = Field(min_length=1, max_length=5000)
    el: str | None = Field(default=None, max_length=5000)
    de: str | None = Field(default=None, max_length=5000)
    pt: str | None = Field(default=None, max_length=5000)

    def get(self, lang: str) -> str:
        """The text in ``lang``, else in English."""
        value = getattr(self, lang, None) if lang in LANGUAGES else None
        return value or self.en

    def resolve(self, lang: str) -> tuple[str, str]:
        """The text to show in ``lang`` and the language it is written in (English fallback)."""
        value = getattr(self, lang, None) if lang in LANGUAGES else None
        return (value, lang) if value else (self.en, "en")

    def shown(self, lang: str) -> Shown:
        """The text for ``lang`` as a string that knows its language (see :class:`Shown`)."""
        return Shown(*self.resolve(lang))

    def missing(self) -> list[str]:
        """Languages without a translation."""
        return [lang for lang in LANGUAGES if not getattr(self, lang)]


class Measure(BaseModel):
    """One entry of the exercise's catalogue: a simulator intervention with fixed settings.

    Attributes:
        id: How plans refer to it (``barrier``).
        kind: The simulator's intervention kind (``flood_protect``, ``backup``, …).
        params: The intervention's own fields, fixed for this exercise (``height_m: 1.5``).
        applies_to: Asset classes it may be placed on (per-asset kinds); empty = every asset
            the kind physically suits.
        title: Name shown to learners.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    kind: str
    params: dict[str, Any] = Field(default_factory=dict)
    applies_to: list[str] = Field(default_factory=list)
    title: Text

    note: Text | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        kinds = PER_ASSET + PER_DISTRICT + CITY_WIDE
        if value not in kinds:
            raise ValueError(
                f"'{value}' is not offered in exercises; expected one of {', '.join(sorted(kinds))}"
            )
        return value

    @field_validator("params")
    @classmethod
    def _no_targets(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in ("assets", "kind", "cost"):
            if key in value:
                raise ValueError(f"'{key}' is set by the plan, not by the catalogue")
        return value

    @property
    def per_asset(self) -> bool:
        """Whether the measure is placed on assets."""
        return self.kind in PER_ASSET

    @property
    def per_district(self) -> bool:
        """Whether the measure is placed on a district (an evacuation)."""
        return self.kind in PER_DISTRICT

    @property
    def scope(self) -> str:
        """``asset``, ``district`` or ``city`` (bought once for the whole city)."""
        return "asset" if self.per_asset else "district" if self.per_district else "city"

    @property
    def simulated(self) -> bool:
        """Whether the simulator models it (else it acts on the simulator's outcomes)."""
        return self.kind in SIMULATED

    def intervention(self, asset: str | None = None) -> dict[str, Any]:
        """The simulator intervention mapping for one placement (simulated kinds only)."""
        data: dict[str, Any] = {"kind": self.kind, **self.params, "label": self.id}
        if self.per_asset:
            data["assets"] = [asset]
        return data


class Objective(BaseModel):
    """A learning objective tied to a competence of the framework.

    ``tasks`` are the evaluator's guide (HSEEP's exercise evaluation guide): the critical
    tasks an evaluator watches for when judging the objective in a tabletop session.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    competence: str = Field(pattern=r"^[A-Za-z0-9._-]{1,40}$")
    text: Text
    tasks: list[Text] = Field(default_factory=list, max_length=8)


class Option(BaseModel):
    """One decision open to a team when an inject arrives, and what it does in the model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    label: Text
    interventions: list[dict[str, Any]] = Field(default_factory=list)
    hazard: dict[str, Any] = Field(
        default_factory=dict, description="fields of the exercise's hazard to change"
    )
    hazard_index: int = Field(default=0, ge=0)
    default: bool = False
    cost: float | None = Field(
        default=None, ge=0, le=1e10, description="EUR; default: the interventions' unit costs"
    )
    delay_hours: float = Field(
        default=0.0, ge=0, le=720, description="hours from the decision until it takes effect"
    )


class Inject(BaseModel):
    """A message released during a tabletop session ("hour 6: the gauge at … reads …")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    hour: int = Field(ge=0, le=720)
    text: Text
    options: list[Option] = Field(min_length=2, max_length=6)
    objective: str | None = Field(
        default=None, description="competence id of the objective the inject tests"
    )
    expected_action: Text | None = None
    controller_notes: Text | None = None

    @model_validator(mode="after")
    def _options(self) -> Inject:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"inject '{self.id}' has two options with the same id")
        if sum(o.default for o in self.options) > 1:
            raise ValueError(f"inject '{self.id}' marks more than one option as default")
        return self

    @property
    def default_option(self) -> Option:
        """What happens when a team does not decide in time (the marked one, else the last)."""
        return next((o for o in self.options if o.default), self.options[-1])


class Level(BaseModel):
    """A difficulty level: its budget, what the learner is shown, how uncertain the hazard is.

    Attributes:
        id: How runs refer to it (``easy``).
        title: Name shown to learners.
        budget: EUR, instead of the exercise's budget.
        hazard: Fields of the first hazard to change (``stage_sigma: 0.6`` widens the spread
            of flood levels: more hazard uncertainty).
        show: What the play page shows: ``hazard`` (flood extent, intensity contours),
            ``exposure`` (assets the hazard often hits), ``hints``, ``optimiser`` (the
            optimiser's plan in the debrief).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,19}$")
    title: Text
    budget: float | None = Field(default=None, gt=0, le=1e10)
    hazard: dict[str, Any] = Field(default_factory=dict)
    show: list[str] = Field(default_factory=lambda: list(SHOWN))

    @field_validator("show")
    @classmethod
    def _shown(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in SHOWN]
        if unknown:
            raise ValueError(f"'{unknown[0]}' cannot be shown; expected some of {', '.join(SHOWN)}")
        return value


class SecondObjective(BaseModel):
    """A competing goal the author sets: money left for development counts too.

    ``weight`` is how many people-hours without service one EUR left unspent is worth; the
    plan's combined benefit is its people-hours avoided plus ``weight`` × EUR left.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["budget_left"] = "budget_left"
    weight: float = Field(gt=0, le=1000)
    text: Text


class Exercise(BaseModel):
    """A resilience exercise (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["crisis-exercise/1"] = "crisis-exercise/1"
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$")
    city: str = Field(default="demo", pattern=r"^demo$")
    title: Text
    briefing: Text
    minutes: int = Field(default=20, ge=5, le=240)
    time_limit: bool = Field(default=False, description="submissions after `minutes` refused")
    budget: float = Field(gt=0, le=1e10)
    scenarios: int = Field(default=200, ge=10, le=5000)
    seed: int = Field(default=1, ge=0, le=2**31)
    hazards: list[dict[str, Any]] = Field(min_length=1, max_length=4)
    measures: list[Measure] = Field(min_length=1, max_length=20)
    objectives: list[Objective] = Field(min_length=1, max_length=10)
    injects: list[Inject] = Field(default_factory=list, max_length=12)
    levels: list[Level] = Field(default_factory=list, max_length=5)
    hints: list[Text] = Field(default_factory=list, max_length=10)
    second_objective: SecondObjective | None = None
    onset_hour: int = Field(
        default=0,
        ge=0,
        le=720,
        description="tabletop hour at which the hazard strikes (the simulation's hour 0)",
    )

    @field_validator("hazards")
    @classmethod
    def _hazards(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for i, item in enumerate(value):
            try:
                out.append(parse_hazard(item, f"hazard {i + 1}").model_dump())
            except SimulationError as exc:
                raise ValueError(str(exc)) from None
        return out

    @model_validator(mode="after")
    def _unique(self) -> Exercise:
        for name, ids in (
            ("measures", [m.id for m in self.measures]),
            ("injects", [i.id for i in self.injects]),
            ("levels", [v.id for v in self.levels]),
        ):
            twice = sorted({x for x in ids if ids.count(x) > 1})
            if twice:
                raise ValueError(f"{name}: id '{twice[0]}' is used twice")
        for inject in self.injects:
            for option in inject.options:
                if option.hazard_index >= len(self.hazards):
                    raise ValueError(
                        f"inject '{inject.id}' option '{option.id}': hazard_index "
                        f"{option.hazard_index} but the exercise has {len(self.hazards)} hazard(s)"
                    )
        first = self.hazards[0]["kind"]
        for measure in self.measures:
            if measure.kind == "evacuate" and first not in EVACUATION_HAZARDS:
                raise ValueError(
                    f"measure '{measure.id}': an evacuation needs a forecast hazard "
                    f"({', '.join(EVACUATION_HAZARDS)}); this exercise starts with '{first}'"
                )
        return self

    def level(self, level_id: str | None) -> Level:
        """The difficulty level ``level_id`` (``None``: the first; a plain exercise has one)."""
        if not self.levels:
            if level_id not in (None, "", STANDARD):
                raise SimulationError(f"exercise '{self.id}' has no level '{level_id}'")
            return Level(id=STANDARD, title=Text(en="Standard"))
        if level_id in (None, ""):
            return self.levels[0]
        for level in self.levels:
            if level.id == level_id:
                return level
        raise SimulationError(
            f"exercise '{self.id}' has no level '{level_id}'; levels: "
            f"{', '.join(v.id for v in self.levels)}"
        )

    def at_level(self, level_id: str | None) -> Exercise:
        """The exercise as played at a level: its budget and its hazard, no other levels."""
        level = self.level(level_id)
        hazards = [dict(h) for h in self.hazards]
        hazards[0].update(level.hazard)
        return self.model_copy(
            update={
                "budget": level.budget or self.budget,
                "hazards": Exercise._hazards(hazards),
                "levels": [level] if self.levels else [],
            }
        )

    def measure(self, measure_id: str) -> Measure:
        """The catalogue entry ``measure_id``; :class:`SimulationError` when it is not offered."""
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise SimulationError(
            f"measure '{measure_id}' is not in this exercise's catalogue; offered: "
            f"{', '.join(m.id for m in self.measures)}"
        )

    def inject(self, inject_id: str) -> Inject:
        """The inject ``inject_id``."""
        for i in self.injects:
            if i.id == inject_id:
                return i
        raise SimulationError(f"exercise '{self.id}' has no inject '{inject_id}'")

    def annual_probability(self) -> float:
        """Annual probability of the event (the first hazard's; the others strike with it)."""
        first = self.hazards[0]
        if first.get("return_period"):
            return 1.0 / float(first["return_period"])
        return float(first.get("annual_probability") or first.get("annual_rate") or 1.0)

    def competences(self) -> list[str]:
        """Competence ids of the objectives, in order, without repeats."""
        return list(dict.fromkeys(o.competence for o in self.objectives))
