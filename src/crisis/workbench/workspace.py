"""A city's workspace: its register, its criteria judgements and its scorecard rounds.

The AHP judgements (``pairwise``) compare the five impact dimensions. Workspaces saved before
that change compared six criteria, likelihood first; such a matrix is read by dropping its
likelihood row and column, which keeps every judgement between the impact dimensions exactly
as it was (the sub-matrix of a reciprocal matrix is reciprocal).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crisis.exceptions import ContentError
from crisis.workbench._loading import Document, bundled_document, content_error, read_document
from crisis.workbench.ahp import AHPResult, ahp
from crisis.workbench.prioritise import CRITERIA
from crisis.workbench.register import Register, check_taxonomy
from crisis.workbench.scorecard import ScorecardRound, check_round

DEMO = "portavera"


class Workspace(BaseModel):
    """Everything a city team keeps in the workbench, as one validated document."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, serialize_by_alias=True
    )

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    #: Written ``register`` in files; renamed here because pydantic reserves that name.
    hazard_register: Register = Field(alias="register")
    #: The language the team writes its register, labels and notes in; pages in another
    #: language mark those texts as such (docs/languages.md).
    language: Literal["en", "el", "de", "pt"] = "en"
    pairwise: tuple[tuple[float | str, ...], ...] | None = None
    rounds: tuple[ScorecardRound, ...] = ()

    @field_validator("pairwise", mode="before")
    @classmethod
    def _migrate(cls, value: Any) -> Any:
        return migrate_pairwise(value)

    @field_validator("pairwise")
    @classmethod
    def _pairwise(
        cls, value: tuple[tuple[float | str, ...], ...] | None
    ) -> tuple[tuple[float | str, ...], ...] | None:
        if value is not None:
            try:
                ahp(value, CRITERIA)
            except ContentError as exc:
                raise ValueError(str(exc)) from None
        return value

    def weights(self) -> AHPResult | None:
        """AHP weights of the impact dimensions, or ``None`` when no judgements were given."""
        return None if self.pairwise is None else ahp(self.pairwise, CRITERIA)

    def criteria_weights(self) -> dict[str, float] | None:
        """The weights keyed by criterion, or ``None`` (equal weights) without judgements."""
        result = self.weights()
        return None if result is None else result.weight_map()

    def latest_round(self, level: str | None = None) -> ScorecardRound | None:
        """The most recent round (by date), optionally at one level."""
        rounds = [r for r in self.rounds if level is None or r.level == level]
        return max(rounds, key=lambda r: r.date) if rounds else None


#: Criteria of the six-criterion matrices saved before the AHP weighed impact only.
LEGACY_CRITERIA: tuple[str, ...] = ("likelihood", *CRITERIA)


def migrate_pairwise(value: Any) -> Any:
    """A six-criterion matrix (likelihood first) without its likelihood row and column.

    Anything else is returned unchanged, to be validated as it is.
    """
    if (
        isinstance(value, list | tuple)
        and len(value) == len(LEGACY_CRITERIA)
        and all(isinstance(row, list | tuple) and len(row) == len(LEGACY_CRITERIA) for row in value)
    ):
        return tuple(tuple(row[1:]) for row in value[1:])
    return value


def _check(workspace: Workspace, document: Document | None = None) -> Workspace:
    check_taxonomy(workspace.hazard_register)
    for index, scoring in enumerate(workspace.rounds):
        try:
            check_round(scoring)
        except ContentError as exc:
            where = document.where(["rounds", index]) if document is not None else ""
            prefix = f"{where}: rounds[{index}]." if where else f"rounds[{index}]."
            errors = [prefix + e for e in exc.errors]
            raise ContentError(errors[0], errors=errors) from None
    return workspace


def parse_workspace(data: object) -> Workspace:
    """Validate a workspace from plain data (JSON body, stored snapshot).

    Raises:
        ContentError: Naming each bad field and its value.
    """
    try:
        workspace = Workspace.model_validate(data)
    except ValidationError as exc:
        raise content_error(exc) from None
    return _check(workspace)


def load_workspace(path: str | Path) -> Workspace:
    """Load a workspace YAML (or JSON) file, with ``file:line`` in every error."""
    document = read_document(path)
    return _check(document.validate(Workspace), document)


def demo_workspace() -> Workspace:
    """The bundled demo city, Portavera."""
    document = bundled_document(f"demo_{DEMO}.yaml")
    return _check(document.validate(Workspace), document)
