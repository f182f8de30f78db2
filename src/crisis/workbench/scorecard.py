"""The resilience scorecard: Ten Essentials, questions with anchors, rounds of answers.

Two question sets ship with CRISIS (``data/scorecard_preliminary.yaml``, 47 questions scored
0–3, and ``data/scorecard_detailed.yaml``, 117 criteria scored 0–5), both written for this
platform and organised by UNDRR's Ten Essentials, as large as UNDRR's own two levels. Each
essential names the Sendai Framework targets (A–G) it serves. Each question carries the
action that moves a city up its anchors (owner role, effort, cost band, indicator and the
kind of hazard it should be tested against), from which the action plan is drafted. A
*round* is one assessment: a score, an evidence note and the names of attached files for
each question answered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crisis.exceptions import ContentError, NotFoundError
from crisis.workbench._loading import Document, bundled_document, read_document
from crisis.workbench.taxonomy import Category, Text

Level = Literal["preliminary", "detailed"]
LEVELS: tuple[str, ...] = ("preliminary", "detailed")
SendaiTarget = Literal["A", "B", "C", "D", "E", "F", "G"]
SENDAI_TARGETS: tuple[str, ...] = SendaiTarget.__args__  # type: ignore[attr-defined]
Cost = Literal["low", "medium", "high"]
COSTS: tuple[str, ...] = Cost.__args__  # type: ignore[attr-defined]
Dimension = Literal["people", "economy", "environment", "infrastructure", "society"]


class Essential(BaseModel):
    """One of the Ten Essentials, with whom it usually falls to and what it serves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int = Field(ge=1, le=10)
    title: Text
    summary: Text
    #: The Sendai Framework global targets this essential contributes to.
    sendai: tuple[SendaiTarget, ...] = Field(min_length=1)
    #: The usual owner of its actions (a role, not a person).
    owner: Text
    #: SCRO framework competences an officer needs to act on it: primary, supporting.
    competences: tuple[str, str]


class HazardLink(BaseModel):
    """Which hazard of the register an action should be tested against.

    Filters combine (all must hold); among the hazards that pass, the highest-ranked one is
    chosen, or — with ``dimension`` — the one with the highest risk on that dimension.
    An action without a link is about the city's capacity as a whole and names no hazard.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dimension: Dimension | None = None
    categories: tuple[Category, ...] = ()
    kinds: tuple[Literal["shock", "stress"], ...] = ()
    taxonomy: tuple[str, ...] = ()
    multi: bool = False


class ActionTemplate(BaseModel):
    """What to do to move up a question's anchors, written as an action.

    ``text``, ``owner`` and ``indicator`` are texts like the question's (English, with other
    languages added per field as ``{en: ..., el: ...}``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Text
    #: A role; the essential's owner when absent.
    owner: Text | None = None
    effort_months: int = Field(ge=1, le=36)
    cost: Cost
    indicator: Text
    link: HazardLink | None = None


class Question(BaseModel):
    """One scorecard question with a written anchor for every score and its action."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    essential: int = Field(ge=1, le=10)
    text: Text
    anchors: tuple[Text, ...]
    action: ActionTemplate | None = None


class QuestionSet(BaseModel):
    """A level's questions and its score range 0 … ``max_score``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Level
    max_score: int = Field(ge=1, le=10)
    questions: tuple[Question, ...]

    @model_validator(mode="after")
    def _consistent(self) -> QuestionSet:
        seen: set[str] = set()
        for question in self.questions:
            if question.id in seen:
                raise ValueError(f"question id {question.id!r} appears twice")
            seen.add(question.id)
            if len(question.anchors) != self.max_score + 1:
                raise ValueError(
                    f"question {question.id} has {len(question.anchors)} anchors; scores "
                    f"0–{self.max_score} need {self.max_score + 1}"
                )
        return self


