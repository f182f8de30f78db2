"""An action plan drawn from the weakest essentials of a scorecard round.

Each essential is linked to the SCRO framework competence an officer most needs to act on it
(and a second one that supports it), to a typical owner, and to the impact dimension whose
worst hazard the action should be tested against:

=====  ==========================================  =======  =========  ==============
no.    essential                                   primary  secondary  hazard focus
=====  ==========================================  =======  =========  ==============
1      organise for resilience                     C06      C19        overall risk
2      risk scenarios                              C11      C12        overall risk
3      financial capacity                          C17      C18        economy
4      resilient urban development                 C09      C01        people
5      natural buffers                             C10      C01        environment
6      institutional capacity                      C02      C07        overall risk
7      societal capacity                           C04      C03        society
8      infrastructure resilience                   C13      C18        infrastructure
9      disaster response                           C15      C14        people
10     recovery and build back better              C16      C17        economy
=====  ==========================================  =======  =========  ==============
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from crisis.exceptions import ContentError
from crisis.workbench.matrix import likelihood_class, risk_matrix
from crisis.workbench.register import SCENARIOS, Register
from crisis.workbench.scorecard import (
    Scorecard,
    ScorecardRound,
    bundled_scorecard,
    essential_scores,
)

#: essential number → (primary competence, secondary competence, owner, hazard focus).
ESSENTIAL_LINKS: dict[int, tuple[str, str, str, str | None]] = {
    1: ("C06", "C19", "Resilience lead", None),
    2: ("C11", "C12", "Risk analyst", None),
    3: ("C17", "C18", "Finance department", "economy"),
    4: ("C09", "C01", "Urban planning department", "people"),
    5: ("C10", "C01", "Environment department", "environment"),
    6: ("C02", "C07", "Resilience lead", None),
    7: ("C04", "C03", "Social services and communications", "society"),
    8: ("C13", "C18", "Infrastructure and utilities", "infrastructure"),
    9: ("C15", "C14", "Civil protection", "people"),
    10: ("C16", "C17", "Recovery coordinator", "economy"),
}


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

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON (the date as ISO text)."""
        return {**self.__dict__, "due": self.due.isoformat()}


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` calendar months later, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def linked_hazard(register: Register | None, focus: str | None) -> str | None:
    """The hazard an action should be tested against.

    With a focus dimension: the hazard with the highest likelihood class × impact on that
    dimension over both scenarios. Without: the hazard with the highest risk on the matrix.
    """
    if register is None or not register.hazards:
        return None
    if focus is None:
        return risk_matrix(register).ranked()[0].hazard_id
    best: tuple[int, str] | None = None
    for hazard in register.hazards:
        for name in SCENARIOS:
            scenario = hazard.scenario(name)
            value = likelihood_class(scenario.likelihood) * scenario.impacts.as_dict()[focus]
            if best is None or value > best[0] or (value == best[0] and hazard.id < best[1]):
                best = (value, hazard.id)
    return None if best is None else best[1]


def action_plan(
    scoring: ScorecardRound,
    scorecard: Scorecard | None = None,
    *,
    register: Register | None = None,
    weakest: int = 3,
    per_essential: int = 2,
    months_between: int = 3,
    owners: dict[int, str] | None = None,
) -> list[Action]:
    """Turn the weakest essentials of a round into actions.

    The ``weakest`` essentials (lowest percentage; ties by number) each get up to
    ``per_essential`` actions, one per lowest-scored question below the maximum; an action
    asks to reach the next anchor. Due dates are spaced ``months_between`` months apart from
    the round's date in priority order.

    Raises:
        ContentError: ``weakest`` or ``per_essential`` is not positive.
    """
    if weakest < 1 or per_essential < 1:
        raise ContentError("weakest and per_essential must be at least 1")
    scorecard = scorecard or bundled_scorecard(scoring.level)
    scores = essential_scores(scoring, scorecard)
    chosen = sorted(scores, key=lambda s: (s.percent, s.number))[:weakest]
    groups = scorecard.by_essential()
    actions: list[Action] = []
    for essential in chosen:
        primary, secondary, owner, focus = ESSENTIAL_LINKS[essential.number]
        owner = (owners or {}).get(essential.number, owner)
        hazard_id = linked_hazard(register, focus)
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
            target = question.anchors[score + 1]
            actions.append(
                Action(
                    priority=len(actions) + 1,
                    essential=essential.number,
                    question_id=question.id,
                    action=f"{question.text} Move from {score} to {score + 1}: {target}",
                    owner=owner,
                    due=add_months(scoring.date, months_between * (len(actions) + 1)),
                    hazard_id=hazard_id,
                    competence=primary,
                    supporting_competence=secondary,
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
    ``essential``, ``question_id`` and ``supporting_competence``.

    Raises:
        ContentError: Listing every bad field as ``actions[2].due: ...``; nothing is kept.
    """
    errors: list[str] = []
    actions: list[Action] = []
    for index, row in enumerate(rows):
        where = f"actions[{index + 1}]"

        def text(name: str, row: Mapping[str, object] = row) -> str:
            value = row.get(name)
            return "" if value is None else str(value).strip()

        action, owner = text("action"), text("owner")
        if not action:
            errors.append(f"{where}.action: describe the action")
        if len(action) > 2000:
            errors.append(f"{where}.action: at most 2000 characters")
        if len(owner) > 200:
            errors.append(f"{where}.owner: at most 200 characters")
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
        try:
            essential = int(text("essential") or 0)
        except ValueError:
            essential = -1
        if not 0 <= essential <= 10:
            errors.append(f"{where}.essential: must be 1–10 (or 0 for none)")
        if due is not None and not errors:
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
                )
            )
    if errors:
        raise ContentError(errors[0], errors=errors)
    return actions
