"""The hazard register: a city's shocks and stresses, each with two scenarios.

Every hazard carries a *most probable* and a *most severe* scenario (as the UNDRR scorecard
asks), each with a likelihood and an impact class 1–5 on five dimensions. A *multi-hazard
scenario* is an entry that ``combines`` two or more other hazards of the register (a storm
surge during a river flood, a heatwave with a blackout): its scenarios describe the combined
event, and it is ranked like any other entry. A ``version``
counter lets two analysts edit the same register without silently overwriting each other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crisis.exceptions import ConflictError, ContentError, NotFoundError
from crisis.workbench._loading import content_error
from crisis.workbench.anchors import DIMENSIONS
from crisis.workbench.taxonomy import Category, Kind, Taxonomy, bundled_taxonomy

Confidence = Literal["low", "medium", "high"]
SCENARIOS: tuple[str, ...] = ("most_probable", "most_severe")


class Likelihood(BaseModel):
    """How often a scenario happens: an annual probability or a return period, exactly one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    annual_probability: float | None = None
    return_period_years: float | None = None

    @field_validator("annual_probability")
    @classmethod
    def _probability(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and 0.0 < value <= 1.0):
            raise ValueError(f"annual probability must be in (0, 1], got {value}")
        return value

    @field_validator("return_period_years")
    @classmethod
    def _period(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and value >= 1.0):
            raise ValueError(f"return period must be at least 1 year, got {value}")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Likelihood:
        given = (self.annual_probability is not None) + (self.return_period_years is not None)
        if given != 1:
            raise ValueError("give either annual_probability or return_period_years, not both")
        return self

    @property
    def probability(self) -> float:
        """The annual probability, converted from the return period where needed."""
        if self.annual_probability is not None:
            return self.annual_probability
        assert self.return_period_years is not None
        return 1.0 / self.return_period_years

    @property
    def period(self) -> float:
        """The return period in years."""
        return 1.0 / self.probability


class Impacts(BaseModel):
    """Impact classes 1–5 on each dimension (anchors in ``data/impact_anchors.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    people: int = Field(ge=1, le=5)
    economy: int = Field(ge=1, le=5)
    environment: int = Field(ge=1, le=5)
    infrastructure: int = Field(ge=1, le=5)
    society: int = Field(ge=1, le=5)

    def as_dict(self) -> dict[str, int]:
        """The classes keyed by dimension, in the order of :data:`DIMENSIONS`."""
        return {d: int(getattr(self, d)) for d in DIMENSIONS}


class Scenario(BaseModel):
    """One scenario of a hazard: what happens, how often, how bad."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    likelihood: Likelihood
    impacts: Impacts


class Hazard(BaseModel):
    """One entry of the register, from the taxonomy (``taxonomy_id``) or custom (``None``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    taxonomy_id: str | None = None
    title: str = Field(min_length=1, max_length=200)
    category: Category
    kind: Kind
    most_probable: Scenario
    most_severe: Scenario
    confidence: Confidence = "medium"
    owner: str = ""
    sources: tuple[str, ...] = ()
    exposed_assets: tuple[str, ...] = ()
    exposed_districts: tuple[str, ...] = ()
    #: Ids of the hazards this entry combines (empty for a single hazard).
    combines: tuple[str, ...] = ()
    version: int = Field(default=1, ge=1)

    @field_validator("combines")
    @classmethod
    def _combines(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a multi-hazard scenario lists a hazard twice")
        if len(value) == 1:
            raise ValueError("a multi-hazard scenario combines at least two hazards")
        return value

    def scenario(self, name: str) -> Scenario:
        """The scenario called ``most_probable`` or ``most_severe``."""
        if name not in SCENARIOS:
            raise ContentError(f"scenario must be one of {', '.join(SCENARIOS)}, got {name!r}")
        return getattr(self, name)


class Register(BaseModel):
    """A city's hazard register."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    city: str = Field(min_length=1)
    hazards: tuple[Hazard, ...] = ()

    @field_validator("hazards")
    @classmethod
    def _unique(cls, hazards: tuple[Hazard, ...]) -> tuple[Hazard, ...]:
        seen: set[str] = set()
        for hazard in hazards:
            if hazard.id in seen:
                raise ValueError(f"hazard id {hazard.id!r} appears twice")
            seen.add(hazard.id)
        return hazards

    @model_validator(mode="after")
    def _combinations(self) -> Register:
        errors = combination_errors(self.hazards)
        if errors:
            raise ValueError(errors[0])
        return self

    def get(self, hazard_id: str) -> Hazard:
        """The hazard with ``hazard_id``.

        Raises:
            NotFoundError: The register has no such hazard.
        """
        for hazard in self.hazards:
            if hazard.id == hazard_id:
                return hazard
        raise NotFoundError(f"register of {self.city} has no hazard {hazard_id!r}")

    def ids(self) -> list[str]:
        """Hazard ids in register order."""
        return [h.id for h in self.hazards]


def combination_errors(hazards: Iterable[Hazard]) -> list[str]:
    """What is wrong with the multi-hazard scenarios of ``hazards`` (empty if nothing)."""
    listed = list(hazards)
    by_id = {h.id: h for h in listed}
    errors = []
    for index, hazard in enumerate(listed):
        for other in hazard.combines:
            where = f"hazards[{index}] ({hazard.id}).combines"
            if other == hazard.id:
                errors.append(f"{where}: a scenario cannot combine itself")
            elif other not in by_id:
                errors.append(f"{where}: the register has no hazard {other!r}")
            elif by_id[other].combines:
                errors.append(f"{where}: {other!r} is itself a multi-hazard scenario")
    return errors


def combined_in(register: Register, hazard_id: str) -> list[str]:
    """The multi-hazard scenarios of ``register`` that combine ``hazard_id``."""
    return [h.id for h in register.hazards if hazard_id in h.combines]