class _Essentials(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sendai_targets: dict[SendaiTarget, Text]
    essentials: tuple[Essential, ...]

    @model_validator(mode="after")
    def _every_target(self) -> _Essentials:
        missing = [t for t in SENDAI_TARGETS if t not in self.sendai_targets]
        if missing:
            raise ValueError(f"sendai_targets: target {missing[0]} has no title")
        return self


@dataclass(frozen=True)
class Scorecard:
    """The essentials and one level's questions."""

    essentials: tuple[Essential, ...]
    questions: QuestionSet

    @property
    def level(self) -> str:
        """``preliminary`` or ``detailed``."""
        return self.questions.level

    @property
    def max_score(self) -> int:
        """The highest score of a question."""
        return self.questions.max_score

    def question(self, question_id: str) -> Question:
        """The question with ``question_id``.

        Raises:
            NotFoundError: No such question at this level.
        """
        for question in self.questions.questions:
            if question.id == question_id:
                return question
        raise NotFoundError(f"{self.level} scorecard has no question {question_id!r}")

    def essential(self, number: int) -> Essential:
        """The essential with ``number`` (1–10)."""
        for essential in self.essentials:
            if essential.number == number:
                return essential
        raise NotFoundError(f"scorecard has no essential {number}")

    def by_essential(self) -> dict[int, list[Question]]:
        """Questions grouped by essential number, 1 to 10."""
        groups: dict[int, list[Question]] = {e.number: [] for e in self.essentials}
        for question in self.questions.questions:
            groups[question.essential].append(question)
        return groups


def _check(essentials: tuple[Essential, ...], questions: QuestionSet, name: str) -> None:
    numbers = sorted(e.number for e in essentials)
    if numbers != list(range(1, 11)):
        raise ContentError(f"essentials must be numbered 1 to 10, got {numbers}", location=name)
    empty = [n for n in numbers if not any(q.essential == n for q in questions.questions)]
    if empty:
        raise ContentError(f"essential {empty[0]} has no questions", location=name)


@lru_cache(maxsize=1)
def _bundled_essentials() -> _Essentials:
    return bundled_document("essentials.yaml").validate(_Essentials)


def _essentials() -> tuple[Essential, ...]:
    return _bundled_essentials().essentials


def sendai_targets() -> dict[str, Text]:
    """The Sendai Framework's seven global targets A–G, with short titles."""
    return {str(k): v for k, v in _bundled_essentials().sendai_targets.items()}


@lru_cache(maxsize=2)
def bundled_scorecard(level: str = "preliminary") -> Scorecard:
    """The scorecard shipped with CRISIS at ``level`` (``preliminary`` or ``detailed``)."""
    if level not in LEVELS:
        raise ContentError(f"scorecard level must be one of {', '.join(LEVELS)}, got {level!r}")
    name = f"scorecard_{level}.yaml"
    questions = bundled_document(name).validate(QuestionSet)
    essentials = _essentials()
    _check(essentials, questions, name)
    return Scorecard(essentials, questions)


def load_scorecard(path: str | Path) -> Scorecard:
    """Load a city's own question set, organised by the bundled Ten Essentials."""
    document: Document = read_document(path)
    questions = document.validate(QuestionSet)
    essentials = _essentials()
    _check(essentials, questions, document.name)
    return Scorecard(essentials, questions)


class Answer(BaseModel):
    """An answer to one question: the score, why, and the files that show it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    score: int = Field(ge=0)
    evidence: str = ""
    attachments: tuple[str, ...] = ()


class ScorecardRound(BaseModel):
    """One assessment round at one level."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Level = "preliminary"
    label: str = Field(min_length=1)
    date: dt.date
    answers: dict[str, Answer] = {}


def check_round(scoring: ScorecardRound, scorecard: Scorecard | None = None) -> None:
    """Check that every answer is to a known question and in range.

    Raises:
        ContentError: Listing each unknown question id and out-of-range score.
    """
    scorecard = scorecard or bundled_scorecard(scoring.level)
    if scorecard.level != scoring.level:
        raise ContentError(
            f"round {scoring.label!r} is {scoring.level} but the scorecard is {scorecard.level}"
        )
    known = {q.id for q in scorecard.questions.questions}
    errors = []
    for question_id, answer in scoring.answers.items():
        if question_id not in known:
            errors.append(f"answers.{question_id}: no such {scorecard.level} question")
        elif answer.score > scorecard.max_score:
            errors.append(
                f"answers.{question_id}.score: must be 0–{scorecard.max_score}, got {answer.score}"
            )
    if errors:
        raise ContentError(errors[0], errors=errors)


@dataclass(frozen=True)
class EssentialScore:
    """The score of one essential in one round."""

    number: int
    title: str
    points: int
    max_points: int
    answered: int
    questions: int

    @property
    def percent(self) -> float:
        """Points as a percentage of the maximum (unanswered questions count as 0)."""
        return 100.0 * self.points / self.max_points if self.max_points else 0.0

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {**self.__dict__, "percent": round(self.percent, 2)}


def essential_scores(
    scoring: ScorecardRound, scorecard: Scorecard | None = None, *, language: str = "en"
) -> list[EssentialScore]:
    """The score of each essential, 1 to 10."""
    scorecard = scorecard or bundled_scorecard(scoring.level)
    check_round(scoring, scorecard)
    scores = []
    for number, questions in scorecard.by_essential().items():
        answers = [scoring.answers[q.id] for q in questions if q.id in scoring.answers]
        scores.append(
            EssentialScore(
                number=number,
                title=scorecard.essential(number).title.shown(language),
                points=sum(a.score for a in answers),
                max_points=scorecard.max_score * len(questions),
                answered=len(answers),
                questions=len(questions),
            )
        )
    return scores


def overall_percent(scores: list[EssentialScore]) -> float:
    """The overall score: every essential weighs the same."""
    return sum(s.percent for s in scores) / len(scores) if scores else 0.0


@dataclass(frozen=True)
class Progress:
    """What changed between two rounds."""

    before: str
    after: str
    overall_change: float
    essentials: list[dict[str, object]]
    questions: list[dict[str, object]]

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return dict(self.__dict__)


def compare_rounds(
    before: ScorecardRound, after: ScorecardRound, scorecard: Scorecard | None = None
) -> Progress:
    """Progress from ``before`` to ``after`` per essential and per question.

    Raises:
        ContentError: The rounds are at different levels.
    """
    if before.level != after.level:
        raise ContentError(f"cannot compare a {before.level} round with a {after.level} round")
    scorecard = scorecard or bundled_scorecard(before.level)
    first = essential_scores(before, scorecard)
    second = essential_scores(after, scorecard)
    essentials = [
        {
            "number": a.number,
            "title": a.title,
            "before": round(a.percent, 2),
            "after": round(b.percent, 2),
            "change": round(b.percent - a.percent, 2),
        }
        for a, b in zip(first, second, strict=True)
    ]
    questions: list[dict[str, object]] = []
    for question in scorecard.questions.questions:
        old = before.answers.get(question.id)
        new = after.answers.get(question.id)
        old_score = None if old is None else old.score
        new_score = None if new is None else new.score
        if old_score != new_score:
            questions.append({"id": question.id, "before": old_score, "after": new_score})
    return Progress(
        before=before.label,
        after=after.label,
        overall_change=round(overall_percent(second) - overall_percent(first), 2),
        essentials=essentials,
        questions=questions,
    )
