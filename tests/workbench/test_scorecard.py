"""The bundled scorecard, scoring of rounds, progress between rounds and the action plan."""

from __future__ import annotations

import datetime as dt

import pytest

from crisis.exceptions import ContentError
from crisis.workbench.actionplan import Action, action_plan, add_months, competences_for
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


@pytest.mark.parametrize(("level", "count", "top"), [
    ("preliminary", 47, 3), ("detailed", 117, 5),
])  # fmt: skip
def test_bundled_question_sets(level: str, count: int, top: int) -> None:
    # The same size as UNDRR's two levels (47 preliminary, 117 detailed questions).
    scorecard = bundled_scorecard(level)
    questions = scorecard.questions.questions
    assert len(questions) == count
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


def test_detailed_anchors_are_measurable_where_they_can_be() -> None:
    import re
    import statistics

    questions = bundled_scorecard("detailed").questions.questions
    anchors = [a.en for q in questions for a in q.anchors]
    with_numbers = [q for q in questions if any(re.search(r"\d", a.en) for a in q.anchors)]
    print(
        f"detailed anchors: median {statistics.median(len(a.split()) for a in anchors)} words, "
        f"{len(with_numbers)} of {len(questions)} criteria with a number"
    )
    assert statistics.median(len(a.split()) for a in anchors) >= 8
    assert not [a for a in anchors if a.strip().rstrip(".").lower() in ("none", "no", "yes")]
    assert len(with_numbers) >= len(questions) * 0.4


def test_every_essential_names_its_sendai_targets_owner_and_competences() -> None:
    from crisis.competences.loader import load_bundled
    from crisis.workbench.scorecard import SENDAI_TARGETS, sendai_targets

    catalogue = load_bundled()
    scorecard = bundled_scorecard("detailed")
    targets = sendai_targets()
    assert set(targets) == set(SENDAI_TARGETS)
    assert all(t.en and t.el and t.de and t.pt for t in targets.values())
    served = set()
    for essential in scorecard.essentials:
        assert essential.sendai and essential.owner.en
        served.update(essential.sendai)
        for competence in essential.competences:
            catalogue.competence(competence)  # raises if the framework lacks it
    assert served == set(SENDAI_TARGETS)
    assert scorecard.essential(8).sendai[0] == "D"  # infrastructure: damage to services
    assert "E" in scorecard.essential(1).sendai  # organise: risk reduction strategies


@pytest.mark.parametrize("level", ["preliminary", "detailed"])
def test_every_question_carries_an_action_written_as_an_action(level: str) -> None:
    from crisis.workbench.taxonomy import bundled_taxonomy

    known = {e.id for e in bundled_taxonomy().entries}
    for question in bundled_scorecard(level).questions.questions:
        action = question.action
        assert action is not None, question.id
        assert action.text.en != question.text.en
        assert not action.text.en.endswith("?")
        assert action.text.en.split()[0][0].isupper() and action.indicator.en
        if action.link is not None:
            assert set(action.link.taxonomy) <= known, question.id


def test_multi_hazard_scenarios_are_asked_about_at_both_levels() -> None:
    for level in ("preliminary", "detailed"):
        questions = bundled_scorecard(level).questions.questions
        assert any("multi-hazard" in q.text.en.lower() for q in questions)


def test_action_plan_targets_the_weakest_essentials(demo: Workspace) -> None:
    scoring = demo.rounds[0]
    today = dt.date(2026, 11, 30)
    scores = sorted(essential_scores(scoring), key=lambda s: (s.percent, s.number))
    plan = action_plan(
        scoring, register=demo.hazard_register, weakest=3, per_essential=2, today=today
    )
    assert len(plan) == 6
    assert [a.essential for a in plan] == [
        n for n in (s.number for s in scores[:3]) for _ in (1, 2)
    ]
    scorecard = bundled_scorecard("preliminary")
    for action in plan:
        question = scorecard.question(action.question_id)
        score = scoring.answers[action.question_id].score
        assert action.target == question.anchors[score + 1].en
        assert question.text.en not in action.action
        assert action.action == question.action.text.en
        assert action.competence == scorecard.essential(action.essential).competences[0]
        assert action.cost in ("low", "medium", "high") and action.indicator
        assert action.hazard_id is None or action.hazard_id in demo.hazard_register.ids()
    assert competences_for(plan)[0] == plan[0].competence