def parse_hazard(data: object) -> Hazard:
    """Validate one hazard from plain data (a form, a JSON body, a spreadsheet row).

    Raises:
        ContentError: Naming each bad field and its value.
    """
    try:
        return Hazard.model_validate(data)
    except ValidationError as exc:
        raise content_error(exc) from None


def parse_register(data: object) -> Register:
    """Validate a whole register from plain data.

    Raises:
        ContentError: Naming each bad field and its value.
    """
    try:
        return Register.model_validate(data)
    except ValidationError as exc:
        raise content_error(exc) from None


def check_taxonomy(register: Register, taxonomy: Taxonomy | None = None) -> None:
    """Check that every ``taxonomy_id`` exists and agrees on category and kind.

    Raises:
        ContentError: Listing every hazard that does not fit the taxonomy.
    """
    taxonomy = taxonomy or bundled_taxonomy()
    known = {entry.id: entry for entry in taxonomy.entries}
    errors = []
    for index, hazard in enumerate(register.hazards):
        if hazard.taxonomy_id is None:
            continue
        entry = known.get(hazard.taxonomy_id)
        where = f"hazards[{index}] ({hazard.id})"
        if entry is None:
            errors.append(f"{where}.taxonomy_id: unknown taxonomy entry {hazard.taxonomy_id!r}")
            continue
        if entry.category != hazard.category:
            errors.append(
                f"{where}.category: {hazard.category!r} but taxonomy entry "
                f"{entry.id!r} is {entry.category!r}"
            )
        if entry.kind != hazard.kind:
            errors.append(
                f"{where}.kind: {hazard.kind!r} but taxonomy entry {entry.id!r} is {entry.kind!r}"
            )
    if errors:
        raise ContentError(errors[0], errors=errors)


def from_taxonomy(
    hazard_id: str,
    taxonomy_id: str,
    *,
    most_probable: Scenario,
    most_severe: Scenario,
    taxonomy: Taxonomy | None = None,
    **fields: object,
) -> Hazard:
    """A new hazard whose title, category and kind come from a taxonomy entry."""
    entry = (taxonomy or bundled_taxonomy()).get(taxonomy_id)
    data = {
        "id": hazard_id,
        "taxonomy_id": entry.id,
        "title": entry.title.en,
        "category": entry.category,
        "kind": entry.kind,
        "most_probable": most_probable,
        "most_severe": most_severe,
        **fields,
    }
    return parse_hazard(data)


def save_hazard(register: Register, hazard: Hazard, *, expected_version: int | None) -> Register:
    """Add or replace a hazard, refusing a stale edit.

    ``expected_version`` is the version the editor started from (``None`` for a new hazard).
    The saved hazard gets the next version number.

    Raises:
        ConflictError: Someone saved the hazard since the editor loaded it, or a new hazard
            reuses an existing id. Nothing is changed.
    """
    existing = {h.id: h for h in register.hazards}
    current = existing.get(hazard.id)
    if current is None:
        if expected_version is not None:
            raise ConflictError(
                f"hazard {hazard.id!r} was deleted since version {expected_version} was loaded"
            )
        saved = hazard.model_copy(update={"version": 1})
        return _checked(register, (*register.hazards, saved))
    if expected_version is None:
        raise ConflictError(f"hazard id {hazard.id!r} already exists in the register")
    if current.version != expected_version:
        raise ConflictError(
            f"hazard {hazard.id!r} was changed by someone else: you edited version "
            f"{expected_version}, the register now holds version {current.version}"
        )
    saved = hazard.model_copy(update={"version": current.version + 1})
    return _checked(register, tuple(saved if h.id == hazard.id else h for h in register.hazards))


def _checked(register: Register, hazards: tuple[Hazard, ...]) -> Register:
    errors = combination_errors(hazards)
    if errors:
        message = errors[0].split(".combines: ", 1)[-1]
        raise ContentError(f"combines: {message}", errors=[f"combines: {message}"])
    return register.model_copy(update={"hazards": hazards})


def remove_hazard(register: Register, hazard_id: str, *, expected_version: int) -> Register:
    """Remove a hazard, refusing if it changed since ``expected_version``.

    Raises:
        NotFoundError: No such hazard.
        ConflictError: The hazard changed since the editor loaded it, or a multi-hazard
            scenario combines it.
    """
    current = register.get(hazard_id)
    if current.version != expected_version:
        raise ConflictError(
            f"hazard {hazard_id!r} was changed by someone else (now version {current.version})"
        )
    users = combined_in(register, hazard_id)
    if users:
        raise ConflictError(
            f"hazard {hazard_id!r} is part of the multi-hazard scenario {users[0]!r}; "
            "remove it from that scenario first"
        )
    hazards = tuple(h for h in register.hazards if h.id != hazard_id)
    return register.model_copy(update={"hazards": hazards})


def taxonomy_ids(hazards: Iterable[Hazard]) -> set[str]:
    """The taxonomy ids used by ``hazards`` (custom hazards left out)."""
    return {h.taxonomy_id for h in hazards if h.taxonomy_id is not None}


def replace_register(current: Register, imported: Register) -> Register:
    """The register after importing a whole sheet over ``current``.

    Every imported hazard counts as an edit: one that replaces a hazard of the same id gets
    the next version number, a new one starts at 1. An editor who loaded a hazard before the
    import is therefore told of the conflict instead of overwriting the imported values.
    """
    versions = {h.id: h.version for h in current.hazards}
    hazards = tuple(
        h.model_copy(update={"version": versions[h.id] + 1 if h.id in versions else 1})
        for h in imported.hazards
    )
    return current.model_copy(update={"hazards": hazards})
