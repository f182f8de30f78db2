"""The bundled scorecard, scoring of rounds, progress between rounds and the action plan."""

from __future__ import annotations

import datetime as dt

import pytest

from crisis.exceptions import ContentError
from crisis.workbench.actionplan import ESSENTIAL_LINKS, action_plan, add_months, competences_for
from crisis.workbench.scorecard import (
    Answer,
    ScorecardRound,
    bundled_scorecard,
    check_round,
    compare_rounds,
    essential_scores,
    overall_percent,
)
from crisis.workbench.workspace import Workspace


@pytest.mark.parametrize(("level", "low", "high", "top"), [
    ("preliminary", 40, 50, 3), ("detailed", 100, 120, 5),
])  # fmt: skip
def test_bundled_question_sets(level: str, low: int, high: int, top: int) -> None:
    scorecard = bundled_scorecard(level)
    questions = scorecard.questions.questions
    assert low <= len(questions) <= high
    assert scorecard.max_score == top
    assert all(len(q.anchors) == top + 1 and len(set(q.anchors)) == top + 1 for q in questions)
    assert all(groups for groups in scorecard.by_essential().values())
    assert {e.number for e in scorecard.essentials} == set(range(1, 11))
    assert all(e.title.el and e.title.de and e.title.pt for e in scorecard.essentials)


def _round(answers: dict[str, int], label: str = "r", day: int = 1) -> ScorecardRound:
    return ScorecardRound(
        label=label, date=dt.date(2026, 1, day),
        answers={q: Answer(score=s) for q, s in answers.items()},
    )  # fmt: skip


def test_unknown_question_and_out_of_range_score_are_named() -> None:
    with pytest.raises(ContentError) as info:
        check_round(_round({"P1.1": 4, "P99.9": 1}))
    assert info.value.errors == [
        "answers.P1.1.score: must be 0–3, got 4",
        "answers.P99.9: no such preliminary question",
    ]


def test_scores_per_essential_and_overall() -> None:
    scorecard = bundled_scorecard("preliminary")
    essential_1 = [q.id for q in scorecard.by_essential()[1]]
    scoring = _round({essential_1[0]: 3, essential_1[1]: 3})
    scores = essential_scores(scoring)
    first = scores[0]
    assert (first.points, first.max_points, first.answered) == (6, 3 * len(essential_1), 2)
    assert first.percent == pytest.approx(100 * 6 / (3 * len(essential_1)))
    assert all(s.percent == 0 for s in scores[1:])
    assert overall_percent(scores) == pytest.approx(first.percent / 10)


def test_progress_between_rounds() -> None:
    before = _round({"P3.1": 0, "P3.2": 1}, "2025")
    after = _round({"P3.1": 2, "P3.2": 1, "P9.1": 3}, "2026")
    progress = compare_rounds(before, after)
    assert progress.questions == [
        {"id": "P3.1", "before": 0, "after": 2},
        {"id": "P9.1", "before": None, "after": 3},
    ]
    changes = {e["number"]: e["change"] for e in progress.essentials}
    assert changes[3] > 0 and changes[9] > 0 and changes[1] == 0
    assert progress.overall_change > 0


def test_action_plan_targets_the_weakest_essentials(demo: Workspace) -> None:
    scoring = demo.rounds[0]
    scores = sorted(essential_scores(scoring), key=lambda s: (s.percent, s.number))
    plan = action_plan(scoring, register=demo.hazard_register, weakest=3, per_essential=2)
    assert len(plan) == 6
    assert [a.essential for a in plan] == [
        n for n in (s.number for s in scores[:3]) for _ in (1, 2)
    ]
    scorecard = bundled_scorecard("preliminary")
    for action in plan:
        question = scorecard.question(action.question_id)
        score = scoring.answers[action.question_id].score
        assert question.anchors[score + 1].en in action.action
        assert action.competence == ESSENTIAL_LINKS[action.essential][0]
        assert action.hazard_id in demo.hazard_register.ids()
    assert [a.due for a in plan] == sorted(a.due for a in plan)
    assert plan[0].due == add_months(scoring.date, 3)
    assert competences_for(plan)[0] == plan[0].competence


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)


def test_competence_links_exist_in_the_bundled_scro_framework() -> None:
    from crisis.competences.loader import load_bundled

    catalogue = load_bundled()
    titles = {
        c: catalogue.competence(c).title.root["en"]
        for links in ESSENTIAL_LINKS.values()
        for c in links[:2]
    }
    assert titles["C15"] == "Disaster response coordination"
    assert titles["C17"] == "Financing resilience"
    assert len(titles) >= 15


def test_an_edited_action_plan_is_checked_field_by_field() -> None:
    from crisis.workbench.actionplan import parse_actions

    rows = [
        {"action": "Exercise", "owner": "Civil protection", "due": "2027-01-31",
         "hazard_id": "blackout", "competence": "C15"},
        {"action": "", "due": "soon", "hazard_id": "meteor", "competence": "C99"},
    ]  # fmt: skip
    with pytest.raises(ContentError) as info:
        parse_actions(rows, hazard_ids={"blackout"}, competence_ids={"C15"})
    assert info.value.errors == [
        "actions[2].action: describe the action",
        "actions[2].due: expected a date YYYY-MM-DD, got 'soon'",
        "actions[2].hazard_id: the register has no hazard 'meteor'",
        "actions[2].competence: unknown competence 'C99'",
    ]
    plan = parse_actions(rows[:1], hazard_ids={"blackout"}, competence_ids={"C15"})
    assert plan[0].priority == 1 and plan[0].due.isoformat() == "2027-01-31"
