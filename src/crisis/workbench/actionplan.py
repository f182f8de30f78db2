"""An action plan drawn from the weakest essentials of a scorecard round.

The weakest essentials (lowest percentage) each give actions for their lowest-scored
questions. Every bundled question carries its action (see ``data/scorecard_*.yaml``):
what to do, the owner role, the months of effort, a cost band, an indicator that shows it is
done, and — only where the action is about particular hazards — which hazard of the register
to test it against. The essential gives the default owner and the SCRO competences
(``data/essentials.yaml``).

Due dates start from the day the plan is drafted: each action takes its effort in months,
and one owner's actions follow each other in priority order, so no date is ever in the past
and no office is asked to do everything at once.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from crisis.exceptions import ContentError
from crisis.workbench.prioritise import rank
from crisis.workbench.register import SCENARIOS, Register
from crisis.workbench.risk import likelihood_class, risk_index
from crisis.workbench.scorecard import (
    COSTS,
    HazardLink,
    Question,
    Scorecard,
    ScorecardRound,
    bundled_scorecard,
    essential_scores,
)

#: Effort assumed for a question without a written action (a city's own question set).
DEFAULT_EFFORT_MONTHS = 6


@dataclass(frozen=True)
class Action:
    """One action of the plan."""

    priority: int
    essential: int
    question_id: str
    action: str
    owner: str
    due: dt.date
    hazard_id: str | None
    competence: str
    supporting_competence: str
    #: The anchor the action should reach.
    target: str = ""
    indicator: str = ""
    cost: str = ""
    effort_months: int = 0

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON (the date as ISO text)."""
        return {**self.__dict__, "due": self.due.isoformat()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Action:
        """An action from stored plain data, plans saved before the newer fields included."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["due"] = dt.date.fromisoformat(str(values["due"]))
        return cls(**values)


def stored_plan(rows: Sequence[Mapping[str, Any]] | None) -> list[Action] | None:
    """The actions of a stored plan (``None`` when no plan was saved)."""
    return None if rows is None else [Action.from_dict(r) for r in rows]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` calendar months later, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def linked_hazard(
    register: Register | None,
    link: HazardLink | None,
    weights: Mapping[str, float] | None = None,
) -> str | None:
    """The hazard of ``register`` an action with ``link`` should be tested against.

    Among the hazards that pass the link's filters: the highest-ranked one (by ``weights``),
    or with a ``dimension``, the one with the highest risk index on that dimension alone.
    ``None`` when the action has no link, the register is empty or no hazard passes the
    link's filters.
    """
    if link is None or register is None or not register.hazards:
        return None
    candidates = [
        h
        for h in register.hazards
        if (not link.categories or h.category in link.categories)
        and (not link.kinds or h.kind in link.kinds)
        and (not link.taxonomy or h.taxonomy_id in link.taxonomy)
        and (not link.multi or bool(h.combines))
    ]
    if not candidates:
        return None
    if link.dimension is not None:

        def on_dimension(hazard_id: str) -> tuple[float, str]:
            hazard = next(h for h in candidates if h.id == hazard_id)
            best = max(
                risk_index(
                    likelihood_class(hazard.scenario(n).likelihood),
                    hazard.scenario(n).impacts.as_dict()[link.dimension],  # type: ignore[index]
                )
                for n in SCENARIOS
            )
            return (-best, hazard.id)

        return min((h.id for h in candidates), key=on_dimension)
    allowed = {h.id for h in candidates}
    return next(r.hazard_id for r in rank(register, weights) if r.hazard_id in allowed)


def _action_of(
    question: Question, score: int, language: str
) -> tuple[str, str | None, int, str, str]:
    template = question.action
    target = question.anchors[score + 1].get(language)
    if template is None:
        return target, None, DEFAULT_EFFORT_MONTHS, "", ""
    return (
        template.text.get(language),
        None if template.owner is None else template.owner.get(language),
        template.effort_months,
        template.cost,
        template.indicator.get(language),
    )


def action_plan(
    scoring: ScorecardRound,
    scorecard: Scorecard | None = None,
    *,
    register: Register | None = None,
    weights: Mapping[str, float] | None = None,
    weakest: int = 3,
    per_essential: int = 2,
    today: dt.date | None = None,
    owners: dict[int, str] | None = None,
    language: str = "en",
) -> list[Action]:
    """Turn the weakest essentials of a round into actions.

    The ``weakest`` essentials (lowest percentage; ties by number) each get up to
    ``per_essential`` actions, one per lowest-scored question below the maximum. Due dates
    run from ``today`` (the day of drafting): an action is due its effort in months after its
    owner's previous action in this plan. Texts are taken in ``language`` (the language the
    team writes its plan in), English where a translation is missing.

    Raises:
        ContentError: ``weakest`` or ``per_essential`` is not positive.
    """
    if weakest < 1 or per_essential < 1:
        raise ContentError("weakest and per_essential must be at least 1")
    scorecard = scorecard or bundled_scorecard(scoring.level)
    start = today or dt.date.today()
    scores = essential_scores(scoring, scorecard)
    chosen = sorted(scores, key=lambda s: (s.percent, s.number))[:weakest]
    groups = scorecard.by_essential()
    actions: list[Action] = []
    free: dict[str, dt.date] = {}
    for essential_score in chosen:
        essential = scorecard.essential(essential_score.number)
        primary, secondary = essential.competences
        open_questions = sorted(
            (
                (scoring.answers[q.id].score if q.id in scoring.answers else 0, index, q)
                for index, q in enumerate(groups[essential.number])
            ),
            key=lambda item: (item[0], item[1]),
        )
        for score, _, question in open_questions[:per_essential]:
            if score >= scorecard.max_score:
                continue
            text, owner, effort, cost, indicator = _action_of(question, score, language)
            template = question.action
            # One role keeps one schedule whatever the language of the plan: the role is
            # known by its English name, shown in ``language``.
            role = template.owner if template and template.owner else essential.owner
            named = (owners or {}).get(essential.number)
            owner = named or owner or essential.owner.get(language)
            key = named or role.en
            due = add_months(free.get(key, start), effort)
            free[key] = due
            actions.append(
                Action(
                    priority=len(actions) + 1,
                    essential=essential.number,
                    question_id=question.id,
                    action=text,
                    owner=owner,
                    due=due,
                    hazard_id=linked_hazard(register, template.link if template else None, weights),
                    competence=primary,
                    supporting_competence=secondary,
                    target=question.anchors[score + 1].get(language),
                    indicator=indicator,
                    cost=cost,
                    effort_months=effort,
                )
            )
    return actions


def competences_for(actions: Sequence[Action]) -> list[str]:
    """The competences an action plan calls for, most needed first (for a training plan)."""
    counts: dict[str, int] = {}
    for action in actions:
        counts[action.competence] = counts.get(action.competence, 0) + 2
        counts[action.supporting_competence] = counts.get(action.supporting_competence, 0) + 1
    return sorted(counts, key=lambda c: (-counts[c], c))


def parse_actions(
    rows: Sequence[Mapping[str, object]],
    *,
    hazard_ids: Collection[str],
    competence_ids: Collection[str],
) -> list[Action]:
    """Check an edited action plan and number it in the order given.

    Each row holds ``action``, ``owner``, ``due`` (ISO date), ``hazard_id`` (empty or a
    hazard of the register), ``competence`` (a competence of the framework) and, optionally,
    ``essential``, ``question_id``, ``supporting_competence``, ``target``, ``indicator``,
    ``cost`` (low, medium or high) and ``effort_months``.

    Raises:
        ContentError: Listing every bad field as ``actions[2].due: ...``; nothing is kept.
    """
    errors: list[str] = []
    actions: list[Action] = []
    for index, row in enumerate(rows):
        where = f"actions[{index + 1}]"
        before = len(errors)

        def text(name: str, row: Mapping[str, object] = row) -> str:
            value = row.get(name)
            return "" if value is None else str(value).strip()

        action, owner = text("action"), text("owner")
        if not action:
            errors.append(f"{where}.action: describe the action")
        for name, limit in (
            ("action", 2000),
            ("owner", 200),
            ("target", 1000),
            ("indicator", 500),
        ):
            if len(text(name)) > limit:
                errors.append(f"{where}.{name}: at most {limit} characters")
        due: dt.date | None = None
        try:
            due = dt.date.fromisoformat(text("due"))
        except ValueError:
            errors.append(f"{where}.due: expected a date YYYY-MM-DD, got {text('due')!r}")
        hazard_id = text("hazard_id") or None
        if hazard_id is not None and hazard_id not in hazard_ids:
            errors.append(f"{where}.hazard_id: the register has no hazard {hazard_id!r}")
        competence = text("competence")
        if competence not in competence_ids:
            errors.append(f"{where}.competence: unknown competence {competence!r}")
        supporting = text("supporting_competence")
        if supporting and supporting not in competence_ids:
            errors.append(f"{where}.supporting_competence: unknown competence {supporting!r}")
        cost = text("cost")
        if cost and cost not in COSTS:
            errors.append(f"{where}.cost: must be one of {', '.join(COSTS)} or empty, got {cost!r}")
        essential = _whole(text("essential"), 0, 10, f"{where}.essential", errors)
        effort = _whole(text("effort_months"), 0, 120, f"{where}.effort_months", errors)
        if due is not None and len(errors) == before:
            actions.append(
                Action(
                    priority=index + 1,
                    essential=essential,
                    question_id=text("question_id"),
                    action=action,
                    owner=owner,
                    due=due,
                    hazard_id=hazard_id,
                    competence=competence,
                    supporting_competence=supporting,
                    target=text("target"),
                    indicator=text("indicator"),
                    cost=cost,
                    effort_months=effort,
                )
            )
    if errors:
        raise ContentError(errors[0], errors=errors)
    return actions


def _whole(value: str, low: int, high: int, where: str, errors: list[str]) -> int:
    try:
        number = int(value or 0)
    except ValueError:
        errors.append(f"{where}: expected a whole number {low}–{high}, got {value!r}")
        return 0
    if not low <= number <= high:
        errors.append(f"{where}: must be {low}–{high}, got {number}")
    return number