def test_due_dates_run_from_today_by_effort_one_owner_after_another(demo: Workspace) -> None:
    scoring = demo.rounds[0]  # dated 2026-03-16
    today = dt.date(2026, 11, 30)
    plan = action_plan(scoring, register=demo.hazard_register, today=today)
    assert all(a.due > today for a in plan)
    previous: dict[str, dt.date] = {}
    for action in plan:
        start = previous.get(action.owner, today)
        assert action.due == add_months(start, action.effort_months)
        previous[action.owner] = action.due


def test_hazards_are_linked_only_where_the_action_is_about_them(demo: Workspace) -> None:
    scoring = demo.rounds[0]
    register = demo.hazard_register
    for level_round in (scoring,):
        plan = action_plan(level_round, register=register, weakest=10, per_essential=5)
        kinds = {h.id: h.kind for h in register.hazards}
        for action in plan:
            if action.essential in (3, 10) and action.hazard_id is not None:
                # No chronic stress such as youth unemployment behind recovery and financing.
                assert kinds[action.hazard_id] == "shock", action
            if action.essential == 1:
                assert action.hazard_id is None, action
        by_question = {a.question_id: a.hazard_id for a in plan}
        assert by_question["P2.6"] == "heat-blackout"  # the multi-hazard scenario
        assert by_question["P5.1"] not in ("earthquake", None)  # buffers do not stop quakes


def test_a_plan_saved_before_the_newer_fields_still_loads() -> None:
    old = {
        "priority": 1, "essential": 3, "question_id": "P3.2",
        "action": "Tracked budget line", "owner": "Finance department", "due": "2026-06-16",
        "hazard_id": "unemployment", "competence": "C17", "supporting_competence": "C18",
    }  # fmt: skip
    action = Action.from_dict(old)
    assert action.due == dt.date(2026, 6, 16) and action.cost == "" and action.target == ""
    assert Action.from_dict(action.as_dict()) == action


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)


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
    hostile = [{**rows[0], "cost": "priceless", "effort_months": "-3"}]
    with pytest.raises(ContentError) as info:
        parse_actions(hostile, hazard_ids={"blackout"}, competence_ids={"C15"})
    assert info.value.errors == [
        "actions[1].cost: must be one of low, medium, high or empty, got 'priceless'",
        "actions[1].effort_months: must be 0–120, got -3",
    ]
    plan = parse_actions(rows[:1], hazard_ids={"blackout"}, competence_ids={"C15"})
    assert plan[0].priority == 1 and plan[0].due.isoformat() == "2027-01-31"


@pytest.mark.parametrize("language", ["el", "de", "pt"])
def test_a_plan_drafted_in_another_language_uses_its_texts_and_the_same_schedule(
    language: str,
) -> None:
    # Essential 1 of the detailed scorecard is all zeros, everything else at the top: the
    # plan is the eleven actions of essential 1, whose owners mix roles named on the
    # question (D1.09: the resilience lead) with the essential's usual owner (also the
    # resilience lead). A translated plan must read in its language and keep the dates:
    # one role is one role, whatever the language the plan is written in.
    scorecard = bundled_scorecard("detailed")
    scoring = ScorecardRound(
        level="detailed", label="baseline", date=dt.date(2026, 1, 5),
        answers={
            q.id: Answer(score=0 if q.essential == 1 else scorecard.max_score)
            for q in scorecard.questions.questions
        },
    )  # fmt: skip
    today = dt.date(2026, 2, 1)
    english = action_plan(scoring, scorecard, weakest=1, per_essential=11, today=today)
    translated = action_plan(
        scoring, scorecard, weakest=1, per_essential=11, today=today, language=language
    )
    assert [a.question_id for a in translated] == [a.question_id for a in english]
    assert [a.due for a in translated] == [a.due for a in english]
    for action in translated:
        question = scorecard.question(action.question_id)
        template = question.action
        assert template is not None
        assert action.action == template.text.get(language) != template.text.en
        assert action.target == question.anchors[1].get(language) != question.anchors[1].en
        assert action.indicator == template.indicator.get(language) != template.indicator.en
    mayors_office = {
        "el": "Γραφείο Δημάρχου",
        "de": "Büro des Oberbürgermeisters",
        "pt": "Gabinete do Presidente da Câmara",
    }
    mayor = next(a for a in translated if a.question_id == "D1.01")
    assert mayor.owner == mayors_office[language]
